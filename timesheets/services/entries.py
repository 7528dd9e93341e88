"""Record, change and delete time entries; clock in and out."""

import datetime

from django.db import transaction
from django.utils import timezone

from staff.models import Organization, StaffMember, User
from staff.services import audit_record
from timeclamp.exceptions import ApplicationError

from ..formatting import format_day, format_local_moment, format_local_time
from ..models import MAX_ENTRY_MINUTES, TimeEntry
from ._common import (
    FieldErrors,
    Status,
    check_break,
    day_total_message,
    describe,
    ensure_editable,
    find_overlap,
    is_manager,
    lock_entry,
    lock_staff_member,
    minutes_between,
    snapshot,
    validate_times,
)


# --- record, change, delete --------------------------------------------------------------------
@transaction.atomic
def time_entry_create(
    *,
    organization: Organization,
    actor: User,
    staff_member: StaffMember,
    work_date: datetime.date | None,
    start_time: datetime.time | None,
    end_time: datetime.time | None,
    break_minutes: int | None = 0,
    notes: str = "",
    ends_next_day: bool = False,
) -> TimeEntry:
    staff_member = lock_staff_member(organization=organization, actor=actor, staff_member=staff_member)
    times = validate_times(
        organization=organization,
        staff_member=staff_member,
        work_date=work_date,
        start_time=start_time,
        end_time=end_time,
        ends_next_day=ends_next_day,
        break_minutes=break_minutes,
    )
    entry = TimeEntry.objects.create(
        organization=organization,
        staff_member=staff_member,
        work_date=times.work_date,
        start_at=times.start_at,
        end_at=times.end_at,
        break_minutes=times.break_minutes,
        minutes=times.minutes,
        notes=(notes or "").strip(),
        created_by=actor,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entry.created",
        target=entry,
        summary=f"{staff_member.display_name}: {describe(entry, organization.tzinfo)}",
        data=snapshot(entry),
    )
    return entry


@transaction.atomic
def time_entry_update(
    *,
    organization: Organization,
    actor: User,
    entry: TimeEntry,
    work_date: datetime.date | None,
    start_time: datetime.time | None,
    end_time: datetime.time | None,
    break_minutes: int | None = 0,
    notes: str = "",
    ends_next_day: bool = False,
) -> TimeEntry:
    """Change an entry that is not approved. An open (clocked-in) entry may stay open when no finish
    time is given. When staff change an entry they had submitted, it goes back to draft so that what
    a manager approves is what the staff member submitted last."""
    entry, staff_member = lock_entry(organization=organization, actor=actor, entry=entry)
    ensure_editable(entry)
    times = validate_times(
        organization=organization,
        staff_member=staff_member,
        work_date=work_date,
        start_time=start_time,
        end_time=end_time,
        ends_next_day=ends_next_day,
        break_minutes=break_minutes,
        exclude_pk=entry.pk,
        allow_open=entry.is_open,
    )
    before = snapshot(entry)
    entry.work_date = times.work_date
    entry.start_at = times.start_at
    entry.end_at = times.end_at
    entry.break_minutes = times.break_minutes
    entry.minutes = times.minutes
    entry.notes = (notes or "").strip()
    after = snapshot(entry)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return entry
    if entry.status == Status.SUBMITTED and not is_manager(organization=organization, actor=actor):
        entry.status = Status.DRAFT
        entry.submitted_at = None
    entry.save()
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entry.updated",
        target=entry,
        summary=f"{staff_member.display_name}: {describe(entry, organization.tzinfo)}",
        data={"before": before, "after": snapshot(entry), "changed": changed},
    )
    return entry


@transaction.atomic
def time_entry_delete(*, organization: Organization, actor: User, entry: TimeEntry) -> None:
    entry, staff_member = lock_entry(organization=organization, actor=actor, entry=entry)
    ensure_editable(entry)
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entry.deleted",
        target=entry,
        summary=f"{staff_member.display_name}: {describe(entry, organization.tzinfo)}",
        data=snapshot(entry),
    )
    entry.delete()


# --- clock in / out ----------------------------------------------------------------------------
def _now_to_the_minute() -> datetime.datetime:
    return timezone.now().replace(second=0, microsecond=0)


