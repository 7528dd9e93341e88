"""Timesheets > $Payroll: request a push, and execute it in a worker, resumably and exactly once.

The shape (reliability-notes §4): the push row is the unit of work; each employee has a
PayrollPushItem; every Xero write sits between two local commits (items are marked in flight
before the POST, and their outcome is saved after it). Xero's timesheets for the period are read
before anything is sent and again after any unknown outcome, so an employee never gets two
timesheets: what Xero already holds is adopted or updated, never created twice.
"""

import datetime
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.exceptions import XeroNotConnected, XeroReconnectRequired
from integrations.governor import GovernorTimeout
from integrations.mapping import (
    batch_idempotency_key,
    chunk,
    draft_fingerprint,
    hours_per_day,
    timesheet_draft,
)
from integrations.models import (
    PayrollPush,
    PayrollPushItem,
    StaffXeroLink,
    XeroConnection,
    XeroEmployee,
    XeroPayrollCalendar,
)
from integrations.periods import PayPeriod, days, is_pay_period
from integrations.services.connections import xero_call, xero_connection_get
from integrations.services.payroll_preview import (
    BLOCKED,
    SKIP,
    payroll_preview,
    read_xero_timesheets,
    timesheet_hours_by_day,
)
from integrations.services.payroll_setup import payroll_settings_get
from integrations.services.xero_factory import rate_governor
from integrations.xero import XeroRateLimited, XeroUnavailable, XeroValidationError
from integrations.xero.types import Timesheet
from staff.models import Organization, User
from staff.services import audit_record
from timeclamp.exceptions import ApplicationError
from timeclamp.fields import DecryptionError
from timeclamp.outages import outlast_outages
from timesheets.services import time_entries_mark_pushed

logger = logging.getLogger(__name__)

BATCH_SIZE = 50  # Xero recommends at most ~50 elements per request
# A worker holds a push for at most LEASE without a sign of life (every batch renews it); a killed
# worker's push is taken over by the watchdog once it lapses. No single wait may exceed it.
LEASE = datetime.timedelta(minutes=2)
BATCHES_PER_TURN = 2  # then the push goes to the back of the queue, so small pushes are not held up
# Queue order (Redis serves priority 0 first; the embedded filesystem broker ignores it): a push that
# fits in one batch, then the first turn of a bigger push, then later turns. A small organisation's
# push waits for the turns running now, not for big pushes queued before it.
SMALL_PUSH_PRIORITY, FIRST_TURN_PRIORITY, NEXT_TURN_PRIORITY = 0, 3, 6
MAX_UNKNOWN_ROUNDS = 4
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
UNFINISHED_ITEMS = [
    PayrollPushItem.Status.PENDING,
    PayrollPushItem.Status.IN_FLIGHT,
    PayrollPushItem.Status.UNKNOWN,
]
KEY_PROBLEM_RETRY = datetime.timedelta(minutes=5)
KEY_PROBLEM = "Timeclamp could not read its stored Xero sign-in"
# A pending push can wait in a long queue (later turns queue behind first turns): re-queue it only
# when its message is surely lost. A duplicate message is harmless (the lease decides) but wasteful.
LOST_MESSAGE_AFTER = datetime.timedelta(minutes=15)
LONG_WAIT = 60  # a Retry-After longer than this parks the push instead of sleeping in the worker


class PushYield(Exception):
    """This turn's batches are sent; the rest continues in a new task at the back of the queue."""


class PushTakenOver(Exception):
    """An outage outlasted this run's lease: another run owns the push now; this one must not write."""


class PushParked(Exception):
    def __init__(self, retry_after: float, problem: str):
        super().__init__(problem)
        self.retry_after = retry_after
        self.problem = problem


# --- request --------------------------------------------------------------------------------------
def _usable_connection(organization: Organization) -> XeroConnection:
    connection = xero_connection_get(organization=organization)
    if connection is None or connection.status == XeroConnection.Status.DISCONNECTED:
        raise XeroNotConnected("Connect Xero first: Settings > Integrations.")
    if connection.status == XeroConnection.Status.LEGACY_OAUTH1:
        raise XeroReconnectRequired("Xero retired OAuth 1.0: disconnect and connect again.")
    if not connection.is_active:
        raise XeroReconnectRequired("Xero access has ended: an admin must reconnect Xero.")
    return connection


