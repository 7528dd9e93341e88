"""The approval workflow: draft -> submitted -> approved, and reopening an approved entry."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from staff.models import Organization, StaffMember, User
from staff.services import audit_record
from timeclamp.exceptions import ApplicationError

from ..formatting import format_day
from ..models import TimeEntry, TimeEntryReopening
from ._common import (
    REASON_MAX_LENGTH,
    Status,
    TimeEntryInvalid,
    describe,
    lock_entry,
    lock_staff_member,
    require_manager,
    snapshot,
)


# --- workflow ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmitResult:
    submitted: int
    skipped_open: int

    @property
    def message(self) -> str:
        text = f"Submitted {self.submitted} {'entry' if self.submitted == 1 else 'entries'} for approval."
        if self.skipped_open:
            text += " The shift still clocked in was left out: submit it after clocking out."
        return text


@transaction.atomic
def time_entries_submit(
    *, organization: Organization, actor: User, staff_member: StaffMember, week_start: datetime.date
) -> SubmitResult:
    """Send the draft entries of one person's week (Monday ``week_start`` to Sunday) for approval."""
    staff_member = lock_staff_member(organization=organization, actor=actor, staff_member=staff_member)
    week_end = week_start + datetime.timedelta(days=6)
    week = TimeEntry.objects.filter(
        organization=organization,
        staff_member=staff_member,
        work_date__gte=week_start,
        work_date__lte=week_end,
        status=Status.DRAFT,
    )
    ids = list(week.filter(end_at__isnull=False).values_list("pk", flat=True))
    skipped_open = week.filter(end_at__isnull=True).count()
    if not ids:
        reason = (
            "the only draft is a shift that is still clocked in; clock out first"
            if skipped_open
            else "there are no draft entries (they are already submitted or approved, or none were recorded)"
        )
        raise ApplicationError(f"Nothing to submit for the week of {format_day(week_start)}: {reason}.")
    now = timezone.now()
    submitted = TimeEntry.objects.filter(organization=organization, pk__in=ids, status=Status.DRAFT).update(
        status=Status.SUBMITTED, submitted_at=now, updated_at=now
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entries.submitted",
        target=staff_member,
        summary=f"{staff_member.display_name}: {submitted} entries for the week of {format_day(week_start)}",
        data={"entry_ids": ids, "week_start": week_start.isoformat()},
    )
    return SubmitResult(submitted=submitted, skipped_open=skipped_open)


@dataclass(frozen=True)
class ApprovalResult:
    approved: int
    skipped_draft: int = 0
    skipped_approved: int = 0
    skipped_missing: int = 0

    @property
    def skipped(self) -> int:
        return self.skipped_draft + self.skipped_approved + self.skipped_missing

    @property
    def message(self) -> str:
        def n(count: int) -> str:
            return f"{count} {'entry' if count == 1 else 'entries'}"

        text = f"Approved {n(self.approved)}." if self.approved else "Nothing was approved."
        reasons = []
        if self.skipped_draft:
            reasons.append(f"{self.skipped_draft} still in draft (not submitted yet)")
        if self.skipped_approved:
            reasons.append(f"{self.skipped_approved} already approved")
        if self.skipped_missing:
            reasons.append(f"{self.skipped_missing} not found (deleted meanwhile)")
        if reasons:
            text += f" Skipped {n(self.skipped)}: {', '.join(reasons)}."
        elif not self.approved:
            text += " There were no submitted entries to approve."
        return text


@transaction.atomic
def time_entries_approve(
    *,
    organization: Organization,
    actor: User,
    entry_ids: Iterable[int] | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    staff_member_ids: Iterable[int] | None = None,
) -> ApprovalResult:
    """Approve submitted entries: the given ``entry_ids``, or every entry dated ``start``..``end``
    (optionally only of ``staff_member_ids``). Drafts and approved entries are skipped and counted.

    Set-based, two statements however many entries or people: one query counts the selection by
    status (an aggregate for a period), one UPDATE approves what is still submitted. One audit row
    records the counts (and, for ticked entries, which ones); entries approved together share
    ``approved_at``, which the audit row records too."""
    require_manager(organization=organization, actor=actor, doing="approve timesheets")
    qs = TimeEntry.objects.filter(organization=organization)
    wanted: set[int] = set()
    people: set[int] | None = None
    if entry_ids is not None:
        wanted = {int(pk) for pk in entry_ids}
        if not wanted:
            raise ApplicationError("Select at least one entry to approve.")
        qs = qs.filter(pk__in=wanted)
    elif start is not None and end is not None:
        if end < start:
            raise ApplicationError("The period ends before it starts.")
        qs = qs.filter(work_date__gte=start, work_date__lte=end)
        if staff_member_ids is not None:
            people = {int(pk) for pk in staff_member_ids}
            if not people:
                raise ApplicationError("Select at least one person to approve.")
            qs = qs.filter(staff_member_id__in=people)
    else:
        raise ApplicationError("Choose entries or a period to approve.")
    approved_ids: list[int] = []
    if entry_ids is not None:
        # Ticked entries are a handful chosen on one week page: read them to record which were approved.
        rows = list(qs.values_list("pk", "status"))
        before = {status: sum(1 for _, st in rows if st == status) for status in Status.values}
        approved_ids = sorted(pk for pk, status in rows if status == Status.SUBMITTED)
        to_approve = TimeEntry.objects.filter(organization=organization, pk__in=approved_ids)
    else:
        # A period: count by status in the database, however many people and entries.
        before = qs.aggregate(**{status: Count("pk", filter=Q(status=status)) for status in Status.values})
        to_approve = qs
    now = timezone.now()
    approved = 0
    if before[Status.SUBMITTED]:
        approved = to_approve.filter(status=Status.SUBMITTED).update(
            status=Status.APPROVED, approved_at=now, approved_by=actor, updated_at=now
        )
    result = ApprovalResult(
        approved=approved,
        skipped_draft=before[Status.DRAFT],
        # approved meanwhile by someone else counts as already approved
        skipped_approved=before[Status.APPROVED] + before[Status.SUBMITTED] - approved,
        skipped_missing=len(wanted) - sum(before.values()) if entry_ids is not None else 0,
    )
    if approved:
        period = f" for {format_day(start)} to {format_day(end, year=True)}" if start and end else ""
        data: dict = {
            "approved": approved,
            "approved_at": now.isoformat(),
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "staff_member_ids": sorted(people) if people is not None else None,
            "skipped_draft": result.skipped_draft,
            "skipped_approved": result.skipped_approved,
        }
        if entry_ids is not None:
            data["entry_ids"] = approved_ids
            data["skipped_missing"] = result.skipped_missing
        audit_record(
            organization=organization,
            actor=actor,
            action="time_entries.approved",
            summary=f"Approved {approved} {'entry' if approved == 1 else 'entries'}{period}",
            data=data,
        )
    return result


