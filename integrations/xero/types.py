"""Frozen values exchanged with Xero. Xero's /Date(ms+0000)/ parsing lives here and nowhere else."""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_ms_date(value: str | None) -> datetime.date | None:
    """Xero date-only values are UTC midnight: take the UTC calendar date, never a local one."""
    if not value:
        return None
    match = _MS_DATE.match(value)
    if match:
        ms = int(match.group(1))
        return (
            datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(milliseconds=ms)
        ).date()
    return datetime.date.fromisoformat(value[:10])  # ISO "YYYY-MM-DD[T00:00:00]" also occurs


def parse_ms_datetime(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    match = _MS_DATE.match(value)
    if match:
        ms = int(match.group(1))
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(milliseconds=ms)
    parsed = datetime.datetime.fromisoformat(value[:26])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def format_ms_date(value: datetime.date) -> str:
    midnight = datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
    return f"/Date({int(midnight.timestamp() * 1000)}+0000)/"


def parse_identity_datetime(value: str | None) -> datetime.datetime | None:
    """Identity dates look like 2019-12-07T18:46:19.5165400 (UTC, 7 fractional digits, no offset)."""
    if not value:
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$", value)
    if not match:
        return None
    base, frac, tz = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    parsed = datetime.datetime.fromisoformat(base).replace(microsecond=micro)
    if tz in (None, "Z"):
        return parsed.replace(tzinfo=datetime.UTC)
    return datetime.datetime.fromisoformat(base + tz).replace(microsecond=micro)


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime.datetime
    scopes: tuple[str, ...]
    auth_event_id: str = ""
    xero_userid: str = ""
    id_token_claims: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class XeroTenant:
    connection_id: str
    tenant_id: str
    tenant_type: str
    tenant_name: str
    auth_event_id: str
    created_at: datetime.datetime | None
    updated_at: datetime.datetime | None

    @classmethod
    def from_api(cls, data: dict) -> "XeroTenant":
        return cls(
            connection_id=data["id"],
            tenant_id=data["tenantId"],
            tenant_type=data.get("tenantType") or "",
            tenant_name=data.get("tenantName") or "",
            auth_event_id=data.get("authEventId") or "",
            created_at=parse_identity_datetime(data.get("createdDateUtc")),
            updated_at=parse_identity_datetime(data.get("updatedDateUtc")),
        )


@dataclass(frozen=True, slots=True)
class XeroEmployee:
    employee_id: str
    first_name: str
    middle_names: str
    last_name: str
    date_of_birth: datetime.date | None
    status: str
    email: str = ""
    start_date: datetime.date | None = None
    termination_date: datetime.date | None = None
    payroll_calendar_id: str = ""
    ordinary_earnings_rate_id: str = ""
    updated_at: datetime.datetime | None = None

    @classmethod
    def from_api(cls, data: dict) -> "XeroEmployee":
        # Tolerant: Xero sends nulls and omits fields; never crash on what it sends.
        return cls(
            employee_id=data["EmployeeID"],
            first_name=data.get("FirstName") or "",
            middle_names=data.get("MiddleNames") or "",
            last_name=data.get("LastName") or "",
            date_of_birth=parse_ms_date(data.get("DateOfBirth")),
            status=data.get("Status") or "ACTIVE",
            email=data.get("Email") or "",
            start_date=parse_ms_date(data.get("StartDate")),
            termination_date=parse_ms_date(data.get("TerminationDate")),
            payroll_calendar_id=data.get("PayrollCalendarID") or "",
            ordinary_earnings_rate_id=data.get("OrdinaryEarningsRateID") or "",
            updated_at=parse_ms_datetime(data.get("UpdatedDateUTC")),
        )


@dataclass(frozen=True, slots=True)
class NewEmployee:
    first_name: str
    last_name: str
    date_of_birth: datetime.date
    middle_names: str = ""
    email: str = ""
    start_date: datetime.date | None = None

    def to_api(self) -> dict:
        data = {
            "FirstName": self.first_name,
            "LastName": self.last_name,
            "DateOfBirth": format_ms_date(self.date_of_birth),
        }
        if self.middle_names:
            data["MiddleNames"] = self.middle_names
        if self.email:
            data["Email"] = self.email
        if self.start_date:
            data["StartDate"] = format_ms_date(self.start_date)
        return data


@dataclass(frozen=True, slots=True)
class PayrollCalendar:
    calendar_id: str
    name: str
    calendar_type: str
    start_date: datetime.date | None
    payment_date: datetime.date | None
    reference_date: datetime.date | None = None

    @classmethod
    def from_api(cls, data: dict) -> "PayrollCalendar":
        return cls(
            calendar_id=data["PayrollCalendarID"],
            name=data.get("Name") or "",
            calendar_type=data.get("CalendarType") or "",
            start_date=parse_ms_date(data.get("StartDate")),
            payment_date=parse_ms_date(data.get("PaymentDate")),
            reference_date=parse_ms_date(data.get("ReferenceDate")),
        )


@dataclass(frozen=True, slots=True)
class EarningsRate:
    earnings_rate_id: str
    name: str
    earnings_type: str
    type_of_units: str = ""
    current_record: bool = True

    @classmethod
    def from_api(cls, data: dict) -> "EarningsRate":
        return cls(
            earnings_rate_id=data["EarningsRateID"],
            name=data.get("Name") or "",
            earnings_type=data.get("EarningsType") or "",
            type_of_units=data.get("TypeOfUnits") or "",
            current_record=data.get("CurrentRecord", True) is not False,
        )


@dataclass(frozen=True, slots=True)
class TimesheetLine:
    earnings_rate_id: str
    units: tuple[Decimal, ...]

    def to_api(self) -> dict:
        return {"EarningsRateID": self.earnings_rate_id, "NumberOfUnits": [float(u) for u in self.units]}


@dataclass(frozen=True, slots=True)
class Timesheet:
    timesheet_id: str
    employee_id: str
    start_date: datetime.date
    end_date: datetime.date
    status: str
    lines: tuple[TimesheetLine, ...]
    hours: Decimal = Decimal(0)

    @classmethod
    def from_api(cls, data: dict) -> "Timesheet":
        lines = tuple(
            TimesheetLine(
                earnings_rate_id=line.get("EarningsRateID") or "",
                units=tuple(Decimal(str(u)) for u in line.get("NumberOfUnits") or ()),
            )
            for line in data.get("TimesheetLines") or ()
        )
        return cls(
            timesheet_id=data.get("TimesheetID") or "",
            employee_id=data.get("EmployeeID") or "",
            start_date=parse_ms_date(data.get("StartDate")),
            end_date=parse_ms_date(data.get("EndDate")),
            status=data.get("Status") or "",
            lines=lines,
            hours=Decimal(str(data.get("Hours") or 0)),
        )


@dataclass(frozen=True, slots=True)
class TimesheetDraft:
    """A timesheet to create (no ``timesheet_id``) or update."""

    employee_id: str
    start_date: datetime.date
    end_date: datetime.date
    status: str
    lines: tuple[TimesheetLine, ...]
    timesheet_id: str = ""

    def to_api(self) -> dict:
        data = {
            "EmployeeID": self.employee_id,
            "StartDate": format_ms_date(self.start_date),
            "EndDate": format_ms_date(self.end_date),
            "Status": self.status,
            "TimesheetLines": [line.to_api() for line in self.lines],
        }
        if self.timesheet_id:
            data["TimesheetID"] = self.timesheet_id
        return data


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """What the last response said about our remaining budget (None: not sent)."""

    minute_remaining: int | None = None
    day_remaining: int | None = None
    app_minute_remaining: int | None = None