def payroll_push_request(
    *,
    organization: Organization,
    actor: User,
    calendar: XeroPayrollCalendar,
    period: PayPeriod,
    retry_of: PayrollPush | None = None,
) -> tuple[PayrollPush, bool]:
    """Create the push and queue it on commit. A double click or a second tab gets the push that is
    already waiting or running for this calendar and period (a database constraint decides)."""

    connection = _usable_connection(organization)
    if not is_pay_period(
        calendar_type=calendar.calendar_type,
        start_date=calendar.start_date,
        period_start=period.start,
        period_end=period.end,
    ):
        raise ApplicationError("That is not a pay period of this Xero calendar. Pick one from the list.")
    active = PayrollPush.objects.filter(
        organization=organization,
        calendar_id=calendar.calendar_id,
        period_start=period.start,
        period_end=period.end,
        status__in=PayrollPush.ACTIVE,
    ).first()
    if active is not None:
        return active, False
    org_settings = payroll_settings_get(organization=organization)
    try:
        with transaction.atomic():
            linked = StaffXeroLink.objects.filter(
                organization=organization, xero_employee__isnull=False
            ).count()
            push = PayrollPush.objects.create(
                organization=organization,
                needs_queueing=True,
                queue_priority=SMALL_PUSH_PRIORITY if linked <= BATCH_SIZE else FIRST_TURN_PRIORITY,
                tenant_id=connection.tenant_id,
                calendar_id=calendar.calendar_id,
                calendar_name=calendar.name,
                period_start=period.start,
                period_end=period.end,
                send_as=org_settings.send_as,
                key=uuid.uuid4(),
                requested_by=actor,
                retry_of=retry_of,
                step="Waiting for a worker",
            )
            audit_record(
                organization=organization,
                actor=actor,
                action="payroll.push_requested",
                target=push,
                summary=f"{calendar.name}: {period.start:%-d %b} – {period.end:%-d %b %Y}",
                data={"retry_of": retry_of.pk if retry_of else None},
            )
            transaction.on_commit(
                lambda: payroll_push_enqueue(organization_id=organization.pk, push_id=push.pk)
            )
    except IntegrityError:
        push = PayrollPush.objects.get(
            organization=organization,
            calendar_id=calendar.calendar_id,
            period_start=period.start,
            period_end=period.end,
            status__in=PayrollPush.ACTIVE,
        )
        return push, False
    return push, True


def payroll_push_resume(*, organization: Organization, actor: User, push: PayrollPush) -> PayrollPush:
    """A parked push now, rather than at the time Xero gave ("Resume now": Xero support raised the
    limit, or the keys were fixed). If the limit still holds, Xero says so and the push parks again."""
    with transaction.atomic():
        push = PayrollPush.objects.select_for_update().get(organization=organization, pk=push.pk)
        if push.status != PayrollPush.Status.PARKED:
            return push
        push.next_attempt_at = timezone.now()
        push.step = "Resuming"
        push.needs_queueing = True
        push.save(update_fields=["next_attempt_at", "step", "needs_queueing", "updated_at"])
        audit_record(
            organization=organization, actor=actor, action="payroll.push_resumed", target=push, summary=""
        )
        transaction.on_commit(lambda: payroll_push_enqueue(organization_id=organization.pk, push_id=push.pk))
    return push


def payroll_push_retry_failed(*, organization: Organization, actor: User, push: PayrollPush) -> PayrollPush:
    """A new push of the same period: what was sent is found in Xero and left as is (or updated if our
    numbers changed); only what failed or never went is sent."""
    calendar = XeroPayrollCalendar.objects.filter(
        organization=organization, calendar_id=push.calendar_id
    ).first()
    if calendar is None:
        raise ApplicationError("That payroll calendar is no longer in Xero. Refresh the calendars.")
    new, _ = payroll_push_request(
        organization=organization,
        actor=actor,
        calendar=calendar,
        period=PayPeriod(start=push.period_start, end=push.period_end, payment_date=None),
        retry_of=push,
    )
    return new


