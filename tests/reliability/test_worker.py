"""Pushes on real Celery workers (``celery -A timeclamp worker`` subprocesses on the Redis broker)
against the Xero sandbox over real HTTP on 127.0.0.1, including workers killed mid-push.

reliability-notes §8: F1 (pool child SIGKILLed after Xero received the POST), F2 (whole worker
SIGKILLed, restarted), F3 (SIGTERM: warm shutdown during the POST), F5 (partly: the broker is
unreachable when the push is requested). In every case: the push completes, and Xero never holds two
timesheets for one employee and period.

Times are kept short by fast-forwarding what would take minutes in production: the push's lease
(2 minutes) and the age of a lost pending push (2 minutes) are moved back in the database, and a
Redis message left unacknowledged by a dead worker is restored by hand (Redis does it after the
visibility timeout, 1 hour). The watchdog itself is the real beat task, run by the worker.
"""

import datetime
import json
import os
import signal
import subprocess
import sys

import pytest
from django.utils import timezone

from integrations.models import PayrollPush, PayrollPushItem
from integrations.services.payroll import payroll_push_request, payroll_pushes_due
from tests.reliability.conftest import (
    ROOT,
    free_loopback_port,
    restore_unacked,
    unacked_task,
    wait_for,
)
from tests.reliability.world import build_connected_org, tenant_traffic, timesheets_per_employee
from timeclamp.tenancy import organization_scope, unscoped
from timesheets.models import TimeEntry
from xero_sandbox.control.api import add_fault
from xero_sandbox.models import RequestLog

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "xero_sandbox"], transaction=True),
    pytest.mark.timeout(120),
]

STAFF = 60  # two POSTs: a batch of 50, then 10
HANG = 3.0  # seconds the sandbox holds the first POST before processing it
EXECUTE = "integrations.payroll_push_execute"


def runs_finished(worker) -> int:
    """How many runs of the push task the worker logged as finished (returned normally)."""
    return sum(
        1 for line in worker.log().splitlines() if f"Task {EXECUTE}[" in line and " succeeded " in line
    )


def request_push(org) -> PayrollPush:
    with organization_scope(org.organization):
        push, created = payroll_push_request(
            organization=org.organization, actor=org.admin, calendar=org.calendar, period=org.period
        )
    assert created
    return push


def current(push: PayrollPush) -> PayrollPush:
    with unscoped():
        return PayrollPush.all_organizations.get(pk=push.pk)


def wait_finished(push: PayrollPush, timeout: float = 40) -> PayrollPush:
    def finished():
        row = current(push)
        return row if row.status not in PayrollPush.ACTIVE else None

    return wait_for(finished, timeout=timeout, interval=0.2, what=f"push {push.pk} to finish")


def timesheet_posts(org):
    return RequestLog.objects.filter(
        tenant_id__iexact=org.tenant_id, method="POST", path__icontains="timesheets"
    )


def assert_complete_without_duplicates(org, push: PayrollPush, *, posts: int) -> None:
    assert push.status == PayrollPush.Status.SUCCEEDED, push.last_error
    assert push.sent == org.staff
    per_employee = timesheets_per_employee(org)
    assert len(per_employee) == org.staff
    assert max(per_employee.values()) == 1  # never two timesheets for one employee and period
    with unscoped():
        assert not PayrollPushItem.all_organizations.filter(push_id=push.pk, xero_timesheet_id="").exists()
    assert timesheet_posts(org).count() == posts
    assert tenant_traffic(org.tenant_id)["status_429"] == 0


def test_a_real_worker_pushes_a_period_end_to_end(start_worker, broker):
    org = build_connected_org(name="Worker A", staff=STAFF)
    worker = start_worker()
    push = request_push(org)  # commits, then delay_on_commit publishes to Redis

    push = wait_finished(push)
    assert_complete_without_duplicates(org, push, posts=2)
    assert tenant_traffic(org.tenant_id)["calls"] == 3  # read the period, then 50 + 10
    assert runs_finished(worker) == 1  # it ran on the worker, not in this process
    with unscoped():
        entries = TimeEntry.all_organizations.filter(organization=org.organization)
        assert entries.exists()
        assert not entries.filter(pushed_at__isnull=True).exists()


def hold_first_post(org):
    add_fault(
        "hang", count=1, path_contains="Timesheets", method="POST", hang_seconds=HANG, tenant_id=org.tenant_id
    )


def wait_until_post_held(org) -> RequestLog:
    """The worker's first POST has reached Xero and is being held (logged, not answered yet)."""
    return wait_for(
        lambda: timesheet_posts(org).filter(status=0).first(), timeout=30, interval=0.05, what="the held POST"
    )


def wait_until_xero_processed(held: RequestLog) -> None:
    """Xero finishes the POST although the worker is gone: the 50 timesheets exist in Xero now."""
    wait_for(
        lambda: RequestLog.objects.filter(pk=held.pk).exclude(status=0).exists(),
        timeout=HANG + 20,
        what="the sandbox to finish the held POST",
    )
    assert RequestLog.objects.get(pk=held.pk).status == 200


def resume_after_lease(org, push, broker) -> PayrollPush:
    """The dead worker's lease (2 minutes) runs out; beat's watchdog, run by the worker, resumes it."""
    before = current(push)
    assert before.status == PayrollPush.Status.RUNNING  # owned by the dead worker until its lease ends
    with unscoped():
        PayrollPush.all_organizations.filter(pk=push.pk).update(
            lease_until=timezone.now() - datetime.timedelta(seconds=1)
        )
    assert (org.organization.pk, push.pk) in payroll_pushes_due()
    broker.send_task("integrations.payroll_push_watchdog")
    return wait_finished(push)


