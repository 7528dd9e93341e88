# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## The whole app on the embedded defaults: SQLite, filesystem Celery broker, a real worker and beat.
run: $(STAMP)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 $(VENV)/bin/honcho -f Procfile.dev start

## The full suite. SQLite by default; PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set.
test: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run >/dev/null || { echo "Missing migrations: run manage.py makemigrations"; exit 1; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 .celery-fs .celerybeat-schedule staticfiles