def payroll_push_enqueue(*, organization_id: int, push_id: int) -> None:
    """Hand a push marked ``needs_queueing`` to the broker, at its ``queue_priority``, and clear the
    mark. If the broker is down the mark stays (the push is committed: nothing is lost) and the
    watchdog's next run tries again; the user is never shown an error for it. Called on commit and
    by the watchdog (which holds ids, not a scope)."""
    from kombu.exceptions import OperationalError as BrokerError

    from integrations.tasks import payroll_push_execute_task

    rows = PayrollPush.all_organizations.filter(organization_id=organization_id, pk=push_id)
    marked = rows.filter(needs_queueing=True).values_list("queue_priority", "updated_at").first()
    if marked is None:
        return  # already queued (or no longer waiting)
    priority, seen_at = marked
    try:
        payroll_push_execute_task.apply_async(
            kwargs={"organization_id": organization_id, "push_id": push_id}, queue="xero", priority=priority
        )
    except (BrokerError, OSError):
        logger.warning("Broker unavailable: push %s waits for the watchdog", push_id, exc_info=True)
    else:
        # only the mark we published for: a push saved since (its next turn) keeps its own mark
        rows.filter(updated_at=seen_at).update(needs_queueing=False)


def payroll_pushes_requeue_due() -> int:
    """The watchdog: mark every due push for queueing and queue it (see payroll_pushes_due)."""
    due = payroll_pushes_due()
    PayrollPush.all_organizations.filter(pk__in=[push_id for _org, push_id in due]).update(
        needs_queueing=True
    )
    for organization_id, push_id in due:
        payroll_push_enqueue(organization_id=organization_id, push_id=push_id)
    return len(due)


# --- execute --------------------------------------------------------------------------------------
@dataclass
class _Context:
    organization: Organization
    push: PayrollPush
    sleep: Callable[[float], None]
    batches: int = 0


def _claim(organization: Organization, push_id: int, owner: str) -> PayrollPush | None:
    """Take the push for this worker (a lease). None when it is finished, parked, or owned by a live
    worker. The same task (a Celery retry after a broker or database error, or the redelivery of a
    killed worker's message: same task id) takes its own lease back at once; anyone else waits for
    the lease to lapse, and the watchdog resumes it then.

    Assumption: a message is redelivered only when its worker died or the task ended (Redis'
    visibility timeout, 1 h, is longer than the task's hard time limit)."""
    now = timezone.now()
    with transaction.atomic():
        push = PayrollPush.objects.select_for_update().get(organization=organization, pk=push_id)
        if not push.is_active:
            return None
        if push.status == PayrollPush.Status.PARKED and push.next_attempt_at and push.next_attempt_at > now:
            return None
        held = push.status == PayrollPush.Status.RUNNING and push.lease_until and push.lease_until > now
        if held and not (owner and push.lease_owner == owner):
            return None
        if held:  # our own earlier run died: its last POST may still be at Xero for up to a timeout
            push.last_sign_of_life = push.lease_until - LEASE
        push.status = PayrollPush.Status.RUNNING
        push.lease_until = now + LEASE
        push.lease_owner = owner
        push.attempts += 1
        push.started_at = push.started_at or now
        push.next_attempt_at = None
        push.needs_queueing = False
        push.save()
    return push


def _progress(push: PayrollPush, step: str) -> None:
    counts = {s: 0 for s in PayrollPushItem.Status.values}
    for status in PayrollPushItem.objects.filter(push=push).values_list("status", flat=True):
        counts[status] += 1
    push.step = step
    push.total = sum(counts.values())
    push.sent, push.updated, push.skipped = counts["sent"], counts["updated"], counts["skipped"]
    push.failed, push.blocked = counts["failed"], counts["blocked"]
    push.done = push.sent + push.updated + push.skipped + push.failed + push.blocked
    push.lease_until = timezone.now() + LEASE
    push.save(
        update_fields=[
            "step",
            "total",
            "sent",
            "updated",
            "skipped",
            "failed",
            "blocked",
            "done",
            "lease_until",
            "xero_calls",
            "updated_at",
        ]
    )


