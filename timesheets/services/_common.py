"""Shared by the time-entry services: domain errors, who may act, row locks, and turning a date and
wall-clock times in the organisation's zone into validated UTC datetimes (DST-aware)."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from staff.models import Membership, Organization, Role, StaffMember, User
from timeclamp.exceptions import ApplicationError

from ..formatting import format_clock, format_day, format_local_moment, format_local_time, format_minutes
from ..models import MAX_BREAK_MINUTES, MAX_ENTRY_MINUTES, TimeEntry
from ..selectors import time_entry_minutes_on_day

MAX_DAY_MINUTES = 24 * 60

Status = TimeEntry.Status
UTC = datetime.UTC
MAX_DAYS_AHEAD = 1  # tomorrow's shift may be entered in advance; nothing later
MAX_DAYS_BACK = 366  # older corrections go through support, not the timesheet
REASON_MAX_LENGTH = 500


class TimesheetLocked(ApplicationError):
    """The entry is approved: it may already be in payroll, so it is read-only until reopened."""


class TimeEntryInvalid(ApplicationError):
    """Input that cannot be saved; ``extra["fields"]`` maps form fields to messages."""


class TimesheetPermissionDenied(ApplicationError):
    """The actor's role does not allow this action (approving, reopening)."""


# --- who may act -------------------------------------------------------------------------------
def actor_role(*, organization: Organization, actor: User) -> str | None:
    return (
        Membership.objects.filter(organization=organization, user=actor)
        .values_list("role", flat=True)
        .first()
    )


def is_manager(*, organization: Organization, actor: User) -> bool:
    role = actor_role(organization=organization, actor=actor)
    return role is not None and Role.at_least(role, Role.MANAGER)


def require_manager(*, organization: Organization, actor: User, doing: str) -> None:
    if not is_manager(organization=organization, actor=actor):
        raise TimesheetPermissionDenied(f"Only managers and admins can {doing}.")


def lock_staff_member(*, organization: Organization, actor: User, staff_member: StaffMember) -> StaffMember:
    """Re-read the staff record under a row lock (serialises writes to one person's time, so the
    overlap check cannot race) and check that ``actor`` may act on it."""
    if staff_member.organization_id != organization.pk:
        raise StaffMember.DoesNotExist
    locked = StaffMember.objects.select_for_update().get(organization=organization, pk=staff_member.pk)
    if locked.user_id != actor.pk and not is_manager(organization=organization, actor=actor):
        raise StaffMember.DoesNotExist
    return locked


def lock_entry(*, organization: Organization, actor: User, entry: TimeEntry) -> tuple[TimeEntry, StaffMember]:
    if entry.organization_id != organization.pk:
        raise TimeEntry.DoesNotExist
    try:
        staff_member = lock_staff_member(
            organization=organization, actor=actor, staff_member=entry.staff_member
        )
    except StaffMember.DoesNotExist as exc:
        raise TimeEntry.DoesNotExist from exc
    locked = TimeEntry.objects.select_for_update().get(organization=organization, pk=entry.pk)
    return locked, staff_member


def ensure_editable(entry: TimeEntry) -> None:
    if entry.status == Status.APPROVED:
        raise TimesheetLocked(
            f"The entry for {format_day(entry.work_date)} is approved, so it can't be changed. "
            "A manager can reopen it with a reason."
        )


# --- validation --------------------------------------------------------------------------------
class FieldErrors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def raise_if_any(self) -> None:
        if self.fields:
            raise TimeEntryInvalid("Please correct the highlighted fields.", extra={"fields": self.fields})


def is_ambiguous(moment: datetime.datetime) -> bool:
    return moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()


