"""Cross-cutting views and view helpers: health probes, error pages, ApplicationError -> form errors."""

import datetime
import logging
import sys

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError, connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from .exceptions import ApplicationError

logger = logging.getLogger(__name__)


def _database_unreachable() -> bool:
    """Did a database connection fail to open or drop (not a query that failed on a working one)?"""
    return any(
        conn.errors_occurred and (conn.connection is None or not conn.is_usable())
        for conn in connections.all(initialized_only=True)
    )


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A lost database connection (PostgreSQL restarting, a failover) is a 503 with
    Retry-After, so browsers, load balancers and monitors read it as brief; anything else, including
    an error on a working connection (a missing table after a bad deploy), is a 500. Rendered without
    a request context: the database may be what is missing."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError) and _database_unreachable():
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "5"
        return response
    return defaults.server_error(request)


def form_add_application_error(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's field errors on the form's fields, and its message as a non-field error."""
    fields = exc.extra.get("fields", {})
    for field, messages in fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    if not fields:
        form.add_error(None, exc.message)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving. No dependencies are touched."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _eager() -> bool:
    from .celery import app

    return bool(app.conf.task_always_eager)


def _broker_connection():
    from .celery import app

    return app.connection_for_write()


def _check_broker() -> str:
    if _eager():
        return "ok"  # no broker in eager mode (tests)
    with _broker_connection() as conn:
        conn.ensure_connection(max_retries=1)
    return "ok"


def _check_workers() -> str:
    """Every queue has had a worker heartbeat recently (beat sends one to each queue every 30 s)."""
    from .models import WorkerHeartbeat

    if _eager():
        return "ok"
    limit = timezone.now() - datetime.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    beats = dict(WorkerHeartbeat.objects.values_list("queue", "beat_at"))
    stale = [q for q in ("celery", "xero") if beats.get(q) is None or beats[q] < limit]
    if stale:
        return f"error: no worker heartbeat on {', '.join(stale)} in {settings.WORKER_HEARTBEAT_MAX_AGE} s"
    return "ok"


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers, the broker accepts connections, and a worker has
    recently consumed each queue (the worker liveness watchdog)."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("workers", _check_workers),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure means not ready
            logger.warning("readyz: %s check failed: %r", name, exc)
            checks[name] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
