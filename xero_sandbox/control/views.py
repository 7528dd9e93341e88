"""The sandbox's control page (for people) and control API (for scripts), at /xero-sandbox/control/.

Neither needs a Timeclamp login; both answer 404 unless settings.XERO_SANDBOX is on. The HTML forms
keep Django's CSRF protection; the JSON API is CSRF-exempt (it is for scripts, on a dev-only mount).

JSON API: POST control/api with {"action": ..., ...}:
    add_fault {kind, count?, path_contains?, method?, tenant_id?, hang_seconds?, retry_after?}
    clear_faults | reset_limits
    terminate_employee {employee_id, termination_date?}
    update_employee {employee_id, fields: {first_name, ..., payroll_calendar}}
    revoke_grant {user_email, client_id?}
    remove_connection {tenant_id, user_email?, client_id?}
    requests_log {path_contains?, method?, tenant_id?, status?, limit?}
GET control/api returns the active fault rules and the last 50 requests.
"""

import functools
import json
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from xero_sandbox.models import (
    Connection,
    Employee,
    FaultRule,
    Grant,
    Organisation,
    PayrollCalendar,
    RequestLog,
)

from . import api

LOG_ROWS = 200


def sandbox_only(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not getattr(settings, "XERO_SANDBOX", False):
            raise Http404("The Xero sandbox is off.")
        return view(request, *args, **kwargs)

    return login_not_required(wrapper)


def _fault_json(rule: FaultRule) -> dict:
    return {
        "id": rule.pk,
        "kind": rule.kind,
        "remaining": rule.remaining,
        "method": rule.method,
        "path_contains": rule.path_contains,
        "tenant_id": rule.tenant_id,
        "hang_seconds": rule.hang_seconds,
        "retry_after": rule.retry_after,
    }


def _log_json(row: RequestLog) -> dict:
    return {
        "id": row.pk,
        "at": row.created_at.isoformat(),
        "method": row.method,
        "path": row.path,
        "query": row.query,
        "tenant_id": row.tenant_id,
        "status": row.status,
        "duration_ms": row.duration_ms,
        "fault": row.fault,
        "idempotency_key": row.idempotency_key,
        "correlation_id": row.correlation_id,
        "request_body": row.request_body,
        "response_body": row.response_body,
    }


def _organisation_names() -> dict[str, str]:
    return {str(o.tenant_id).lower(): o.name for o in Organisation.objects.all()}


# --- actions shared by the page and the API -------------------------------------------------------


def _run(action: str, data: dict) -> dict:
    if action == "add_fault":
        options = {k: data.get(k) for k in api.FAULT_OPTIONS if data.get(k) not in (None, "")}
        rule = api.add_fault(
            data.get("kind", ""),
            count=int(data.get("count") or 1),
            path_contains=data.get("path_contains") or "",
            method=data.get("method") or "",
            **options,
        )
        return {"fault": _fault_json(rule)}
    if action == "clear_faults":
        return {"deleted": api.clear_faults()}
    if action == "reset_limits":
        api.reset_limits()
        return {}
    if action == "terminate_employee":
        employee = api.terminate_employee(data.get("employee_id"), data.get("termination_date") or None)
        return {"employee_id": str(employee.employee_id), "status": employee.status}
    if action == "update_employee":
        fields = data.get("fields")
        if fields is None:
            fields = {k: v for k, v in data.items() if k not in ("action", "employee_id")}
        employee = api.update_employee(data.get("employee_id"), **fields)
        return {"employee_id": str(employee.employee_id)}
    if action == "revoke_grant":
        count = api.revoke_grant(
            user_email=data.get("user_email", ""), client_id=data.get("client_id") or None
        )
        return {"revoked": count}
    if action == "remove_connection":
        count = api.remove_connection(
            tenant_id=data.get("tenant_id", ""),
            user_email=data.get("user_email") or None,
            client_id=data.get("client_id") or None,
        )
        return {"removed": count}
    if action == "requests_log":
        rows = api.requests_log(
            path_contains=data.get("path_contains") or "",
            method=data.get("method") or "",
            tenant_id=data.get("tenant_id") or "",
            status=int(data["status"]) if data.get("status") not in (None, "") else None,
            limit=int(data.get("limit") or LOG_ROWS),
        )
        return {"requests": [_log_json(r) for r in rows]}
    raise api.ControlError(f"Unknown action {action!r}")


@csrf_exempt
@sandbox_only
@require_http_methods(["GET", "POST"])
def control_api(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return JsonResponse(
            {
                "faults": [_fault_json(r) for r in FaultRule.objects.filter(remaining__gt=0).order_by("id")],
                "requests": [_log_json(r) for r in RequestLog.objects.order_by("-id")[:50]],
            }
        )
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"ok": False, "error": "The body must be JSON"}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"ok": False, "error": "The body must be a JSON object"}, status=400)
    try:
        result = _run(str(data.get("action", "")), data)
    except (api.ControlError, ValueError, TypeError) as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    return JsonResponse({"ok": True, **result})