def payroll_push_execute(
    *, organization: Organization, push_id: int, sleep: Callable[[float], None] = time.sleep, owner: str = ""
) -> PayrollPush:
    push = _claim(organization, push_id, owner)
    if push is None:
        return PayrollPush.objects.get(organization=organization, pk=push_id)
    ctx = _Context(organization=organization, push=push, sleep=sleep)
    quiet_until = getattr(push, "last_sign_of_life", None)
    if quiet_until is not None:  # let a POST of the run that died land before reading Xero again
        wait = (quiet_until - timezone.now()).total_seconds() + settings.XERO_TIMEOUT_SECONDS
        if wait > 0:
            _progress(push, "Resuming: letting Xero finish what was already sent")
            sleep(min(wait, settings.XERO_TIMEOUT_SECONDS))

    def still_ours() -> None:
        renewed = PayrollPush.objects.filter(
            organization=organization,
            pk=push.pk,
            status=PayrollPush.Status.RUNNING,
            lease_owner=push.lease_owner,
        ).update(lease_until=timezone.now() + LEASE)
        if not renewed:
            raise PushTakenOver

    try:
        # resumable: it carries on from the items, unless an outage outlasted this run's lease
        outlast_outages(lambda: _execute(ctx), sleep=sleep, before_retry=still_ours)
    except PushTakenOver:
        logger.warning("Push %s: the lease lapsed during an outage; another run has it", push.pk)
        return push
    except PushParked as parked:
        push.next_attempt_at = timezone.now() + datetime.timedelta(seconds=parked.retry_after)
        resume_at = timezone.localtime(push.next_attempt_at, organization.tzinfo)
        return _stop(
            ctx,
            PayrollPush.Status.PARKED,
            step="Paused by Xero's limit",
            action="payroll.push_parked",
            error=f"Xero's {parked.problem} limit for this organisation was reached. The push resumes "
            f"by itself at {resume_at:%-I:%M %p}.",
        )
    except DecryptionError:
        # A server configuration problem (TOKEN_ENCRYPTION_KEYS lost its key), not the user's: park and
        # try again every few minutes, so the push resumes once ops fix the keys. Said and audited once.
        first_time = not push.last_error.startswith(KEY_PROBLEM)
        (logger.error if first_time else logger.warning)(
            "Push %s: the stored Xero tokens cannot be decrypted with TOKEN_ENCRYPTION_KEYS", push.pk
        )
        sent = PayrollPushItem.objects.filter(
            push=push, status__in=[PayrollPushItem.Status.SENT, PayrollPushItem.Status.UPDATED]
        ).count()
        so_far = f"{sent} timesheets were sent before it; the rest" if sent else "Nothing was sent; the push"
        push.next_attempt_at = timezone.now() + KEY_PROBLEM_RETRY
        return _stop(
            ctx,
            PayrollPush.Status.PARKED,
            step="Paused: Timeclamp cannot read its Xero sign-in",
            action="payroll.push_parked" if first_time else "",
            error=f"{KEY_PROBLEM} (a problem on our side, not yours). {so_far} resumes by itself once it is fixed.",
        )
    except (XeroReconnectRequired, XeroNotConnected) as exc:
        push.finished_at = timezone.now()
        return _stop(
            ctx,
            PayrollPush.Status.BLOCKED,
            step="Stopped: reconnect Xero",
            action="payroll.push_blocked",
            error=exc.message,
        )
    except PushYield:
        push.needs_queueing, push.queue_priority = True, NEXT_TURN_PRIORITY
        _stop(ctx, PayrollPush.Status.PENDING, step="Sending timesheets", action="", error="")
        transaction.on_commit(lambda: payroll_push_enqueue(organization_id=organization.pk, push_id=push.pk))
        return push
    except XeroUnavailable:
        _stop(
            ctx,
            PayrollPush.Status.PENDING,
            step="Waiting for Xero",
            action="",
            error="Xero is not answering; trying again shortly.",
        )
        raise  # the task retries with backoff; the next run resumes from the items
    try:
        outlast_outages(lambda: _finish(ctx), sleep=sleep, before_retry=still_ours)
    except PushTakenOver:
        logger.warning("Push %s: the lease lapsed during an outage; another run finishes it", push.pk)
    return push