def test_f1_pool_child_killed_after_xero_took_the_post(start_worker, broker):
    """F1: the child running the push is SIGKILLed while its POST is at Xero. The task is requeued at
    once (acks_late + reject_on_worker_lost); the redelivered message (same task id) takes its own
    lease back and resumes at once, re-reading Xero first and adopting the 50 timesheets Xero made."""
    org = build_connected_org(name="Kill child", staff=STAFF)
    hold_first_post(org)
    worker = start_worker()
    push = request_push(org)
    held = wait_until_post_held(org)
    children = worker.children()
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    wait_until_xero_processed(held)

    wait_for(lambda: runs_finished(worker) >= 1, timeout=30, what="the requeued task to run again")
    assert "WorkerLostError" in worker.log() or "SIGKILL" in worker.log()
    push = wait_finished(push)  # no watchdog needed: the redelivery resumed it
    assert_complete_without_duplicates(org, push, posts=2)  # the held POST + the last 10 only


def test_f2_whole_worker_killed_mid_push_and_restarted(start_worker, broker):
    """F2: the worker's whole process group is SIGKILLed while its POST is at Xero. Its message stays
    unacknowledged in Redis; a restarted worker that gets it back (same task id) takes the lease back
    and resumes the push, adopting what Xero already has."""
    org = build_connected_org(name="Kill group", staff=STAFF)
    hold_first_post(org)
    first = start_worker()
    push = request_push(org)
    held = wait_until_post_held(org)
    first.kill_group()
    wait_until_xero_processed(held)
    tag = unacked_task(
        broker, task=EXECUTE, kwargs={"organization_id": org.organization.pk, "push_id": push.pk}
    )
    assert tag, "the killed worker's message should be waiting, unacknowledged, in Redis"

    second = start_worker()
    restore_unacked(broker, tag)  # what Redis does after visibility_timeout
    wait_for(lambda: runs_finished(second) >= 1, timeout=30, what="the restored message to run")
    push = wait_finished(push)
    assert_complete_without_duplicates(org, push, posts=2)
    assert (
        unacked_task(
            broker, task=EXECUTE, kwargs={"organization_id": org.organization.pk, "push_id": push.pk}
        )
        is None
    )


def test_f3_sigterm_during_the_post_lets_the_push_finish(start_worker, broker):
    """F3: SIGTERM (docker stop) while the POST is held: a warm shutdown, the running push finishes
    before the worker exits."""
    org = build_connected_org(name="Warm stop", staff=STAFF)
    hold_first_post(org)
    worker = start_worker()
    push = request_push(org)
    wait_until_post_held(org)
    os.kill(worker.pid, signal.SIGTERM)
    assert worker.process.wait(HANG + 30) == 0

    assert_complete_without_duplicates(org, current(push), posts=2)
    assert runs_finished(worker) == 1


SUBMIT_WITHOUT_BROKER = """
import json, sys, time
import django
django.setup()
from django.test import Client
from staff.models import Organization, User
from timeclamp.tenancy import unscoped
org_id, user_id, calendar_id, period = sys.argv[1:]
with unscoped():
    organization = Organization.objects.get(pk=org_id)
    user = User.objects.get(pk=user_id)
client = Client(raise_request_exception=False)
client.force_login(user)
started = time.monotonic()
response = client.post(
    f"/o/{organization.slug}/timesheets/payroll/push/", {"calendar": calendar_id, "period": period}
)
print(json.dumps({"status": response.status_code, "seconds": round(time.monotonic() - started, 2)}))
"""


def test_f5_push_requested_while_the_broker_is_unreachable_is_sent_by_the_watchdog(
    start_worker, broker, worker_env
):
    """F5 (partly; the shared Redis is not stopped): the web process cannot reach its broker when the
    manager presses "Send". The push row is committed before the publish fails, so nothing is lost:
    the watchdog queues pending pushes older than 2 minutes, and the push completes once a worker
    has the real broker. What the manager sees meanwhile is recorded: the publish error surfaces as a
    server error page."""
    org = build_connected_org(name="No broker", staff=10)
    dead = f"redis://127.0.0.1:{free_loopback_port()}/0"
    env = {**worker_env, "CELERY_BROKER_URL": dead, "REDIS_URL": dead}
    result = subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-c",
            SUBMIT_WITHOUT_BROKER,
            str(org.organization.pk),
            str(org.admin.pk),
            org.calendar.calendar_id,
            f"{org.period.start.isoformat()}_{org.period.end.isoformat()}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    submitted = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"submit with the broker unreachable: HTTP {submitted['status']} after {submitted['seconds']} s")
    assert submitted["status"] == 302  # the manager lands on the push page; the row is committed as pending
    with unscoped():
        push = PayrollPush.all_organizations.get(organization=org.organization)
    assert push.status == PayrollPush.Status.PENDING

    worker = start_worker()
    assert (org.organization.pk, push.pk) not in payroll_pushes_due()  # a young pending push is left alone
    with unscoped():  # two minutes pass
        PayrollPush.all_organizations.filter(pk=push.pk).update(
            updated_at=timezone.now() - datetime.timedelta(minutes=3)
        )
    assert (org.organization.pk, push.pk) in payroll_pushes_due()
    broker.send_task("integrations.payroll_push_watchdog")
    push = wait_finished(push)
    assert_complete_without_duplicates(org, push, posts=1)
    assert runs_finished(worker) == 1
