"""What a push of one pay period would do, per staff member, before anything is sent.

Every row says what will happen (create, update a DRAFT, skip an APPROVED/PROCESSED one, or
blocked), why, and how to fix a block. Xero's existing timesheets for the period are read first
so the preview also shows where our numbers differ from what Xero holds.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from integrations.mapping import hours_per_day
from integrations.models import PayrollPushItem, StaffXeroLink, XeroConnection, XeroPayrollCalendar
from integrations.periods import PayPeriod, days
from integrations.xero import XeroApi, XeroError
from integrations.xero.types import Timesheet
from staff.models import Organization, StaffMember
from timesheets.models import TimeEntry

CREATE, UPDATE, SKIP, BLOCKED = "create", "update", "skip", "blocked"


def timesheet_hours_by_day(sheet: Timesheet, days: int) -> list[Decimal]:
    """Hours per day of a Xero timesheet, all earnings lines added up."""
    totals = [Decimal(0)] * days
    for line in sheet.lines:
        for i, units in enumerate(line.units[:days]):
            totals[i] += units
    return totals


@dataclass
class PreviewRow:
    staff_member: StaffMember
    link: StaffXeroLink | None
    minutes_by_day: list[int]
    action: str
    reason: str = ""
    fix: str = ""
    unapproved: int = 0
    xero_timesheet: Timesheet | None = None
    changed_since_push: bool = False
    hours_by_day: list[Decimal] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_by_day)

    @property
    def total_hours(self) -> Decimal:
        return sum(self.hours_by_day, Decimal(0))

    @property
    def employee(self):
        return self.link.xero_employee if self.link else None

    @property
    def xero_hours_by_day(self) -> list[Decimal] | None:
        if self.xero_timesheet is None:
            return None
        return timesheet_hours_by_day(self.xero_timesheet, len(self.minutes_by_day))

    @property
    def differs_from_xero(self) -> bool:
        theirs = self.xero_hours_by_day
        return theirs is not None and [round(h, 2) for h in theirs] != [
            round(h, 2) for h in self.hours_by_day
        ]

    @property
    def sendable(self) -> bool:
        return self.action in (CREATE, UPDATE)


@dataclass
class Preview:
    calendar: XeroPayrollCalendar
    period: PayPeriod
    days: list[datetime.date]
    rows: list[PreviewRow]
    xero_error: str = ""

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def sendable(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.sendable]

    @property
    def total_hours(self) -> Decimal:
        return sum((r.total_hours for r in self.sendable), Decimal(0))


def _minutes_by_staff(organization: Organization, period: PayPeriod, dates: list[datetime.date]):
    """Approved minutes per staff member per day, and unapproved entry counts: two aggregate queries."""
    index = {d: i for i, d in enumerate(dates)}
    minutes: dict[int, list[int]] = defaultdict(lambda: [0] * len(dates))
    rows = (
        TimeEntry.objects.filter(
            organization=organization,
            work_date__range=(period.start, period.end),
            status=TimeEntry.Status.APPROVED,
        )
        .values("staff_member_id", "work_date")
        .annotate(total=Sum("minutes"))
    )
    for row in rows:
        minutes[row["staff_member_id"]][index[row["work_date"]]] += row["total"] or 0
    unapproved = dict(
        TimeEntry.objects.filter(organization=organization, work_date__range=(period.start, period.end))
        .exclude(status=TimeEntry.Status.APPROVED)
        .values("staff_member_id")
        .annotate(n=Count("id"))
        .values_list("staff_member_id", "n")
    )
    return minutes, unapproved


def _last_pushed_minutes(
    organization: Organization, calendar: XeroPayrollCalendar, period: PayPeriod
) -> dict[int, list]:
    items = (
        PayrollPushItem.objects.filter(
            organization=organization,
            push__calendar_id=calendar.calendar_id,
            push__period_start=period.start,
            push__period_end=period.end,
            status__in=[PayrollPushItem.Status.SENT, PayrollPushItem.Status.UPDATED],
        )
        .order_by("staff_member_id", "-push__created_at")
        .values_list("staff_member_id", "minutes_by_day")
    )
    last: dict[int, list] = {}
    for staff_id, minutes in items:
        last.setdefault(staff_id, minutes)
    return last


def read_xero_timesheets(client: XeroApi, period: PayPeriod) -> dict[str, Timesheet]:
    """Xero's timesheets for exactly this period, by employee (every page)."""
    found: dict[str, Timesheet] = {}
    for sheet in client.iter_timesheets(start_date=period.start, end_date=period.end):
        if sheet.start_date == period.start and sheet.end_date == period.end:
            found[sheet.employee_id] = sheet
    return found


