# One image for every service in docker-compose.yml: web (gunicorn), worker and beat (celery).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && install -d -o app -g app /app

# Dependencies first, so that a code change does not reinstall them. pyproject.toml declares no
# packages ([tool.setuptools] packages = []), so `pip install .` installs the pinned dependencies
# only; the code runs from /app.
COPY pyproject.toml /tmp/build/
RUN pip install /tmp/build && rm -rf /tmp/build

WORKDIR /app

# The application, copied path by path so that local files (.env, .venv, SQLite databases) never
# end up in the image. tests/test_deployment.py checks that every top-level package is listed here.
COPY --chown=app:app manage.py ./
COPY --chown=app:app timeclamp ./timeclamp
COPY --chown=app:app staff ./staff
COPY --chown=app:app timesheets ./timesheets
COPY --chown=app:app integrations ./integrations
COPY --chown=app:app xero_sandbox ./xero_sandbox
COPY --chown=app:app templates ./templates

USER app

# WhiteNoise serves the static files collected into the image. Settings refuse to load without a
# secret key when DEBUG is off; collectstatic signs nothing, so a throwaway value is enough here.
RUN DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret \
    DJANGO_DEBUG=0 \
    CELERY_BROKER_URL=memory:// \
    python manage.py collectstatic --noinput

EXPOSE 8000

# gunicorn 27 opens a control socket under $HOME by default; --no-control-socket keeps the app
# directory read-only-friendly. Worker count comes from WEB_CONCURRENCY (gunicorn reads it).
CMD ["gunicorn", "timeclamp.wsgi:application", "--bind", "0.0.0.0:8000", "--no-control-socket", \
     "--access-logfile", "-"]