def _stop(ctx: _Context, status: str, *, step: str, action: str, error: str) -> PayrollPush:
    """Leave the push in ``status`` with a message for the user (and an audit row when ``action``)."""
    push = ctx.push
    push.status, push.last_error, push.lease_until = status, error[:500], None
    _progress(push, step)
    push.save()
    if action:
        audit_record(
            organization=ctx.organization, actor=None, action=action, target=push, summary=error[:255]
        )
    return push


def _execute(ctx: _Context) -> None:
    push = ctx.push
    has_items = PayrollPushItem.objects.filter(push=push).exists()
    uncertain = PayrollPushItem.objects.filter(
        push=push, status__in=[PayrollPushItem.Status.IN_FLIGHT, PayrollPushItem.Status.UNKNOWN]
    ).exists()
    existing: dict[str, Timesheet] | None = None
    if not has_items or uncertain:  # first turn, or a turn after an unknown outcome: ask Xero first
        _progress(push, "Reading Xero's timesheets for the period")
        existing = _read_period(ctx)
    if not has_items:
        _create_items(ctx, existing)
    unknown = False
    for _round in range(MAX_UNKNOWN_ROUNDS):
        if existing is not None:
            _reconcile(ctx, existing)
        pending = list(
            PayrollPushItem.objects.filter(push=push, status=PayrollPushItem.Status.PENDING).select_related(
                "staff_member"
            )
        )
        if not pending:
            return
        unknown = _send(ctx, pending)
        if not unknown:
            continue
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**_round) * random.uniform(0.5, 1.0)  # noqa: S311 - jitter
        _progress(push, "Xero did not confirm some timesheets: checking before sending again")
        ctx.sleep(delay)
        existing = _read_period(ctx)
    if existing is not None:  # settle what the last round's read found
        _reconcile(ctx, existing)
    if not PayrollPushItem.objects.filter(push=push, status__in=UNFINISHED_ITEMS).exists():
        return
    if unknown:  # the last round's send was not confirmed either: back off (the task retries later)
        raise XeroUnavailable("Xero kept failing to answer.", outcome_unknown=True)
    raise PushYield  # Xero answered; the rest of a rejected batch waits for another turn


def _read_period(ctx: _Context) -> dict[str, Timesheet]:
    period = PayPeriod(start=ctx.push.period_start, end=ctx.push.period_end, payment_date=None)

    def read(client):
        try:
            return read_xero_timesheets(client, period)
        finally:
            ctx.push.xero_calls += client.calls

    return _with_rate_limits(ctx, lambda: xero_call(organization=ctx.organization, call=read))


def _with_rate_limits(ctx: _Context, call):
    """Honour Retry-After exactly: short waits sleep in the worker; a daily limit parks the push."""
    while True:
        try:
            return call()
        except GovernorTimeout as exc:  # our own budget for this tenant is spent: wait for a slot
            if exc.retry_after > LONG_WAIT:
                raise PushParked(exc.retry_after, "minute") from exc
            _progress(ctx.push, "Pacing calls to stay inside Xero's limits")
            ctx.sleep(max(exc.retry_after, 0.2))
        except XeroRateLimited as exc:
            if exc.problem == "day" or exc.retry_after > LONG_WAIT:
                raise PushParked(exc.retry_after, exc.problem) from exc
            rate_governor().penalise(ctx.push.tenant_id, exc.retry_after)  # every worker waits too
            _progress(ctx.push, f"Waiting {exc.retry_after:g} s for Xero's rate limit")
            ctx.sleep(exc.retry_after)


