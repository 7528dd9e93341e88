# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
# make run: DEBUG on (local demo), unbuffered output so honcho shows logs at once, the venv first on
# PATH so Procfile.dev's python/celery are the project's.
RUN_ENV := DJANGO_DEBUG=1 PYTHONUNBUFFERED=1 PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## The whole app on the embedded defaults: SQLite, filesystem Celery broker, a real worker and beat.
## honcho runs Procfile.dev with the venv first on PATH; Ctrl-C stops all three processes.
## Every configured database is migrated (the Xero sandbox keeps its own SQLite file).
run: $(STAMP)
	@for db in $$($(RUN_ENV) DJANGO_SETTINGS_MODULE=timeclamp.settings $(PY) -c 'from django.conf import settings; print(*settings.DATABASES)'); do \
		echo "Migrating database '$$db'"; \
		$(RUN_ENV) $(PY) manage.py migrate --noinput --database $$db -v 0 || exit 1; \
	done
	$(RUN_ENV) $(PY) manage.py seed_demo
	@# The local Xero stand-in is on when no real Xero app is configured: give it its demo data too.
	@if $(RUN_ENV) $(PY) manage.py help sandbox_seed >/dev/null 2>&1; then $(RUN_ENV) $(PY) manage.py sandbox_seed; fi
	@# -e /dev/null: honcho would otherwise load .env itself and let it override the real environment;
	@# settings.py reads .env with the opposite (right) precedence.
	$(RUN_ENV) WEB_PORT=$(PORT) exec honcho start -f Procfile.dev -e /dev/null

## The full suite. SQLite by default; PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set.
test: $(STAMP)
	@# DEBUG on so that every app is installed (the Xero sandbox too) and no secret key is needed.
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run >/dev/null || { echo "makemigrations --check failed: missing migrations (run manage.py makemigrations) or the error above"; exit 1; }
	$(VENV)/bin/ruff check .
	@# The browser journeys run in their own session: they override settings and the Celery app for
	@# the whole session (live server URLs, an in-memory broker), which must not leak into the rest.
	$(VENV)/bin/pytest --ignore=tests/e2e
	$(VENV)/bin/pytest tests/e2e

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* xero_sandbox.sqlite3 xero_sandbox.sqlite3-* .celery-fs .celerybeat-schedule* staticfiles
