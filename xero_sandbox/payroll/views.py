"""Payroll AU v1 endpoints (https://api.xero.com/payroll.xro/1.0/...), behind the gateway.

Lists: 100 per page (``?page=N``, page 1 by default), ``where``/``order`` (query.py), and
``If-Modified-Since`` (ISO 8601 or RFC 1123) against UpdatedDateUTC. Writes take a bare JSON array.
Assumption: ``page`` below 1 reads as page 1; a non-integer ``page`` is a 400.
"""

import uuid

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone

from xero_sandbox.gateway import xero_api_view
from xero_sandbox.models import EarningsRate, Employee, PayrollCalendar, Timesheet
from xero_sandbox.router import SANDBOX_DB

from . import query, serializers, validation, xerojson
from .query import DATE, DATETIME, GUID, NUMBER, STRING, Field

PAGE_SIZE = 100

EMPLOYEE_SCOPES = {"payroll.employees", "payroll.employees.read"}
SETTINGS_SCOPES = {"payroll.settings", "payroll.settings.read"}
TIMESHEET_SCOPES = {"payroll.timesheets", "payroll.timesheets.read"}


def _guid_of(attr: str, inner: str):
    def get(obj):
        related = getattr(obj, attr)
        return getattr(related, inner) if related is not None else None

    return get


EMPLOYEE_FIELDS = {
    "EmployeeID": Field(GUID, lambda e: e.employee_id),
    "Title": Field(STRING, lambda e: e.title),
    "FirstName": Field(STRING, lambda e: e.first_name),
    "MiddleNames": Field(STRING, lambda e: e.middle_names),
    "LastName": Field(STRING, lambda e: e.last_name),
    "Email": Field(STRING, lambda e: e.email),
    "Gender": Field(STRING, lambda e: e.gender),
    "Status": Field(STRING, lambda e: e.status),
    "DateOfBirth": Field(DATE, lambda e: e.date_of_birth),
    "StartDate": Field(DATE, lambda e: e.start_date),
    "TerminationDate": Field(DATE, lambda e: e.termination_date),
    "PayrollCalendarID": Field(GUID, _guid_of("payroll_calendar", "calendar_id")),
    "OrdinaryEarningsRateID": Field(GUID, _guid_of("ordinary_earnings_rate", "earnings_rate_id")),
    "UpdatedDateUTC": Field(DATETIME, lambda e: e.updated_at),
}
CALENDAR_FIELDS = {
    "PayrollCalendarID": Field(GUID, lambda c: c.calendar_id),
    "Name": Field(STRING, lambda c: c.name),
    "CalendarType": Field(STRING, lambda c: c.calendar_type),
    "StartDate": Field(DATE, lambda c: c.start_date),
    "PaymentDate": Field(DATE, lambda c: c.payment_date),
    "UpdatedDateUTC": Field(DATETIME, lambda c: c.updated_at),
}
TIMESHEET_FIELDS = {
    "TimesheetID": Field(GUID, lambda t: t.timesheet_id),
    "EmployeeID": Field(GUID, lambda t: t.employee.employee_id),
    "StartDate": Field(DATE, lambda t: t.start_date),
    "EndDate": Field(DATE, lambda t: t.end_date),
    "Status": Field(STRING, lambda t: t.status),
    "Hours": Field(NUMBER, lambda t: t.hours),
    "UpdatedDateUTC": Field(DATETIME, lambda t: t.updated_at),
}


def _page(request: HttpRequest) -> int | None:
    """The requested page; None when ``page`` is not an integer."""
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        return None
    return max(page, 1)


def _list(request: HttpRequest, queryset, fields: dict, type_name: str, key: str, serialize) -> HttpResponse:
    since = xerojson.parse_http_datetime(request.headers.get("If-Modified-Since", ""))
    if since is not None:
        queryset = queryset.filter(updated_at__gt=since)
    items = list(queryset)
    try:
        where = request.GET.get("where", "").strip()
        if where:
            predicate = query.where_predicate(where, fields, type_name)
            items = [item for item in items if predicate(item)]
        order = request.GET.get("order", "").strip()
        if order:
            items = query.apply_order(items, order, fields, type_name)
    except query.QueryParseError as exc:
        return xerojson.query_parse_error(str(exc))
    page = _page(request)
    if page is None:
        # Assumption: like ASP.NET model binding, a non-integer page is a 400 (the spec types it
        # as an integer); page 0 or below reads as page 1.
        message = f"The value '{request.GET.get('page')}' is not valid for page."
        return xerojson.api_exception(400, 10, "ValidationException", message)
    items = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return xerojson.xero_json(xerojson.envelope(key, [serialize(item) for item in items]))


def _array_body(request: HttpRequest, type_name: str):
    """The POSTed bare JSON array, or an error response."""
    try:
        body = xerojson.load_json(request.body)
    except (ValueError, UnicodeDecodeError):
        return None, xerojson.post_data_invalid("The request body is not valid JSON")
    if isinstance(body, dict):
        return None, xerojson.post_data_invalid(xerojson.not_an_array_message(type_name))
    if not isinstance(body, list) or not all(isinstance(e, dict) for e in body):
        return None, xerojson.post_data_invalid(
            f"The request body must be a JSON array of objects to deserialize into type '{type_name}'"
        )
    return body, None