@transaction.atomic
def time_entry_reopen(*, organization: Organization, actor: User, entry: TimeEntry, reason: str) -> TimeEntry:
    """Approved -> draft, so it can be corrected. The reason is kept (TimeEntryReopening + audit).

    An entry already sent to Xero Payroll may still be reopened: its ``pushed_at`` is cleared (the
    hours in Xero are now out of date) and kept on the reopening and in the audit data, so
    selectors.period_changed_since_push can say the period needs pushing again."""
    require_manager(organization=organization, actor=actor, doing="reopen approved entries")
    entry, staff_member = lock_entry(organization=organization, actor=actor, entry=entry)
    reason = " ".join((reason or "").split())
    if not reason:
        raise TimeEntryInvalid(
            "Say why the entry is reopened.", extra={"fields": {"reason": ["Say why the entry is reopened."]}}
        )
    if len(reason) > REASON_MAX_LENGTH:
        message = f"Keep the reason under {REASON_MAX_LENGTH} characters (it has {len(reason)})."
        raise TimeEntryInvalid(message, extra={"fields": {"reason": [message]}})
    if entry.status != Status.APPROVED:
        raise ApplicationError(
            f"Only approved entries can be reopened; this one is {entry.get_status_display().lower()}."
        )
    pushed_at = entry.pushed_at
    TimeEntryReopening.objects.create(
        organization=organization,
        time_entry=entry,
        reason=reason,
        reopened_by=actor,
        entry_pushed_at=pushed_at,
    )
    entry.status = Status.DRAFT
    entry.submitted_at = None
    entry.approved_at = None
    entry.approved_by = None
    entry.pushed_at = None
    entry.save(
        update_fields=["status", "submitted_at", "approved_at", "approved_by", "pushed_at", "updated_at"]
    )
    summary = f"{staff_member.display_name}: {describe(entry, organization.tzinfo)}. Reason: {reason}"
    if pushed_at is not None:
        sent = timezone.localtime(pushed_at, organization.tzinfo).date()
        summary += f" (had been sent to Xero Payroll on {format_day(sent, year=True)})"
    audit_record(
        organization=organization,
        actor=actor,
        action="time_entry.reopened",
        target=entry,
        summary=summary,
        data={
            "reason": reason,
            "was_pushed": pushed_at is not None,
            "pushed_at": pushed_at.isoformat() if pushed_at else None,
            **snapshot(entry),
        },
    )
    return entry


# --- sent to payroll ---------------------------------------------------------------------------
@transaction.atomic
def time_entries_mark_pushed(
    *,
    organization: Organization,
    staff_member_ids: Iterable[int],
    start: datetime.date,
    end: datetime.date,
    at: datetime.datetime,
) -> int:
    """Record that the approved hours of ``staff_member_ids`` dated ``start``..``end`` were sent to
    Xero Payroll at ``at``: one UPDATE; returns how many entries were marked.

    Called by the payroll push (integrations) once Xero has accepted the timesheets. Every approved
    entry of those people in the period is marked, including ones marked by an earlier push: the
    latest push carries all of them. Drafts and submitted entries are not touched (they were not
    sent). No audit row of its own: the push that calls it records its outcome."""
    if end < start:
        raise ApplicationError("The period ends before it starts.")
    if timezone.is_naive(at):
        raise ApplicationError("The push time must be timezone-aware.")
    people = {int(pk) for pk in staff_member_ids}
    if not people:
        return 0
    return TimeEntry.objects.filter(
        organization=organization,
        staff_member_id__in=people,
        work_date__gte=start,
        work_date__lte=end,
        status=Status.APPROVED,
    ).update(pushed_at=at)
