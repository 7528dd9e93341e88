"""Reads of time entries: lists, one person's week, and period totals for the team.

Tenant first, keyword-only. Query counts do not depend on the number of staff or entries: a week is
two queries, a team period is at most three (staff, one aggregate, and any archived people who still
have hours in the period).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from staff.models import Organization, StaffMember
from staff.selectors import staff_member_list

from .models import TimeEntry, TimeEntryReopening

Status = TimeEntry.Status
MAX_PERIOD_DAYS = 62  # the team view's longest range: two months and a bit, enough for any pay period
DAILY_COLUMNS_MAX_DAYS = 14  # longer ranges show one total per person instead of a column per day


# --- weeks -------------------------------------------------------------------------------------
def week_start(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s ISO week."""
    return day - datetime.timedelta(days=day.weekday())


def week_days(start: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range(7)]


def period_days(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def iso_week(day: datetime.date) -> str:
    """2026-W10, the value of ``?week=``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_parse(value: str | None) -> datetime.date | None:
    """The Monday of an ISO week written ``YYYY-Www`` (``2026-W10``); None if it is not one."""
    value = (value or "").strip().upper()
    if len(value) != 8 or value[4:6] != "-W" or not (value[:4].isdigit() and value[6:].isdigit()):
        return None
    year, week = int(value[:4]), int(value[6:])
    if not 2000 <= year <= 2100:
        return None
    try:
        return datetime.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None


# --- entries -----------------------------------------------------------------------------------
def time_entry_list(
    *,
    organization: Organization,
    staff_member: StaffMember | None = None,
    start: datetime.date,
    end: datetime.date,
    status: str | None = None,
) -> QuerySet[TimeEntry]:
    """Entries whose work date is in [start, end], oldest first, with their staff member."""
    qs = TimeEntry.objects.filter(
        organization=organization, work_date__gte=start, work_date__lte=end
    ).select_related("staff_member")
    if staff_member is not None:
        qs = qs.filter(staff_member=staff_member)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("work_date", "start_at", "id")


def time_entry_get(*, organization: Organization, pk: int) -> TimeEntry:
    """Raises TimeEntry.DoesNotExist for a missing entry and for another organisation's alike."""
    return TimeEntry.objects.select_related("staff_member").get(organization=organization, pk=pk)


def time_entry_open_get(*, organization: Organization, staff_member: StaffMember) -> TimeEntry | None:
    """The entry ``staff_member`` is clocked in on, if any (at most one: a unique constraint)."""
    return TimeEntry.objects.filter(
        organization=organization, staff_member=staff_member, end_at__isnull=True
    ).first()


# --- one person's week -------------------------------------------------------------------------
@dataclass(frozen=True)
class DaySheet:
    day: datetime.date
    entries: list[TimeEntry]
    minutes: int
    is_today: bool


@dataclass(frozen=True)
class WeekSheet:
    staff_member: StaffMember
    start: datetime.date
    days: list[DaySheet]
    minutes: int
    counts: dict[str, int]
    open_entry: TimeEntry | None

    @property
    def end(self) -> datetime.date:
        return self.start + datetime.timedelta(days=6)

    @property
    def week(self) -> str:
        return iso_week(self.start)

    @property
    def previous_week(self) -> str:
        return iso_week(self.start - datetime.timedelta(days=7))

    @property
    def next_week(self) -> str:
        return iso_week(self.start + datetime.timedelta(days=7))

    @property
    def entry_count(self) -> int:
        return sum(self.counts.values())

    @property
    def submittable(self) -> int:
        """Draft entries that are finished (not clocked in) and so can be submitted."""
        return sum(1 for d in self.days for e in d.entries if e.status == Status.DRAFT and not e.is_open)


def timesheet_week_get(
    *, organization: Organization, staff_member: StaffMember, start: datetime.date
) -> WeekSheet:
    """Monday-to-Sunday of ``staff_member`` from the week of ``start``: at most three queries (the
    entries, their reopening reasons, and the running shift if it started in another week)."""
    start = week_start(start)
    end = start + datetime.timedelta(days=6)
    reasons = Prefetch("reopenings", queryset=TimeEntryReopening.objects.filter(organization=organization))
    entries = list(
        time_entry_list(
            organization=organization, staff_member=staff_member, start=start, end=end
        ).prefetch_related(reasons)
    )
    by_day: dict[datetime.date, list[TimeEntry]] = defaultdict(list)
    counts = {status: 0 for status in Status.values}
    for entry in entries:
        by_day[entry.work_date].append(entry)
        counts[entry.status] += 1
    today = organization.today()
    days = [
        DaySheet(
            day=day, entries=by_day[day], minutes=sum(e.minutes for e in by_day[day]), is_today=day == today
        )
        for day in week_days(start)
    ]
    open_entry = next((e for e in entries if e.is_open), None)
    if open_entry is None:
        open_entry = time_entry_open_get(organization=organization, staff_member=staff_member)
    return WeekSheet(
        staff_member=staff_member,
        start=start,
        days=days,
        minutes=sum(d.minutes for d in days),
        counts=counts,
        open_entry=open_entry,
    )


# --- team totals -------------------------------------------------------------------------------
def _empty_counts() -> dict[str, int]:
    return {status: 0 for status in Status.values}


@dataclass
class PeriodTotals:
    """Minutes per person per day, per person, per day and for the period, and entry counts by
    status, from ONE aggregate query."""

    start: datetime.date
    end: datetime.date
    by_person_day: dict[tuple[int, datetime.date], int] = field(default_factory=dict)
    by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_day: dict[datetime.date, int] = field(default_factory=lambda: defaultdict(int))
    approved_by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    counts_by_person: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(_empty_counts))
    open_by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[str, int] = field(default_factory=_empty_counts)
    minutes: int = 0

    @property
    def days(self) -> list[datetime.date]:
        return period_days(self.start, self.end)

    @property
    def approved_minutes(self) -> int:
        return sum(self.approved_by_person.values())

    @property
    def staff_member_ids(self) -> set[int]:
        return set(self.by_person)


