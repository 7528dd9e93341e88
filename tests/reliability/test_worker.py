"""Pushes on real Celery workers (``celery -A timeclamp worker`` subprocesses on the Redis broker)
against the Xero sandbox over real HTTP on 127.0.0.1, including workers killed mid-push.

reliability-notes §8: F1 (pool child SIGKILLed after Xero received the POST), F2 (whole worker
SIGKILLed with pushes queued behind, restarted), F3 (SIGTERM: warm shutdown during the POST), F5
(Redis down while pushes are requested). CI runs each once at a small size; RELIABILITY_FULL=1 runs
the notes' sizes (F1 x10, F2 x5 with 50 queued, F3 x5, F5 50 submits). In every case: the push completes, and Xero never holds two
timesheets for one employee and period.

Times are kept short where production would wait: a Redis message left unacknowledged by a dead
worker is restored by hand (Redis does it after the visibility timeout, 1 hour), and beat's next
watchdog tick (every minute) is published at once. The watchdog itself is the real beat task, run by
the worker.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from integrations.models import PayrollPush, PayrollPushItem
from integrations.services.payroll import payroll_push_request, payroll_pushes_due
from tests.reliability.conftest import (
    ROOT,
    publish,
    restore_unacked,
    scale,
    unacked_task,
    wait_for,
)
from tests.reliability.private_services import PrivateRedis
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


@pytest.mark.parametrize("run", range(scale(1, 10)))
def test_f1_pool_child_killed_after_xero_took_the_post(start_worker, broker, run):
    """F1: the child running the push is SIGKILLed while its POST is at Xero. The task is requeued at
    once (acks_late + reject_on_worker_lost); the redelivered message (same task id) takes its own
    lease back and resumes at once, re-reading Xero first and adopting the 50 timesheets Xero made."""
    org = build_connected_org(name=f"Kill child {run}", staff=STAFF)
    hold_first_post(org)
    worker = start_worker()
    push = request_push(org)
    held = wait_until_post_held(org)
    children = worker.children()
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until_xero_processed(held)

    wait_for(lambda: runs_finished(worker) >= 1, timeout=30, what="the requeued task to run again")
    assert "WorkerLostError" in worker.log() or "SIGKILL" in worker.log()
    push = wait_finished(push)  # no watchdog needed: the redelivery resumed it
    assert_complete_without_duplicates(org, push, posts=2)  # the held POST + the last 10 only
    print(
        f"\nF1 run {run}: succeeded {time.monotonic() - killed_at:.1f} s after the kill, "
        f"{timesheet_posts(org).count()} POSTs, {org.staff} timesheets, 0 duplicates, no watchdog"
    )


@pytest.mark.parametrize("run", range(scale(1, 5)))
def test_f2_whole_worker_killed_mid_push_and_restarted(start_worker, broker, run):
    """F2: the worker's whole process group is SIGKILLed while its POST is at Xero and QUEUED more
    pushes wait behind it. Its message stays unacknowledged in Redis; a restarted worker that gets it
    back (same task id) takes the lease back and resumes the push, adopting what Xero already has,
    and works through the queue: every push succeeds, none twice."""
    queued = scale(5, 50)
    org = build_connected_org(name=f"Kill group {run}", staff=STAFF)
    behind = [build_connected_org(name=f"Behind {run}.{i}", staff=2) for i in range(queued)]
    hold_first_post(org)
    first = start_worker()
    push = request_push(org)
    held = wait_until_post_held(org)
    queued_pushes = [request_push(other) for other in behind]
    first.kill_group()
    killed_at = time.monotonic()
    wait_until_xero_processed(held)
    tag = unacked_task(
        broker, task=EXECUTE, kwargs={"organization_id": org.organization.pk, "push_id": push.pk}
    )
    assert tag, "the killed worker's message should be waiting, unacknowledged, in Redis"

    second = start_worker()
    restore_unacked(broker, tag)  # what Redis does after visibility_timeout
    push = wait_finished(push)
    assert_complete_without_duplicates(org, push, posts=2)
    for other, queued_push in zip(behind, queued_pushes, strict=True):
        assert_complete_without_duplicates(other, wait_finished(queued_push, timeout=60), posts=1)
    all_done = time.monotonic() - killed_at
    print(
        f"\nF2 run {run}: {queued + 1}/{queued + 1} succeeded {all_done:.1f} s after the kill "
        f"(visibility timeout replaced by restoring the message by hand), 0 duplicates"
    )
    assert runs_finished(second) >= queued + 1
    assert (
        unacked_task(
            broker, task=EXECUTE, kwargs={"organization_id": org.organization.pk, "push_id": push.pk}
        )
        is None
    )


@pytest.mark.parametrize("run", range(scale(1, 5)))
def test_f3_sigterm_during_the_post_lets_the_push_finish(start_worker, broker, run):
    """F3: SIGTERM (docker stop) while the POST is held: a warm shutdown, the running push finishes
    before the worker exits."""
    org = build_connected_org(name=f"Warm stop {run}", staff=STAFF)
    hold_first_post(org)
    worker = start_worker()
    push = request_push(org)
    wait_until_post_held(org)
    os.kill(worker.pid, signal.SIGTERM)
    stopped_at = time.monotonic()
    assert worker.process.wait(HANG + 30) == 0

    assert_complete_without_duplicates(org, current(push), posts=2)
    assert runs_finished(worker) == 1
    print(
        f"\nF3 run {run}: the worker finished the push and exited 0 {time.monotonic() - stopped_at:.1f} s "
        f"after SIGTERM; 2 POSTs, {org.staff} timesheets, 0 duplicates"
    )


SUBMIT_WITHOUT_BROKER = """
import json, sys, time
import django
django.setup()
from django.test import Client
from staff.models import Organization, User
from timeclamp.tenancy import unscoped
answers = []
for org_id, user_id, calendar_id, period in json.loads(sys.argv[1]):
    with unscoped():
        organization = Organization.objects.get(pk=org_id)
        user = User.objects.get(pk=user_id)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    started = time.monotonic()
    response = client.post(
        f"/o/{organization.slug}/timesheets/payroll/push/", {"calendar": calendar_id, "period": period}
    )
    answers.append({"status": response.status_code, "seconds": round(time.monotonic() - started, 3)})