def _create_items(ctx: _Context, existing: dict[str, Timesheet]) -> None:
    push, organization = ctx.push, ctx.organization
    connection = _usable_connection(organization)
    calendar = XeroPayrollCalendar.objects.get(
        organization=organization, tenant_id=push.tenant_id, calendar_id=push.calendar_id
    )
    period = PayPeriod(start=push.period_start, end=push.period_end, payment_date=None)
    preview = payroll_preview(
        organization=organization,
        connection=connection,
        calendar=calendar,
        period=period,
        xero_timesheets=existing,
    )
    status_for = {SKIP: PayrollPushItem.Status.SKIPPED, BLOCKED: PayrollPushItem.Status.BLOCKED}
    with transaction.atomic():
        PayrollPushItem.objects.bulk_create(
            PayrollPushItem(
                organization=organization,
                push=push,
                staff_member=row.staff_member,
                xero_employee_id=row.employee.employee_id if row.employee else "",
                action=row.action,
                status=status_for.get(row.action, PayrollPushItem.Status.PENDING),
                minutes_by_day=row.minutes_by_day,
                earnings_rate_id=row.employee.ordinary_earnings_rate_id if row.employee else "",
                xero_timesheet_id=row.xero_timesheet.timesheet_id if row.xero_timesheet else "",
                explanation=" ".join(p for p in (row.reason, row.fix) if p)[:500],
            )
            for row in preview.rows
        )
    _progress(push, "Preparing timesheets")


def _drafts_equal(ours: list[int], theirs: Timesheet) -> bool:
    xero = timesheet_hours_by_day(theirs, len(ours))
    return [round(t, 2) for t in xero] == [round(h, 2) for h in hours_per_day(ours)]


def _reconcile(ctx: _Context, existing: dict[str, Timesheet]) -> None:
    """Match unfinished items against what Xero holds now: adopt, update or skip; never duplicate."""
    items = PayrollPushItem.objects.filter(
        push=ctx.push,
        status__in=[
            PayrollPushItem.Status.PENDING,
            PayrollPushItem.Status.IN_FLIGHT,
            PayrollPushItem.Status.UNKNOWN,
        ],
    )
    for item in items:
        theirs = existing.get(item.xero_employee_id)
        was_sent = item.status in (PayrollPushItem.Status.IN_FLIGHT, PayrollPushItem.Status.UNKNOWN)
        if theirs is None:
            if was_sent or item.action == "update":
                item.action, item.xero_timesheet_id = "create", ""
            item.status = PayrollPushItem.Status.PENDING
        elif theirs.status != "DRAFT" and not (was_sent and theirs.status == ctx.push.send_as):
            item.status = PayrollPushItem.Status.SKIPPED
            item.xero_timesheet_id = theirs.timesheet_id
            item.explanation = f"Already {theirs.status.lower()} in Xero: never touched."
        elif _drafts_equal(item.minutes_by_day, theirs) and (was_sent or item.action == "update"):
            item.status = (
                PayrollPushItem.Status.SENT if item.action == "create" else PayrollPushItem.Status.UPDATED
            )
            item.xero_timesheet_id = theirs.timesheet_id
            item.explanation = (
                "Xero had already taken it (its answer was lost on the way): confirmed, not sent twice."
                if was_sent
                else "Xero's draft already had exactly these hours: nothing needed changing."
            )
        else:
            item.action, item.xero_timesheet_id = "update", theirs.timesheet_id
            item.status = PayrollPushItem.Status.PENDING
        item.save(update_fields=["status", "action", "xero_timesheet_id", "explanation", "updated_at"])


def _send(ctx: _Context, pending: list[PayrollPushItem]) -> bool:
    """Send pending items in batches. Returns True when some outcome is unknown (re-read Xero)."""
    push, organization = ctx.push, ctx.organization
    employees = {
        e.employee_id: e
        for e in XeroEmployee.objects.filter(
            organization=organization,
            tenant_id=push.tenant_id,
            employee_id__in=[i.xero_employee_id for i in pending],
        )
    }
    org_settings = payroll_settings_get(organization=organization)
    period = PayPeriod(start=push.period_start, end=push.period_end, payment_date=None)
    for batch in chunk(pending, BATCH_SIZE):
        if ctx.batches >= BATCHES_PER_TURN:
            raise PushYield
        drafts = []
        for item in batch:
            employee = employees.get(item.xero_employee_id)
            rate = employee.ordinary_earnings_rate_id if employee else item.earnings_rate_id
            draft = timesheet_draft(
                employee_id=item.xero_employee_id,
                period=period,
                minutes_by_date=dict(
                    zip(days(period), _ordinary(item.minutes_by_day, org_settings), strict=True)
                ),
                earnings_rate_id=rate,
                status=push.send_as,
                timesheet_id=item.xero_timesheet_id,
                overtime_rate_id=org_settings.overtime_earnings_rate_id or None,
                overtime_minutes_by_date=_overtime(item, org_settings, period),
            )
            item.payload_hash = draft_fingerprint(draft)
            drafts.append(draft)
        with transaction.atomic():  # recovery point before the foreign write
            for item in batch:
                item.status, item.attempts = PayrollPushItem.Status.IN_FLIGHT, item.attempts + 1
            PayrollPushItem.objects.bulk_update(batch, ["status", "attempts", "payload_hash", "updated_at"])
        _progress(push, f"Sending timesheets {push.done + 1}–{push.done + len(batch)} of {push.total}")
        key = batch_idempotency_key(str(push.key), drafts)
        if _send_batch(ctx, batch, drafts, key):
            return True  # outcome unknown: back off and ask Xero before sending anything more
        ctx.batches += 1  # only batches with a known outcome use up the turn
        _progress(push, "Sending timesheets")
    return False


