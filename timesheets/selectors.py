"""Reads of time entries: lists, one person's week, period totals for the team, and what changed
since the hours were sent to Xero Payroll.

Tenant first, keyword-only. Neither query counts nor the rows fetched depend on the number of staff:
a week is at most three queries; a team period is four (the people count and one page of people,
one aggregate per day and status for the whole team, and one per person and day for that page).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Lower

from staff.models import Organization, StaffMember
from staff.selectors import staff_member_list

from .models import TimeEntry, TimeEntryReopening

Status = TimeEntry.Status
MAX_PERIOD_DAYS = 62  # the team view's longest range: two months and a bit, enough for any pay period
DAILY_COLUMNS_MAX_DAYS = 14  # longer ranges show one total per person instead of a column per day
TEAM_PER_PAGE = 50  # people per page of the team view; totals always cover the whole team


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


def time_entry_minutes_on_day(
    *, organization: Organization, staff_member: StaffMember, work_date: datetime.date, exclude_pk: int | None
) -> int:
    """Worked minutes recorded for a person on a date (the entry being edited left out)."""
    entries = TimeEntry.objects.filter(
        organization=organization, staff_member=staff_member, work_date=work_date
    )
    if exclude_pk is not None:
        entries = entries.exclude(pk=exclude_pk)
    return entries.aggregate(total=Sum("minutes"))["total"] or 0


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
    status, from ONE aggregate query (of everyone, or of the given people)."""

    start: datetime.date
    end: datetime.date
    by_person_day: dict[tuple[int, datetime.date], int] = field(default_factory=dict)
    by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_day: dict[datetime.date, int] = field(default_factory=lambda: defaultdict(int))
    approved_by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    counts_by_person: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(_empty_counts))
    open_by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    pushed_by_person: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    last_pushed_by_person: dict[int, datetime.datetime] = field(default_factory=dict)
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
    *,
    organization: Organization,
    start: datetime.date,
    end: datetime.date,
    staff_member_ids: Iterable[int] | None = None,
    per_day: bool = True,
) -> PeriodTotals:
    """Per-person totals of everyone with time in [start, end], or only of ``staff_member_ids``
    (one page of the team view): one query, one row per person, day and status. Without
    ``per_day``, one row per person and status (``by_person_day`` and ``by_day`` stay empty)."""
    qs = TimeEntry.objects.filter(work_date__gte=start, work_date__lte=end)
    if staff_member_ids is None:
        qs = qs.filter(organization=organization)
    else:
        # Some people: the tenant is checked through them (the scoped manager adds the entries'
        # organisation too). A second, identical organisation term on the entries would make SQLite's
        # planner (no ANALYZE statistics) read the whole team's period instead of these people's.
        qs = qs.filter(staff_member__organization=organization, staff_member_id__in=list(staff_member_ids))
    group_by = ["staff_member_id", "work_date", "status"] if per_day else ["staff_member_id", "status"]
    rows = (
        qs.values(*group_by)
        .annotate(
            total=Sum("minutes"),
            entries=Count("id"),
            open=Count("id", filter=Q(end_at__isnull=True)),
            pushed=Count("id", filter=Q(pushed_at__isnull=False)),
            last_pushed=Max("pushed_at"),
        )
        .order_by()
    )
    totals = PeriodTotals(start=start, end=end)
    for row in rows:
        person, status, minutes = row["staff_member_id"], row["status"], row["total"] or 0
        if per_day:
            key = (person, row["work_date"])
            totals.by_person_day[key] = totals.by_person_day.get(key, 0) + minutes
            totals.by_day[row["work_date"]] += minutes
        totals.by_person[person] += minutes
        totals.minutes += minutes
        totals.counts[status] += row["entries"]
        totals.counts_by_person[person][status] += row["entries"]
        totals.open_by_person[person] += row["open"]
        if status == Status.APPROVED:
            totals.approved_by_person[person] += minutes
            if row["pushed"]:
                totals.pushed_by_person[person] += row["pushed"]
                last = totals.last_pushed_by_person.get(person)
                if last is None or row["last_pushed"] > last:
                    totals.last_pushed_by_person[person] = row["last_pushed"]
    return totals