print(json.dumps(answers))
"""


def test_f5_pushes_requested_while_redis_is_down_all_go_once_it_is_back(start_worker, worker_env, tmp_path):
    """F5: Redis (the broker, on a private server: the shared one is never stopped) is down while
    managers press "Send" N times. Every request is accepted (the push row is committed first, then
    publishing fails and the push is marked ``needs_queueing``); the worker reconnects by itself when
    Redis is back, and the watchdog's next run (beat, every minute; published here at once) queues
    them: all succeed, none twice."""
    submits = scale(5, 50)
    orgs = [build_connected_org(name=f"No broker {i}", staff=2) for i in range(submits)]
    redis = PrivateRedis(tmp_path / "redis").start()
    try:
        worker_env.update(REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url)
        worker = start_worker()
        redis.shutdown(save=False)
        form = [
            (
                org.organization.pk,
                org.admin.pk,
                org.calendar.calendar_id,
                f"{org.period.start.isoformat()}_{org.period.end.isoformat()}",
            )
            for org in orgs
        ]
        result = subprocess.run(  # noqa: S603 - fixed argv; the web process, with the same settings
            [sys.executable, "-c", SUBMIT_WITHOUT_BROKER, json.dumps(form)],
            cwd=ROOT,
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=30 + 5 * submits,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        answers = json.loads(result.stdout.strip().splitlines()[-1])
        assert [a["status"] for a in answers] == [302] * submits  # each lands on its push page
        with unscoped():
            pushes = list(
                PayrollPush.all_organizations.filter(organization__in=[o.organization for o in orgs])
            )
        assert len(pushes) == submits
        assert all(p.status == PayrollPush.Status.PENDING and p.needs_queueing for p in pushes)
        due = {push_id for _org, push_id in payroll_pushes_due()}
        assert {p.pk for p in pushes} <= due  # no two-minute wait for these

        redis.start()
        back = time.monotonic()
        publish(redis.url, "integrations.payroll_push_watchdog")  # beat's next tick
        finished = {p.pk: wait_finished(p, timeout=90) for p in pushes}
        all_done = time.monotonic() - back
    finally:
        redis.stop()
    for org, push in zip(orgs, pushes, strict=True):
        assert_complete_without_duplicates(org, finished[push.pk], posts=1)
    latencies = sorted(a["seconds"] for a in answers)
    print(
        f"\nF5: {submits} submits with Redis down: all HTTP 302, median {latencies[len(latencies) // 2]:.2f} s, "
        f"max {latencies[-1]:.2f} s; {submits}/{submits} succeeded {all_done:.1f} s after Redis was back "
        f"and the watchdog ran (production adds up to 60 s for beat's next tick); 0 duplicates; "
        f"worker reconnected: {worker.count('Connected to redis')} connects"
    )