def payroll_preview(
    *,
    organization: Organization,
    connection: XeroConnection,
    calendar: XeroPayrollCalendar,
    period: PayPeriod,
    xero_timesheets: dict[str, Timesheet] | None,
    xero_error: str = "",
) -> Preview:
    dates = days(period)
    minutes, unapproved = _minutes_by_staff(organization, period, dates)
    last_pushed = _last_pushed_minutes(organization, calendar, period)
    links = {
        link.staff_member_id: link
        for link in StaffXeroLink.objects.filter(
            organization=organization, tenant_id=connection.tenant_id
        ).select_related("xero_employee")
    }
    staff = StaffMember.objects.filter(organization=organization, archived_at__isnull=True)
    calendar_names = dict(
        XeroPayrollCalendar.objects.filter(
            organization=organization, tenant_id=connection.tenant_id
        ).values_list("calendar_id", "name")
    )
    rows = []
    for member in staff:
        link = links.get(member.pk)
        employee = link.xero_employee if link else None
        member_minutes = minutes.get(member.pk, [0] * len(dates))
        has_time = any(member_minutes) or unapproved.get(member.pk)
        on_calendar = employee is not None and employee.payroll_calendar_id == calendar.calendar_id
        if link is not None and employee is None:
            continue  # not paid through Xero
        if not has_time and not on_calendar:
            continue  # nothing to do with this calendar
        row = PreviewRow(
            staff_member=member,
            link=link,
            minutes_by_day=list(member_minutes),
            action=CREATE,
            unapproved=unapproved.get(member.pk, 0),
        )
        _decide(row, calendar, xero_timesheets, calendar_names)
        pushed = last_pushed.get(member.pk)
        row.changed_since_push = pushed is not None and pushed != row.minutes_by_day
        row.hours_by_day = hours_per_day(row.minutes_by_day)
        rows.append(row)
    order = {BLOCKED: 0, CREATE: 1, UPDATE: 2, SKIP: 3}
    rows.sort(key=lambda r: (order[r.action], r.staff_member.last_name, r.staff_member.first_name))
    return Preview(calendar=calendar, period=period, days=dates, rows=rows, xero_error=xero_error)


def _block(row: PreviewRow, reason: str, fix: str) -> None:
    row.action, row.reason, row.fix = BLOCKED, reason, fix


def _decide(
    row: PreviewRow,
    calendar: XeroPayrollCalendar,
    xero_timesheets: dict[str, Timesheet] | None,
    calendar_names: dict[str, str],
) -> None:
    employee = row.employee
    if employee is None:
        return _block(
            row, "Not linked to a Xero employee.", "Link them in Settings > Integrations > Staff matching."
        )
    if employee.removed_at is not None:
        return _block(row, f"{employee.full_name} is no longer in Xero.", "Check them in Staff matching.")
    if employee.is_terminated:
        return _block(
            row,
            f"{employee.full_name} is terminated in Xero.",
            "Reinstate them in Xero, or mark them not paid through Xero.",
        )
    if not employee.payroll_calendar_id:
        return _block(
            row, "Has no payroll calendar in Xero.", f"Give {employee.first_name} a calendar in Xero Payroll."
        )
    if employee.payroll_calendar_id != calendar.calendar_id:
        other = calendar_names.get(employee.payroll_calendar_id, "another calendar")
        row.action = SKIP
        row.reason = f"Paid on the {other} calendar in Xero: push that calendar for their hours."
        return None
    if not employee.ordinary_earnings_rate_id:
        return _block(
            row,
            "Has no ordinary earnings rate in Xero.",
            f"Set {employee.first_name}'s ordinary earnings rate in Xero Payroll.",
        )
    if row.unapproved:
        return _block(
            row,
            f"{row.unapproved} entr{'y' if row.unapproved == 1 else 'ies'} in this period not approved yet.",
            "Approve or delete them in Timesheets > Team.",
        )
    if not any(row.minutes_by_day):
        row.action, row.reason = SKIP, "No approved hours in this period."
        return None
    existing = (xero_timesheets or {}).get(employee.employee_id)
    row.xero_timesheet = existing
    if existing is None:
        row.action, row.reason = CREATE, "New timesheet."
    elif existing.status == "DRAFT":
        row.action, row.reason = UPDATE, "Updates the draft already in Xero."
    else:
        row.action = SKIP
        row.reason = f"Already {existing.status.lower()} in Xero: never touched."
    return None


def preview_read_xero(
    *, organization: Organization, period: PayPeriod
) -> tuple[dict[str, Timesheet] | None, str]:
    from integrations.services.connections import xero_call

    try:
        return xero_call(organization=organization, call=lambda c: read_xero_timesheets(c, period)), ""
    except XeroError as exc:
        return None, f"Could not read Xero's timesheets for this period ({exc.message})."


__all__ = [
    "BLOCKED",
    "CREATE",
    "SKIP",
    "UPDATE",
    "Preview",
    "PreviewRow",
    "payroll_preview",
    "preview_read_xero",
    "read_xero_timesheets",
]