# --- the page ------------------------------------------------------------------------------------


def _employee_fields_from_form(post) -> dict:
    fields = {}
    for name in ("first_name", "middle_names", "last_name", "email", "date_of_birth", "start_date"):
        value = post.get(name, "").strip()
        if value:
            fields[name] = value
    if post.get("clear_middle_names"):
        fields["middle_names"] = ""
    calendar = post.get("payroll_calendar", "")
    if calendar == "none":
        fields["payroll_calendar"] = None
    elif calendar:
        fields["payroll_calendar"] = calendar
    if post.get("status") in ("ACTIVE", "TERMINATED"):
        fields["status"] = post["status"]
        if post["status"] == "ACTIVE":
            fields["termination_date"] = None
    return fields


def _log_rows() -> list[RequestLog]:
    names = _organisation_names()
    rows = list(RequestLog.objects.order_by("-id")[:LOG_ROWS])
    for row in rows:
        row.organisation_name = names.get(row.tenant_id.lower(), "")
        row.query_display = unquote_plus(row.query)
    return rows


@sandbox_only
@require_http_methods(["GET", "POST"])
def control_page(request: HttpRequest) -> HttpResponse:
    notice, error = request.GET.get("done", ""), ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        data = request.POST.dict()
        if action == "update_employee":
            data = {
                "employee_id": request.POST.get("employee_id"),
                "fields": _employee_fields_from_form(request.POST),
            }
        try:
            _run(action, data)
        except (api.ControlError, ValueError, TypeError) as exc:
            error = str(exc)
        else:
            return redirect(f"{request.path}?done={action}")
    employees = Employee.objects.select_related("organisation", "payroll_calendar").order_by(
        "organisation__name", "last_name", "first_name"
    )
    context = {
        "rows": _log_rows(),
        "faults": FaultRule.objects.filter(remaining__gt=0).order_by("id"),
        "fault_kinds": FaultRule.Kind.choices,
        "grants": Grant.objects.select_related("user", "app").order_by("user__email"),
        "connections": Connection.objects.filter(deleted_at__isnull=True)
        .select_related("organisation", "grant__user")
        .order_by("organisation__name"),
        "employees": employees,
        "calendars": PayrollCalendar.objects.select_related("organisation").order_by(
            "organisation__name", "name"
        ),
        "notice": notice,
        "error": error,
    }
    return render(request, "xero_sandbox/control/index.html", context, status=400 if error else 200)


@sandbox_only
@require_http_methods(["GET"])
def control_log(request: HttpRequest) -> HttpResponse:
    """The log table's rows alone, for the page's auto-refresh."""
    return render(
        request,
        "xero_sandbox/control/_log_rows.html",
        {"rows": _log_rows()},
    )