def local_datetime(
    day: datetime.date, at: datetime.time, tz, *, label: str, after: datetime.datetime | None = None
) -> datetime.datetime:
    """The aware moment of wall-clock ``at`` on ``day`` in ``tz``.

    A time skipped when clocks go forward raises ValueError with a message for the user. A time that
    happens twice when clocks go back is read as the first occurrence, unless that would not be after
    ``after`` (a shift ending in the repeated hour), when the second one is meant.
    """
    naive = datetime.datetime.combine(day, at.replace(second=0, microsecond=0, tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0)
    shown = first.astimezone(UTC).astimezone(tz)
    if shown.replace(tzinfo=None) != naive:
        raise ValueError(
            f"{label} {format_clock(at)} didn't happen on {format_day(day)}: clocks went forward an hour "
            f"for daylight saving. Did you mean {format_clock(shown)}?"
        )
    if after is not None and is_ambiguous(first) and first.astimezone(UTC) <= after.astimezone(UTC):
        return naive.replace(tzinfo=tz, fold=1)
    return first


def minutes_between(start: datetime.datetime, end: datetime.datetime) -> int:
    """Elapsed whole minutes, in UTC: subtracting two datetimes of one zone would ignore DST."""
    return int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() // 60)


def check_break(errors: FieldErrors, break_minutes: int | None, shift_minutes: int | None) -> int:
    if break_minutes is None:
        return 0
    if isinstance(break_minutes, bool) or not isinstance(break_minutes, int):
        # forms give an int; anything else (1.5, NaN, "30") reaching the service is refused, not coerced
        errors.add("break_minutes", "Enter the unpaid break in whole minutes, for example 30.")
        return 0
    if break_minutes < 0:
        errors.add("break_minutes", "A break can't be negative. Enter 0 if there was no unpaid break.")
    elif break_minutes > MAX_BREAK_MINUTES:
        errors.add(
            "break_minutes",
            f"A break can be at most {format_minutes(MAX_BREAK_MINUTES)} ({MAX_BREAK_MINUTES} minutes).",
        )
    elif shift_minutes is not None and shift_minutes > 0 and break_minutes >= shift_minutes:
        errors.add(
            "break_minutes",
            f"The break must be shorter than the shift ({format_minutes(shift_minutes)}).",
        )
    return break_minutes


def day_total_message(
    organization: Organization, staff_member: StaffMember, work_date: datetime.date, minutes: int, exclude_pk
) -> str | None:
    """Why ``minutes`` more on ``work_date`` cannot be recorded, or None. Xero gets one number of
    hours per day (the day a shift starts), and a day has 24 of them."""
    total = minutes + time_entry_minutes_on_day(
        organization=organization, staff_member=staff_member, work_date=work_date, exclude_pk=exclude_pk
    )
    if total <= MAX_DAY_MINUTES:
        return None
    return (
        f"{staff_member.display_name} would have {format_minutes(total)} on {format_day(work_date)}; a "
        "day can hold at most 24 hours. End this shift at midnight and record the rest as an entry on the "
        "next day."
    )


def find_overlap(
    *,
    organization: Organization,
    staff_member: StaffMember,
    start_at: datetime.datetime,
    end_at: datetime.datetime | None,
    exclude_pk: int | None,
) -> TimeEntry | None:
    """Another entry of the same person sharing any minute with [start_at, end_at). An open entry
    (clocked in) runs until now; so does the one being checked when ``end_at`` is None."""
    now = timezone.now()
    until = end_at if end_at is not None else max(now, start_at + datetime.timedelta(minutes=1))
    overlapping = Q(end_at__isnull=False, start_at__lt=until, end_at__gt=start_at)
    if start_at < now:
        overlapping |= Q(end_at__isnull=True, start_at__lt=until)
    return (
        TimeEntry.objects.filter(organization=organization, staff_member=staff_member)
        .filter(overlapping)
        .exclude(pk=exclude_pk)
        .order_by("start_at")
        .first()
    )


def overlap_message(organization: Organization, clash: TimeEntry) -> str:
    tz = organization.tzinfo
    if clash.is_open:
        when = format_local_moment(clash.start_at, tz, today=organization.today())
        return f"This overlaps the shift clocked in at {when}, which is still running."
    return (
        f"This overlaps another entry: {format_day(clash.work_date)}, "
        f"{format_local_time(clash.start_at, tz)} to {format_local_time(clash.end_at, tz)}."
    )


@dataclass(frozen=True)
class EntryTimes:
    work_date: datetime.date
    start_at: datetime.datetime
    end_at: datetime.datetime | None
    break_minutes: int
    minutes: int


def validate_times(
    *,
    organization: Organization,
    staff_member: StaffMember,
    work_date: datetime.date | None,
    start_time: datetime.time | None,
    end_time: datetime.time | None,
    ends_next_day: bool,
    break_minutes: int | None,
    exclude_pk: int | None = None,
    allow_open: bool = False,
) -> EntryTimes:
    errors = FieldErrors()
    tz = organization.tzinfo
    today = organization.today()
    if staff_member.is_archived:
        raise TimeEntryInvalid(
            f"{staff_member.display_name}'s record is archived. Restore it on the Staff page to record time."
        )
    if work_date is None:
        errors.add("work_date", "Enter the date the shift started.")
    elif work_date > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        errors.add(
            "work_date",
            f"{format_day(work_date, year=True)} is too far ahead: time can be entered up to "
            f"tomorrow ({format_day(today + datetime.timedelta(days=1))}).",
        )
    elif staff_member.start_date and work_date < staff_member.start_date:
        errors.add(
            "work_date",
            f"{staff_member.display_name} started on {format_day(staff_member.start_date, year=True)}; "
            "time before that date can't be entered.",
        )
    elif work_date < today - datetime.timedelta(days=MAX_DAYS_BACK):
        errors.add("work_date", "Entries more than a year old can't be added or changed here.")
    if start_time is None:
        errors.add("start_time", "Enter the start time.")
    if end_time is None and not allow_open:
        errors.add("end_time", "Enter the finish time.")
    if end_time is None and ends_next_day:
        errors.add("end_time", "Enter the finish time, or untick “Finishes next day”.")

    start_at = end_at = None
    if "work_date" not in errors and start_time is not None:
        try:
            start_at = local_datetime(work_date, start_time, tz, label="Start time")
        except ValueError as exc:
            errors.add("start_time", str(exc))
    if start_at is not None and end_time is not None:
        end_day = work_date + datetime.timedelta(days=1 if ends_next_day else 0)
        try:
            end_at = local_datetime(end_day, end_time, tz, label="Finish time", after=start_at)
        except ValueError as exc:
            errors.add("end_time", str(exc))

    shift = None
    if start_at is not None and end_at is not None:
        shift = minutes_between(start_at, end_at)
        if shift <= 0:
            hint = "" if ends_next_day else " For a shift that ends after midnight, tick “Finishes next day”."
            errors.add("end_time", f"The finish time must be after the start time.{hint}")
        elif shift > MAX_ENTRY_MINUTES:
            errors.add(
                "end_time",
                f"One entry can be at most 24 hours; this one is {format_minutes(shift)}. "
                "Split it into one entry per shift.",
            )
    break_minutes = check_break(errors, break_minutes, shift if shift and shift > 0 else None)
    if start_at is not None and end_at is None and "end_time" not in errors:
        if start_at > timezone.now():
            errors.add("start_time", "A shift that is still running can't start in the future.")
        elif break_minutes:
            errors.add("break_minutes", "Add the break when the shift is finished.")
    errors.raise_if_any()
    clash = find_overlap(
        organization=organization,
        staff_member=staff_member,
        start_at=start_at,
        end_at=end_at,
        exclude_pk=exclude_pk,
    )
    if clash is not None:
        errors.add("start_time", overlap_message(organization, clash))
        errors.raise_if_any()
    minutes = shift - break_minutes if end_at is not None else 0
    too_much = day_total_message(organization, staff_member, work_date, minutes, exclude_pk)
    if too_much:
        errors.add("end_time", too_much)
        errors.raise_if_any()
    return EntryTimes(
        work_date=work_date,
        start_at=start_at.astimezone(UTC),
        end_at=end_at.astimezone(UTC) if end_at is not None else None,
        break_minutes=break_minutes,
        minutes=minutes,
    )


def describe(entry: TimeEntry, tz) -> str:
    if entry.end_at is None:
        return f"{format_day(entry.work_date)} from {format_local_time(entry.start_at, tz)} (clocked in)"
    return (
        f"{format_day(entry.work_date)} {format_local_time(entry.start_at, tz)}-"
        f"{format_local_time(entry.end_at, tz)} ({format_minutes(entry.minutes)})"
    )


def snapshot(entry: TimeEntry) -> dict:
    return {
        "staff_member_id": entry.staff_member_id,
        "work_date": entry.work_date.isoformat(),
        "start_at": entry.start_at.isoformat(),
        "end_at": entry.end_at.isoformat() if entry.end_at else None,
        "break_minutes": entry.break_minutes,
        "minutes": entry.minutes,
        "notes": entry.notes,
        "status": entry.status,
    }