@dataclass
class TeamTotals:
    """The whole team's minutes per day and for the period, entry counts by status, and how many
    people are clocked in, from ONE aggregate query whose result has a row per day and status
    (however many people there are)."""

    start: datetime.date
    end: datetime.date
    by_day: dict[datetime.date, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[str, int] = field(default_factory=_empty_counts)
    minutes: int = 0
    approved_minutes: int = 0
    clocked_in: int = 0  # people with a running shift in the period (one open entry per person at most)

    @property
    def days(self) -> list[datetime.date]:
        return period_days(self.start, self.end)


def timesheet_team_totals_for_period(
    *, organization: Organization, start: datetime.date, end: datetime.date
) -> TeamTotals:
    """One query, answered from the period index alone (organisation, date, status, minutes,
    end), so it stays fast with thousands of entries in the period."""
    rows = (
        TimeEntry.objects.filter(organization=organization, work_date__gte=start, work_date__lte=end)
        .values("work_date", "status")
        .annotate(total=Sum("minutes"), entries=Count("pk"), open=Count("pk", filter=Q(end_at__isnull=True)))
        .order_by()
    )
    totals = TeamTotals(start=start, end=end)
    for row in rows:
        minutes = row["total"] or 0
        totals.by_day[row["work_date"]] += minutes
        totals.minutes += minutes
        totals.counts[row["status"]] += row["entries"]
        totals.clocked_in += row["open"]
        if row["status"] == Status.APPROVED:
            totals.approved_minutes += minutes
    return totals


@dataclass(frozen=True)
class TeamRow:
    staff_member: StaffMember
    cells: list[tuple[datetime.date, int]]  # minutes per day; empty when the period has no day columns
    minutes: int
    approved_minutes: int
    counts: dict[str, int]
    clocked_in: bool
    pushed: int = 0  # approved entries already sent to Xero Payroll
    pushed_at: datetime.datetime | None = None  # the latest of their pushes in the period

    @property
    def entry_count(self) -> int:
        return sum(self.counts.values())

    @property
    def all_pushed(self) -> bool:
        return bool(self.pushed) and self.pushed == self.counts.get(Status.APPROVED, 0)


@dataclass(frozen=True)
class TeamSheet:
    """One page of people (``rows``) and the totals of the whole team (``totals``)."""

    start: datetime.date
    end: datetime.date
    rows: list[TeamRow]
    totals: TeamTotals
    page: Page

    @property
    def days(self) -> list[datetime.date]:
        return self.totals.days

    @property
    def daily_columns(self) -> bool:
        return len(self.days) <= DAILY_COLUMNS_MAX_DAYS

    @property
    def day_totals(self) -> list[tuple[datetime.date, int]]:
        return [(day, self.totals.by_day.get(day, 0)) for day in self.days]

    @property
    def people_count(self) -> int:
        return self.page.paginator.count


def timesheet_team_people(
    *, organization: Organization, start: datetime.date, end: datetime.date
) -> QuerySet[StaffMember]:
    """Everyone on the team view: active staff, plus anyone archived or inactive who still has time
    in the period; by last name, first name (case-insensitive), then id so pages are stable."""
    has_time = Exists(
        TimeEntry.objects.filter(
            organization=organization, staff_member=OuterRef("pk"), work_date__gte=start, work_date__lte=end
        )
    )
    return (
        staff_member_list(organization=organization, include_archived=True)
        .filter(Q(archived_at__isnull=True, is_active=True) | has_time)
        .order_by(Lower("last_name"), Lower("first_name"), "pk")
    )


def timesheet_team_get(
    *,
    organization: Organization,
    start: datetime.date,
    end: datetime.date,
    page: int | str | None = 1,
    per_page: int = TEAM_PER_PAGE,
) -> TeamSheet:
    """One page of people with their hours, and the whole team's totals. A page number out of range
    (or not a number) gives the nearest page, as Paginator.get_page does. Four queries at most."""
    people_page = Paginator(
        timesheet_team_people(organization=organization, start=start, end=end), per_page
    ).get_page(page)
    people = list(people_page.object_list)
    team = timesheet_team_totals_for_period(organization=organization, start=start, end=end)
    daily = len(team.days) <= DAILY_COLUMNS_MAX_DAYS  # longer periods show no day columns
    totals = (
        timesheet_totals_for_period(
            organization=organization,
            start=start,
            end=end,
            staff_member_ids=[p.pk for p in people],
            per_day=daily,
        )
        if people
        else PeriodTotals(start=start, end=end)
    )
    days = team.days if daily else []
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
            pushed=totals.pushed_by_person.get(person.pk, 0),
            pushed_at=totals.last_pushed_by_person.get(person.pk),
        )
        for person in people
    ]
    return TeamSheet(start=start, end=end, rows=rows, totals=team, page=people_page)


# --- sent to Xero Payroll ----------------------------------------------------------------------
def period_changed_since_push(
    *,
    organization: Organization,
    staff_member_ids: Iterable[int],
    start: datetime.date,
    end: datetime.date,
) -> set[int]:
    """Of ``staff_member_ids``, the people whose approved hours in [start, end] changed after they
    were sent to Xero Payroll, so the period should be pushed again for them. One query.

    A person is listed when they have an approved entry in the range that has not been sent
    (``pushed_at`` is null) AND either
      - another of their entries in the range has been sent (an entry added or corrected and
        approved after the push), or
      - one of their entries in the range was reopened after it had been sent (a reopening records
        ``entry_pushed_at``; reopening clears the entry's ``pushed_at``, so this catches a person
        whose only pushed entry was corrected).
    Pushing the period again marks every approved entry sent, which takes the person off the list.
    Not seen here: an entry deleted after being reopened (its reopening no longer points at a
    person); the payroll preview compares with the hours last sent and catches that.
    """
    people = {int(pk) for pk in staff_member_ids}
    if not people:
        return set()
    in_range = TimeEntry.objects.filter(
        organization=organization, staff_member_id__in=people, work_date__gte=start, work_date__lte=end
    )
    pushed_before = TimeEntry.objects.filter(
        organization=organization,
        staff_member_id=OuterRef("staff_member_id"),
        work_date__gte=start,
        work_date__lte=end,
        pushed_at__isnull=False,
    )
    reopened_after_push = TimeEntryReopening.objects.filter(
        organization=organization,
        entry_pushed_at__isnull=False,
        time_entry__staff_member_id=OuterRef("staff_member_id"),
        time_entry__work_date__gte=start,
        time_entry__work_date__lte=end,
    )
    return set(
        in_range.filter(status=Status.APPROVED, pushed_at__isnull=True)
        .filter(Exists(pushed_before) | Exists(reopened_after_push))
        .values_list("staff_member_id", flat=True)
        .distinct()
        .order_by()
    )
