"""Python helpers for tests (and the control page): make Xero misbehave, change its data, read its log.

    add_fault(kind, count=1, path_contains="", method="", **options) -> FaultRule
    clear_faults()
    terminate_employee(employee_id, termination_date=None)
    update_employee(employee_id, **fields)
    requests_log(path_contains="", method="", tenant_id="", status=None, limit=None) -> list[RequestLog]
    reset_limits()
    revoke_grant(user_email=..., client_id=None) / remove_connection(tenant_id=..., ...)

Revoking a grant and removing a connection are the identity side's (xero_sandbox.identity.control);
they are re-exported here so that tests and the control page have one place to look.
"""

import datetime

from django.utils import timezone

from xero_sandbox import gateway
from xero_sandbox.identity import control as identity_control
from xero_sandbox.models import EarningsRate, Employee, FaultRule, PayrollCalendar, RequestLog
from xero_sandbox.payroll.xerojson import parse_date, parse_uuid

FAULT_KINDS = [choice for choice, _label in FaultRule.Kind.choices]
FAULT_OPTIONS = ("tenant_id", "hang_seconds", "retry_after")

revoke_grant = identity_control.revoke_grant
remove_connection = identity_control.remove_connection


class ControlError(ValueError):
    """A control request that cannot be carried out (unknown employee, bad kind ...)."""


def add_fault(kind: str, count: int = 1, path_contains: str = "", method: str = "", **options) -> FaultRule:
    """The next ``count`` matching API calls fail as ``kind`` (FaultRule.Kind: "500", "503", "hang",
    "drop", "429-minute", "429-day"). Options: tenant_id, hang_seconds, retry_after."""
    if kind not in FAULT_KINDS:
        raise ControlError(f"Unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
    unknown = set(options) - set(FAULT_OPTIONS)
    if unknown:
        raise ControlError(f"Unknown fault options: {', '.join(sorted(unknown))}")
    count = int(count)
    if count < 1:
        raise ControlError("count must be at least 1")
    values = {k: v for k, v in options.items() if v not in (None, "")}
    if "hang_seconds" in values:
        values["hang_seconds"] = float(values["hang_seconds"])
    if "retry_after" in values:
        values["retry_after"] = int(values["retry_after"])
    if "tenant_id" in values:
        values["tenant_id"] = str(values["tenant_id"])
    return FaultRule.objects.create(
        kind=kind, remaining=count, path_contains=path_contains or "", method=(method or "").upper(), **values
    )


def clear_faults() -> int:
    deleted, _ = FaultRule.objects.all().delete()
    return deleted


def reset_limits() -> None:
    """Forget the calls counted against every rate limit, and the in-flight rows."""
    gateway.reset_limits()


def requests_log(
    path_contains: str = "",
    method: str = "",
    tenant_id: str = "",
    status: int | None = None,
    limit: int | None = None,
) -> list[RequestLog]:
    """Logged API calls, oldest first (the last ``limit`` of them when given)."""
    qs = RequestLog.objects.all()
    if path_contains:
        qs = qs.filter(path__icontains=path_contains)
    if method:
        qs = qs.filter(method=method.upper())
    if tenant_id:
        qs = qs.filter(tenant_id__iexact=str(tenant_id))
    if status is not None:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-id")[:limit] if limit else qs.order_by("-id"))
    rows.reverse()
    return rows


def _employee(employee_id) -> Employee:
    if isinstance(employee_id, Employee):
        return employee_id
    wanted = parse_uuid(str(employee_id))
    employee = Employee.objects.filter(employee_id=wanted).first() if wanted else None
    if employee is None:
        raise ControlError(f"No sandbox employee {employee_id}")
    return employee


def _date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        try:
            return parse_date(str(value))
        except ValueError:
            raise ControlError(f"Not a date: {value!r}") from None


_TEXT_FIELDS = {"first_name", "middle_names", "last_name", "title", "email", "gender", "status"}
_DATE_FIELDS = {"date_of_birth", "start_date", "termination_date"}


def update_employee(employee_id, **fields) -> Employee:
    """Change an employee as if someone edited it in Xero (UpdatedDateUTC moves). Fields are model
    names: first_name, middle_names, last_name, title, email, gender, status, date_of_birth,
    start_date, termination_date, payroll_calendar (PayrollCalendar, its id, or None),
    ordinary_earnings_rate (EarningsRate, its id, or None)."""
    employee = _employee(employee_id)
    for name, value in fields.items():
        if name in _TEXT_FIELDS:
            setattr(employee, name, "" if value is None else str(value))
        elif name in _DATE_FIELDS:
            setattr(employee, name, _date(value))
        elif name in ("payroll_calendar", "payroll_calendar_id"):
            employee.payroll_calendar = _calendar(employee, value)
        elif name in ("ordinary_earnings_rate", "ordinary_earnings_rate_id"):
            employee.ordinary_earnings_rate = _rate(employee, value)
        else:
            raise ControlError(f"Cannot change {name!r} on an employee")
    employee.updated_at = timezone.now()
    employee.save()
    return employee


def _calendar(employee: Employee, value) -> PayrollCalendar | None:
    if value in (None, ""):
        return None
    if isinstance(value, PayrollCalendar):
        return value
    calendar = PayrollCalendar.objects.filter(
        organisation_id=employee.organisation_id, calendar_id=parse_uuid(str(value))
    ).first()
    if calendar is None:
        raise ControlError(f"No payroll calendar {value} in {employee.organisation}")
    return calendar


def _rate(employee: Employee, value) -> EarningsRate | None:
    if value in (None, ""):
        return None
    if isinstance(value, EarningsRate):
        return value
    rate = EarningsRate.objects.filter(
        organisation_id=employee.organisation_id, earnings_rate_id=parse_uuid(str(value))
    ).first()
    if rate is None:
        raise ControlError(f"No earnings rate {value} in {employee.organisation}")
    return rate


def terminate_employee(employee_id, termination_date=None) -> Employee:
    """Terminate as Xero does: Status TERMINATED with a TerminationDate (today by default)."""
    return update_employee(
        employee_id,
        status="TERMINATED",
        termination_date=_date(termination_date) or timezone.localdate(),
    )