@transaction.atomic
def time_entry_clock_in(*, organization: Organization, actor: User, staff_member: StaffMember) -> TimeEntry:
    """Start a shift now: an open entry (no finish time) dated today in the organisation's zone."""
    staff_member = lock_staff_member(organization=organization, actor=actor, staff_member=staff_member)
    tz = organization.tzinfo
    already = TimeEntry.objects.filter(
        organization=organization, staff_member=staff_member, end_at__isnull=True
    ).first()
    if already is not None:
        raise ApplicationError(
            f"You are already clocked in since "
            f"{format_local_moment(already.start_at, tz, today=organization.today())}."
        )
    now = _now_to_the_minute()
    today = timezone.localtime(now, tz).date()
    if staff_member.is_archived:
        raise ApplicationError(f"{staff_member.display_name}'s record is archived, so they can't clock in.")
    if staff_member.start_date and today < staff_member.start_date:
        raise ApplicationError(
            f"{staff_member.display_name} starts on {format_day(staff_member.start_date, year=True)}; "
            "clocking in opens on that day."
        )
    clash = find_overlap(
        organization=organization, staff_member=staff_member, start_at=now, end_at=None, exclude_pk=None
    )
    if clash is not None:
        raise ApplicationError(
            f"You can't clock in now: {describe(clash, tz)} already covers this time. "
            "Edit that entry if it is wrong."
        )
    entry = TimeEntry.objects.create(
        organization=organization,
        staff_member=staff_member,
        work_date=today,
        start_at=now,
        end_at=None,
        created_by=actor,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entry.clocked_in",
        target=entry,
        summary=f"{staff_member.display_name} clocked in at {format_local_time(now, tz)}",
        data=snapshot(entry),
    )
    return entry


@transaction.atomic
def time_entry_clock_out(
    *, organization: Organization, actor: User, staff_member: StaffMember, break_minutes: int | None = 0
) -> TimeEntry | None:
    """Finish the running shift now and compute its minutes.

    Clocking out within the same minute as clocking in records nothing (the open entry is removed)
    and returns None: a zero-minute shift is a mistaken tap, not work.
    """
    staff_member = lock_staff_member(organization=organization, actor=actor, staff_member=staff_member)
    tz = organization.tzinfo
    entry = (
        TimeEntry.objects.select_for_update()
        .filter(organization=organization, staff_member=staff_member, end_at__isnull=True)
        .first()
    )
    if entry is None:
        raise ApplicationError("You are not clocked in.")
    now = _now_to_the_minute()
    shift = minutes_between(entry.start_at, now)
    if shift <= 0:
        audit_record(
            organization=organization,
            actor=actor,
            action="time_entry.clock_cancelled",
            target=entry,
            summary=f"{staff_member.display_name} clocked out within a minute; nothing recorded",
            data=snapshot(entry),
        )
        entry.delete()
        return None
    since = format_local_moment(entry.start_at, tz, today=organization.today())
    if shift > MAX_ENTRY_MINUTES:
        raise ApplicationError(
            f"You have been clocked in since {since}, more than 24 hours. Edit that entry to enter the "
            "time you really finished."
        )
    errors = FieldErrors()
    break_minutes = check_break(errors, break_minutes, shift)
    errors.raise_if_any()
    clash = find_overlap(
        organization=organization,
        staff_member=staff_member,
        start_at=entry.start_at,
        end_at=now,
        exclude_pk=entry.pk,
    )
    if clash is not None:
        raise ApplicationError(
            f"You can't clock out: this shift would overlap {describe(clash, tz)}. "
            "Edit or delete that entry, then clock out."
        )
    too_much = day_total_message(organization, staff_member, entry.work_date, shift - break_minutes, entry.pk)
    if too_much:
        raise ApplicationError(f"You can't clock out: {too_much}")
    entry.end_at = now
    entry.break_minutes = break_minutes
    entry.minutes = shift - break_minutes
    entry.save(update_fields=["end_at", "break_minutes", "minutes", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entry.clocked_out",
        target=entry,
        summary=f"{staff_member.display_name}: {describe(entry, tz)}",
        data=snapshot(entry),
    )
    return entry