def _uuid_or_404(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# --- Employees -----------------------------------------------------------------------------------


def _employees_queryset(organisation):
    return Employee.objects.filter(organisation=organisation).select_related(
        "payroll_calendar", "ordinary_earnings_rate"
    )


@xero_api_view(scopes=EMPLOYEE_SCOPES)
def employees(request: HttpRequest) -> HttpResponse:
    organisation = request.xero_organisation
    if request.method == "GET":
        return _list(
            request,
            _employees_queryset(organisation),
            EMPLOYEE_FIELDS,
            "Employee",
            "Employees",
            serializers.employee_json,
        )
    if request.method == "POST":
        return _save_employees(request, organisation, None)
    return HttpResponseNotAllowed(["GET", "POST"])


@xero_api_view(scopes=EMPLOYEE_SCOPES)
def employee(request: HttpRequest, employee_id: str) -> HttpResponse:
    organisation = request.xero_organisation
    wanted = _uuid_or_404(employee_id)
    found = _employees_queryset(organisation).filter(employee_id=wanted).first() if wanted else None
    if found is None:
        return xerojson.not_found()
    if request.method == "GET":
        return xerojson.xero_json(
            xerojson.envelope("Employees", [serializers.employee_json(found, detail=True)])
        )
    if request.method == "POST":
        return _save_employees(request, organisation, found.employee_id)
    return HttpResponseNotAllowed(["GET", "POST"])


def _save_employees(request, organisation, path_employee_id) -> HttpResponse:
    elements, error = _array_body(request, "UpdateEmployeeRequest")
    if error:
        return error
    drafts = validation.validate_employees(organisation, elements, path_employee_id=path_employee_id)
    if any(d.errors for d in drafts):
        return xerojson.validation_error("Employees", [d.error_element() for d in drafts])
    with transaction.atomic(using=SANDBOX_DB):
        saved = validation.save_employees(organisation, drafts, timezone.now())
    saved = [_employees_queryset(organisation).get(pk=e.pk) for e in saved]
    return xerojson.xero_json(
        xerojson.envelope("Employees", [serializers.employee_json(e, detail=True) for e in saved])
    )


# --- PayrollCalendars, PayItems, Settings --------------------------------------------------------


@xero_api_view(scopes=SETTINGS_SCOPES)
def payroll_calendars(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _list(
        request,
        PayrollCalendar.objects.filter(organisation=request.xero_organisation).order_by("id"),
        CALENDAR_FIELDS,
        "PayrollCalendar",
        "PayrollCalendars",
        serializers.calendar_json,
    )


@xero_api_view(scopes=SETTINGS_SCOPES)
def payroll_calendar(request: HttpRequest, calendar_id: str) -> HttpResponse:
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    wanted = _uuid_or_404(calendar_id)
    found = (
        PayrollCalendar.objects.filter(organisation=request.xero_organisation, calendar_id=wanted).first()
        if wanted
        else None
    )
    if found is None:
        return xerojson.not_found()
    return xerojson.xero_json(xerojson.envelope("PayrollCalendars", [serializers.calendar_json(found)]))


@xero_api_view(scopes=SETTINGS_SCOPES)
def pay_items(request: HttpRequest) -> HttpResponse:
    """Only current earnings-rate records; the sandbox has no deduction, leave or reimbursement
    types, so those arrays are empty. Not paginated in practice (``page`` is accepted)."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    rates = EarningsRate.objects.filter(organisation=request.xero_organisation, current_record=True)
    since = xerojson.parse_http_datetime(request.headers.get("If-Modified-Since", ""))
    if since is not None:
        rates = rates.filter(updated_at__gt=since)
    pay_item = {
        "EarningsRates": [serializers.earnings_rate_json(r) for r in rates.order_by("id")],
        "DeductionTypes": [],
        "LeaveTypes": [],
        "ReimbursementTypes": [],
    }
    return xerojson.xero_json(xerojson.envelope("PayItems", pay_item))


@xero_api_view(scopes=SETTINGS_SCOPES)
def payroll_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return xerojson.xero_json(
        xerojson.envelope("Settings", serializers.settings_json(request.xero_organisation))
    )


# --- Timesheets ----------------------------------------------------------------------------------


def _timesheets_queryset(organisation):
    return Timesheet.objects.filter(organisation=organisation).select_related("employee")


@xero_api_view(scopes=TIMESHEET_SCOPES)
def timesheets(request: HttpRequest) -> HttpResponse:
    organisation = request.xero_organisation
    if request.method == "GET":
        return _list(
            request,
            _timesheets_queryset(organisation),
            TIMESHEET_FIELDS,
            "Timesheet",
            "Timesheets",
            serializers.timesheet_json,
        )
    if request.method == "POST":
        return _save_timesheets(request, organisation, None)
    return HttpResponseNotAllowed(["GET", "POST"])


@xero_api_view(scopes=TIMESHEET_SCOPES)
def timesheet(request: HttpRequest, timesheet_id: str) -> HttpResponse:
    organisation = request.xero_organisation
    wanted = _uuid_or_404(timesheet_id)
    found = _timesheets_queryset(organisation).filter(timesheet_id=wanted).first() if wanted else None
    if found is None:
        return xerojson.not_found()
    if request.method == "GET":
        # The single-object endpoint answers {"Timesheet": {...}} (singular; spec TimesheetObject).
        return xerojson.xero_json(xerojson.envelope("Timesheet", serializers.timesheet_json(found)))
    if request.method == "POST":
        return _save_timesheets(request, organisation, found.timesheet_id)
    return HttpResponseNotAllowed(["GET", "POST"])


def _save_timesheets(request, organisation, path_timesheet_id) -> HttpResponse:
    elements, error = _array_body(request, "UpdateTimesheetRequest")
    if error:
        return error
    with transaction.atomic(using=SANDBOX_DB):
        drafts = validation.validate_timesheets(organisation, elements, path_timesheet_id=path_timesheet_id)
        if any(d.errors for d in drafts):
            return xerojson.validation_error("Timesheets", [d.error_element() for d in drafts])
        saved = validation.save_timesheets(organisation, drafts, timezone.now())
    return xerojson.xero_json(xerojson.envelope("Timesheets", [serializers.timesheet_json(t) for t in saved]))
