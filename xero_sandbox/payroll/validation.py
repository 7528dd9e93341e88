"""Validation of POSTed Payroll AU v1 objects, with Xero's messages where they are known.

Verbatim (third-party reports, notes §2.7):
    "This timesheet already exists, please provide the timesheet ID"
    "Provided period doesn't correspond with a pay period"
Everything else below is marked Assumption: Xero's exact text is unknown; the product should match
on the verbatim ones only and show the rest as they come.

Assumption (batches): if any element of a POSTed array is invalid, Xero rejects the whole request
with 400 and returns every element, each with its ``ValidationErrors``; nothing is saved. (Partial
success for a payroll batch is UNCONFIRMED, notes §2.6.)
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from xero_sandbox.models import EarningsRate, Employee, Organisation, PayrollCalendar, Timesheet

from . import periods
from .xerojson import parse_date, parse_uuid

MSG_TIMESHEET_EXISTS = "This timesheet already exists, please provide the timesheet ID"
MSG_NOT_A_PAY_PERIOD = "Provided period doesn't correspond with a pay period"
# Assumption: all of the following texts.
MSG_EMPLOYEE_REQUIRED = "EmployeeID is required"
MSG_EMPLOYEE_NOT_FOUND = "The employee could not be found"
MSG_EMPLOYEE_TERMINATED = "Timesheets cannot be created for a terminated employee"
# Contains "pay run calendar", which third-party code matches (notes §2.7).
MSG_NO_CALENDAR = "The employee must be assigned to a pay run calendar before a timesheet can be created"
MSG_START_REQUIRED = "StartDate is required"
MSG_END_REQUIRED = "EndDate is required"
MSG_BAD_DATE = "{field} is not a valid date"
MSG_END_BEFORE_START = "EndDate must be on or after StartDate"
MSG_BAD_STATUS = "Timesheet status must be DRAFT or APPROVED"
MSG_LOCKED = "A timesheet with status {status} cannot be updated"
MSG_TIMESHEET_NOT_FOUND = "The timesheet could not be found"
MSG_TIMESHEET_ID_MISMATCH = "The TimesheetID in the body does not match the TimesheetID in the URL"
MSG_RATE_REQUIRED = "EarningsRateID is required on every timesheet line"
MSG_RATE_NOT_FOUND = "The earnings rate {rate} could not be found"
MSG_RATE_NOT_CURRENT = "The earnings rate {rate} is not current"
MSG_BAD_TRACKING = "TrackingItemID is not a valid identifier"
MSG_UNITS_COUNT = "NumberOfUnits must have {days} values, one for each day of the timesheet period"
MSG_UNITS_NOT_NUMBERS = "NumberOfUnits must only contain numbers"
MSG_LINES_NOT_ARRAY = "TimesheetLines must be an array"
MSG_FIRST_NAME_REQUIRED = "FirstName is required"
MSG_LAST_NAME_REQUIRED = "LastName is required"
MSG_DOB_REQUIRED = "DateOfBirth is required"
MSG_BAD_GENDER = "Gender must be one of N, M, F, I"
MSG_CALENDAR_NOT_FOUND = "The payroll calendar could not be found"
MSG_EMPLOYEE_UPDATE_NOT_FOUND = "The employee could not be found"

EDITABLE_STATUSES = ("DRAFT", "APPROVED")
LOCKED_STATUSES = ("APPROVED", "PROCESSED")


@dataclass
class TimesheetDraft:
    element: dict
    errors: list[str] = field(default_factory=list)
    existing: Timesheet | None = None
    employee: Employee | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    status: str = "DRAFT"
    lines: list[dict] = field(default_factory=list)
    hours: Decimal = Decimal(0)

    def error_element(self) -> dict:
        return {**self.element, "ValidationErrors": [{"Message": m} for m in self.errors]}


def _date_field(element: dict, name: str, fallback, errors: list[str], required_msg: str):
    if name not in element or element.get(name) in (None, ""):
        if fallback is None:
            errors.append(required_msg)
        return fallback
    try:
        return parse_date(element[name])
    except ValueError:
        errors.append(MSG_BAD_DATE.format(field=name))
        return None


def _units(value, errors: list[str]) -> list[Decimal] | None:
    if not isinstance(value, list):
        errors.append(MSG_UNITS_NOT_NUMBERS)
        return None
    units = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            errors.append(MSG_UNITS_NOT_NUMBERS)
            return None
        try:
            units.append(Decimal(str(item)))
        except InvalidOperation:
            errors.append(MSG_UNITS_NOT_NUMBERS)
            return None
    return units


def validate_timesheets(
    organisation: Organisation, elements: list[dict], *, path_timesheet_id=None
) -> list[TimesheetDraft]:
    rates = {r.earnings_rate_id: r for r in EarningsRate.objects.filter(organisation=organisation)}
    drafts: list[TimesheetDraft] = []
    seen: dict[tuple, int] = {}
    for element in elements:
        draft = TimesheetDraft(element=element)
        drafts.append(draft)
        errors = draft.errors

        # Create or update?
        raw_id = element.get("TimesheetID")
        timesheet_id = parse_uuid(raw_id) if raw_id not in (None, "") else None
        if raw_id not in (None, "") and timesheet_id is None:
            errors.append(MSG_TIMESHEET_NOT_FOUND)
        if path_timesheet_id is not None:
            if timesheet_id is not None and timesheet_id != path_timesheet_id:
                errors.append(MSG_TIMESHEET_ID_MISMATCH)
            timesheet_id = path_timesheet_id
        if timesheet_id is not None:
            draft.existing = (
                Timesheet.objects.select_related("employee")
                .filter(organisation=organisation, timesheet_id=timesheet_id)
                .first()
            )
            if draft.existing is None:
                errors.append(MSG_TIMESHEET_NOT_FOUND)
            elif draft.existing.status in LOCKED_STATUSES:
                errors.append(MSG_LOCKED.format(status=draft.existing.status))
        existing = draft.existing

        # Employee
        raw_employee = element.get("EmployeeID")
        if raw_employee in (None, ""):
            if existing is not None:
                draft.employee = existing.employee
            else:
                errors.append(MSG_EMPLOYEE_REQUIRED)
        else:
            employee_id = parse_uuid(raw_employee)
            draft.employee = (
                Employee.objects.select_related("payroll_calendar")
                .filter(organisation=organisation, employee_id=employee_id)
                .first()
                if employee_id
                else None
            )
            if draft.employee is None:
                errors.append(MSG_EMPLOYEE_NOT_FOUND)
        employee = draft.employee
        calendar: PayrollCalendar | None = None
        if employee is not None:
            if employee.status != "ACTIVE":
                errors.append(MSG_EMPLOYEE_TERMINATED)
            calendar = employee.payroll_calendar
            if calendar is None:
                errors.append(MSG_NO_CALENDAR)

        # Period
        draft.start = _date_field(
            element, "StartDate", existing.start_date if existing else None, errors, MSG_START_REQUIRED
        )
        draft.end = _date_field(
            element, "EndDate", existing.end_date if existing else None, errors, MSG_END_REQUIRED
        )
        period_ok = False
        if draft.start and draft.end:
            if draft.end < draft.start:
                errors.append(MSG_END_BEFORE_START)
            elif calendar is not None:
                period_ok = periods.is_pay_period(
                    calendar.calendar_type, calendar.start_date, draft.start, draft.end
                )
                if not period_ok:
                    errors.append(MSG_NOT_A_PAY_PERIOD)

        # Status
        status = element.get("Status")
        if status in (None, ""):
            status = existing.status if existing is not None else "DRAFT"
        if status not in EDITABLE_STATUSES:
            errors.append(MSG_BAD_STATUS)
        draft.status = status

        # Lines
        raw_lines = element.get("TimesheetLines")
        if raw_lines is None:
            raw_lines = []
        if not isinstance(raw_lines, list):
            errors.append(MSG_LINES_NOT_ARRAY)
            raw_lines = []
        days = (draft.end - draft.start).days + 1 if period_ok else None
        for raw_line in raw_lines:
            if not isinstance(raw_line, dict):
                errors.append(MSG_RATE_REQUIRED)
                continue
            rate_raw = raw_line.get("EarningsRateID")
            rate_id = parse_uuid(rate_raw)
            if rate_raw in (None, ""):
                errors.append(MSG_RATE_REQUIRED)
            else:
                rate = rates.get(rate_id) if rate_id else None
                if rate is None:
                    errors.append(MSG_RATE_NOT_FOUND.format(rate=rate_raw))
                elif not rate.current_record:
                    errors.append(MSG_RATE_NOT_CURRENT.format(rate=rate_raw))
            tracking_raw = raw_line.get("TrackingItemID")
            tracking = None
            if tracking_raw not in (None, ""):
                # Assumption: the option is not checked against Settings' TimesheetCategories.
                tracking = parse_uuid(tracking_raw)
                if tracking is None:
                    errors.append(MSG_BAD_TRACKING)
            units = _units(raw_line.get("NumberOfUnits", []), errors)
            if units is not None and days is not None and len(units) != days:
                errors.append(MSG_UNITS_COUNT.format(days=days))
            if units is not None:
                line = {"EarningsRateID": str(rate_id) if rate_id else rate_raw}
                if tracking is not None:
                    line["TrackingItemID"] = str(tracking)
                line["NumberOfUnits"] = [float(u) for u in units]
                draft.lines.append(line)
                draft.hours += sum(units, Decimal(0))

        # One timesheet per employee and period.
        if employee is not None and draft.start and draft.end and period_ok:
            key = (employee.pk, draft.start, draft.end)
            clash = Timesheet.objects.filter(
                organisation=organisation, employee=employee, start_date=draft.start, end_date=draft.end
            )
            if existing is not None:
                clash = clash.exclude(pk=existing.pk)
            if clash.exists() or key in seen:
                errors.append(MSG_TIMESHEET_EXISTS)
            seen[key] = len(drafts) - 1

        # Keep messages unique, in order.
        draft.errors = list(dict.fromkeys(errors))
    return drafts


def save_timesheets(organisation: Organisation, drafts: list[TimesheetDraft], now) -> list[Timesheet]:
    saved = []
    for draft in drafts:
        timesheet = draft.existing or Timesheet(organisation=organisation)
        timesheet.employee = draft.employee
        timesheet.start_date = draft.start
        timesheet.end_date = draft.end
        timesheet.status = draft.status
        timesheet.lines = draft.lines
        timesheet.hours = draft.hours
        timesheet.updated_at = now
        timesheet.save()
        saved.append(timesheet)
    return saved


# --- employees -----------------------------------------------------------------------------------


@dataclass
class EmployeeDraft:
    element: dict
    errors: list[str] = field(default_factory=list)
    existing: Employee | None = None
    values: dict = field(default_factory=dict)

    def error_element(self) -> dict:
        return {**self.element, "ValidationErrors": [{"Message": m} for m in self.errors]}


_EMPLOYEE_TEXT_FIELDS = {
    "Title": "title",
    "FirstName": "first_name",
    "MiddleNames": "middle_names",
    "LastName": "last_name",
    "Email": "email",
}


def validate_employees(
    organisation: Organisation, elements: list[dict], *, path_employee_id=None
) -> list[EmployeeDraft]:
    """Create (no EmployeeID) or update (EmployeeID in the body or the URL) employees.
    Assumption: on update only the fields sent change."""
    drafts = []
    for element in elements:
        draft = EmployeeDraft(element=element)
        drafts.append(draft)
        errors, values = draft.errors, draft.values
        employee_id = path_employee_id or parse_uuid(element.get("EmployeeID"))
        if employee_id is not None or element.get("EmployeeID") not in (None, ""):
            draft.existing = (
                Employee.objects.filter(organisation=organisation, employee_id=employee_id).first()
                if employee_id
                else None
            )
            if draft.existing is None:
                errors.append(MSG_EMPLOYEE_UPDATE_NOT_FOUND)
        creating = draft.existing is None

        for key, attr in _EMPLOYEE_TEXT_FIELDS.items():
            if key in element and element[key] is not None:
                if not isinstance(element[key], str):
                    errors.append(f"{key} must be a string")
                    continue
                values[attr] = element[key].strip() if attr != "middle_names" else element[key]
        if (creating or "FirstName" in element) and not values.get("first_name"):
            errors.append(MSG_FIRST_NAME_REQUIRED)
        if (creating or "LastName" in element) and not values.get("last_name"):
            errors.append(MSG_LAST_NAME_REQUIRED)

        for key, attr, required in (
            ("DateOfBirth", "date_of_birth", True),
            ("StartDate", "start_date", False),
        ):
            raw = element.get(key)
            if raw in (None, ""):
                if required and (creating or key in element):
                    errors.append(MSG_DOB_REQUIRED)
                continue
            try:
                values[attr] = parse_date(raw)
            except ValueError:
                errors.append(MSG_BAD_DATE.format(field=key))

        gender = element.get("Gender")
        if gender not in (None, ""):
            if gender not in ("N", "M", "F", "I"):
                errors.append(MSG_BAD_GENDER)
            else:
                values["gender"] = gender

        raw_calendar = element.get("PayrollCalendarID")
        if raw_calendar not in (None, ""):
            calendar_id = parse_uuid(raw_calendar)
            calendar = (
                PayrollCalendar.objects.filter(organisation=organisation, calendar_id=calendar_id).first()
                if calendar_id
                else None
            )
            if calendar is None:
                errors.append(MSG_CALENDAR_NOT_FOUND)
            values["payroll_calendar"] = calendar

        raw_rate = element.get("OrdinaryEarningsRateID")
        if raw_rate not in (None, ""):
            rate_id = parse_uuid(raw_rate)
            rate = (
                EarningsRate.objects.filter(organisation=organisation, earnings_rate_id=rate_id).first()
                if rate_id
                else None
            )
            if rate is None:
                errors.append(MSG_RATE_NOT_FOUND.format(rate=raw_rate))
            values["ordinary_earnings_rate"] = rate
        draft.errors = list(dict.fromkeys(errors))
    return drafts


def save_employees(organisation: Organisation, drafts: list[EmployeeDraft], now) -> list[Employee]:
    saved = []
    for draft in drafts:
        employee = draft.existing or Employee(organisation=organisation, status="ACTIVE")
        for attr, value in draft.values.items():
            setattr(employee, attr, value)
        employee.updated_at = now
        employee.save()
        saved.append(employee)
    return saved
