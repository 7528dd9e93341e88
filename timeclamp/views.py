"""Cross-cutting views and view helpers: health probes, error pages, ApplicationError -> form errors."""

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .exceptions import ApplicationError


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


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