def _ordinary(minutes: list[int], org_settings) -> list[int]:
    if not org_settings.overtime_after_minutes or not org_settings.overtime_earnings_rate_id:
        return list(minutes)
    return [min(m, org_settings.overtime_after_minutes) for m in minutes]


def _overtime(item: PayrollPushItem, org_settings, period: PayPeriod):
    if not org_settings.overtime_after_minutes or not org_settings.overtime_earnings_rate_id:
        return None
    extra = [max(0, m - org_settings.overtime_after_minutes) for m in item.minutes_by_day]
    if not any(extra):
        return None
    return dict(zip(days(period), extra, strict=True))


def _send_batch(ctx: _Context, batch: list[PayrollPushItem], drafts, key: str) -> bool:
    by_employee = {item.xero_employee_id: item for item in batch}

    def post(client):
        try:
            return client.post_timesheets(drafts, idempotency_key=key)
        finally:
            ctx.push.xero_calls += client.calls

    try:
        created = _with_rate_limits(ctx, lambda: xero_call(organization=ctx.organization, call=post))
    except XeroValidationError as exc:
        return _record_rejection(batch, by_employee, exc)
    except XeroUnavailable as exc:
        status = PayrollPushItem.Status.UNKNOWN if exc.outcome_unknown else PayrollPushItem.Status.PENDING
        PayrollPushItem.objects.filter(pk__in=[i.pk for i in batch]).update(status=status)
        return True
    with transaction.atomic():
        for sheet in created:
            item = by_employee.get(sheet.employee_id)
            if item is None:
                continue
            item.status = (
                PayrollPushItem.Status.UPDATED if item.action == "update" else PayrollPushItem.Status.SENT
            )
            item.xero_timesheet_id = sheet.timesheet_id
            item.xero_message = ""
            item.explanation = ""
            item.save(
                update_fields=["status", "xero_timesheet_id", "xero_message", "explanation", "updated_at"]
            )
        missing = [i.pk for i in batch if i.xero_employee_id not in {s.employee_id for s in created}]
        if missing:  # Xero answered without them: find out by reading the period again
            PayrollPushItem.objects.filter(pk__in=missing).update(status=PayrollPushItem.Status.UNKNOWN)
            return True
    return False


def explain_xero_message(message: str) -> str:
    """Our plain-English reading of Xero's validation messages."""
    text = message.lower()
    if "already exists" in text:
        return "Xero already has a timesheet for this person and period; Timeclamp will update it when you retry."
    if "pay period" in text or ("period" in text and "correspond" in text):
        return "The dates do not match this person's payroll calendar in Xero. Check their calendar in Xero."
    if "calendar" in text:
        return "This person has no payroll calendar in Xero. Give them one in Xero Payroll, then retry."
    if "earnings rate" in text or "earningsrate" in text:
        return "The earnings rate is not set up for this person in Xero. Check their pay template in Xero."
    if "terminated" in text or "inactive" in text:
        return "This person is terminated in Xero. Reinstate them in Xero or mark them not paid through Xero."
    if "approved" in text or "processed" in text:
        return "Xero's timesheet is already approved or processed, so it was not changed."
    return "Xero rejected this timesheet. Correct it in Xero or Timeclamp, then press Retry failed."