def timesheet_totals_for_period(
    *, organization: Organization, start: datetime.date, end: datetime.date
) -> PeriodTotals:
    rows = (
        TimeEntry.objects.filter(organization=organization, work_date__gte=start, work_date__lte=end)
        .values("staff_member_id", "work_date", "status")
        .annotate(total=Sum("minutes"), entries=Count("id"), open=Count("id", filter=Q(end_at__isnull=True)))
        .order_by()
    )
    totals = PeriodTotals(start=start, end=end)
    for row in rows:
        person, day, status, minutes = (
            row["staff_member_id"],
            row["work_date"],
            row["status"],
            row["total"] or 0,
        )
        key = (person, day)
        totals.by_person_day[key] = totals.by_person_day.get(key, 0) + minutes
        totals.by_person[person] += minutes
        totals.by_day[day] += minutes
        totals.minutes += minutes
        totals.counts[status] += row["entries"]
        totals.counts_by_person[person][status] += row["entries"]
        totals.open_by_person[person] += row["open"]
        if status == Status.APPROVED:
            totals.approved_by_person[person] += minutes
    return totals


@dataclass(frozen=True)
class TeamRow:
    staff_member: StaffMember
    cells: list[tuple[datetime.date, int]]
    minutes: int
    approved_minutes: int
    counts: dict[str, int]
    clocked_in: bool

    @property
    def entry_count(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TeamSheet:
    start: datetime.date
    end: datetime.date
    rows: list[TeamRow]
    totals: PeriodTotals

    @property
    def days(self) -> list[datetime.date]:
        return self.totals.days

    @property
    def daily_columns(self) -> bool:
        return len(self.days) <= DAILY_COLUMNS_MAX_DAYS

    @property
    def day_totals(self) -> list[tuple[datetime.date, int]]:
        return [(day, self.totals.by_day.get(day, 0)) for day in self.days]


def timesheet_team_get(*, organization: Organization, start: datetime.date, end: datetime.date) -> TeamSheet:
    """One row per active staff member, plus anyone archived who still has hours in the period."""
    totals = timesheet_totals_for_period(organization=organization, start=start, end=end)
    people = list(staff_member_list(organization=organization).filter(is_active=True))
    missing = totals.staff_member_ids - {p.pk for p in people}
    if missing:
        people += list(
            StaffMember.objects.filter(organization=organization, pk__in=missing).select_related("user")
        )
        people.sort(key=lambda p: (p.last_name.lower(), p.first_name.lower(), p.pk))
    days = totals.days
    rows = [
        TeamRow(
            staff_member=person,
            cells=[(day, totals.by_person_day.get((person.pk, day), 0)) for day in days],
            minutes=totals.by_person.get(person.pk, 0),
            approved_minutes=totals.approved_by_person.get(person.pk, 0),
            counts=dict(totals.counts_by_person[person.pk])
            if person.pk in totals.counts_by_person
            else _empty_counts(),
            clocked_in=totals.open_by_person.get(person.pk, 0) > 0,
        )
        for person in people
    ]
    return TeamSheet(start=start, end=end, rows=rows, totals=totals)