def _record_rejection(batch, by_employee, exc: XeroValidationError) -> bool:
    """Xero rejected the batch. Items it named fail with its message; the others go back to pending
    and are sent again in the next batch (Assumption: Xero saves nothing from a rejected batch).

    "This timesheet already exists" for an item we meant to create means Xero got it some other way
    (an earlier attempt whose answer we never saw): the item becomes unknown, and the push re-reads
    Xero and adopts or updates it. Returns True when that happened."""
    named = set()
    unknown = False
    with transaction.atomic():
        for entry in exc.items:
            employee_id = str(entry.get("element", {}).get("EmployeeID", ""))
            item = by_employee.get(employee_id)
            if item is None or not entry.get("messages"):
                continue
            named.add(item.pk)
            message = "; ".join(m for m in entry["messages"] if m)
            if "already exists" in message.lower() and item.action == "create":
                item.status, unknown = PayrollPushItem.Status.UNKNOWN, True
                item.save(update_fields=["status", "updated_at"])
                continue
            item.status, item.xero_message = PayrollPushItem.Status.FAILED, message[:1000]
            item.explanation = explain_xero_message(message)
            item.save(update_fields=["status", "xero_message", "explanation", "updated_at"])
        rest = [i.pk for i in batch if i.pk not in named]
        if named:
            PayrollPushItem.objects.filter(pk__in=rest).update(status=PayrollPushItem.Status.PENDING)
        else:  # nothing attributable: every item in the batch fails with Xero's message
            PayrollPushItem.objects.filter(pk__in=rest).update(
                status=PayrollPushItem.Status.FAILED,
                xero_message=exc.message[:1000],
                explanation=explain_xero_message(exc.message),
            )
    return unknown


@transaction.atomic  # all or nothing, so a database blink mid-way can run it again
def _finish(ctx: _Context) -> None:
    push, organization = ctx.push, ctx.organization
    current = (
        PayrollPush.objects.select_for_update().only("status").get(organization=organization, pk=push.pk)
    )
    if current.status not in PayrollPush.ACTIVE:
        return  # a repeat after the COMMIT landed but its answer was lost: already finished
    _progress(push, "Done")
    push.status = PayrollPush.Status.PARTIAL if push.failed else PayrollPush.Status.SUCCEEDED
    push.finished_at, push.lease_until, push.last_error = timezone.now(), None, ""
    push.save()
    sent_staff = list(
        PayrollPushItem.objects.filter(
            push=push, status__in=[PayrollPushItem.Status.SENT, PayrollPushItem.Status.UPDATED]
        ).values_list("staff_member_id", flat=True)
    )
    time_entries_mark_pushed(
        organization=organization,
        staff_member_ids=sent_staff,
        start=push.period_start,
        end=push.period_end,
        at=push.finished_at,
    )
    audit_record(
        organization=organization,
        actor=None,
        action="payroll.push_finished",
        target=push,
        summary=f"{push.sent} sent, {push.updated} updated, {push.skipped} skipped, {push.failed} failed, "
        f"{push.blocked} blocked",
        data={"xero_calls": push.xero_calls, "attempts": push.attempts},
    )


# --- watchdog -------------------------------------------------------------------------------------
def payroll_pushes_due() -> list[tuple[int, int]]:
    """(organization_id, push_id) of pushes a worker should pick up: parked ones whose time has come,
    pending ones still marked ``needs_queueing`` (the broker was down, or the process died before
    publishing), pending ones nobody took for a long time (a message the broker lost), running ones
    whose lease expired (a worker killed mid-push)."""
    from timeclamp.tenancy import unscoped

    now = timezone.now()
    with unscoped():
        due = PayrollPush.all_organizations.filter(
            Q(status="parked", next_attempt_at__lte=now)
            # (also one whose on-commit publish is under way: a duplicate message is a no-op)
            | Q(status="pending", needs_queueing=True)
            | Q(status="pending", updated_at__lte=now - LOST_MESSAGE_AFTER)
            | Q(status="running", lease_until__lt=now)
        ).values_list("organization_id", "pk")
        return list(due)
