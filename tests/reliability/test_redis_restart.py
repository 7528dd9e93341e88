"""F4 (reliability-notes §8): the broker (Redis) restarted twice while pushes are queued and running.

A PRIVATE ``redis-server`` on a free 127.0.0.1 port (``--appendonly yes``, a temporary directory) is
the broker and the rate governor of a real ``celery -A timeclamp worker`` subprocess and of this
process's publishing; the machine's shared Redis is not touched. ORGS organisations x STAFF staff are
queued at once (one push each) and the private Redis is restarted on the same port twice while some
pushes are queued and one is running: first ``SHUTDOWN NOSAVE`` (only the append-only file keeps the
queue), then ``SHUTDOWN SAVE`` (RDB dump + AOF). Pass: the queue survives each restart, the worker
resumes consuming by itself within 30 s, every push succeeds, no employee gets two timesheets, and a
push RUNNING when Redis went away rides it out in place (timeclamp.outages) instead of waiting for
its lease and the watchdog. A message lost in transit (taken off the list by BRPOP, not yet recorded
as unacknowledged, when Redis stopped) would leave its push pending for the watchdog's two-minute
rule; the test fast-forwards and runs the watchdog for such pushes and prints how many needed it.
RELIABILITY_FULL=1 queues the notes' 200 tasks.
"""

import datetime
import time

import pytest
from django.utils import timezone

from integrations.models import PayrollPush
from integrations.services.payroll import payroll_push_request, payroll_pushes_due
from tests.reliability.conftest import publish, queue_pushes_on, scale, wait_for
from tests.reliability.private_services import PrivateRedis
from tests.reliability.world import build_connected_org, timesheets_per_employee
from timeclamp.tenancy import organization_scope, unscoped

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "xero_sandbox"], transaction=True),
    pytest.mark.timeout(scale(90, 900)),
]

# CI: 10 pushes of 20 staff; RELIABILITY_FULL=1: the notes' 200 queued tasks (of 5 staff each)
ORGS, STAFF = scale(10, 200), scale(20, 5)
LATENCY_MS = scale(250, 50)  # per sandbox call: the restarts find work queued and running
EXECUTE = "integrations.payroll_push_execute"
WATCHDOG = "integrations.payroll_push_watchdog"


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def statuses(ids: list[int]) -> dict[int, PayrollPush]:
    with unscoped():
        return {p.pk: p for p in PayrollPush.all_organizations.filter(pk__in=ids)}


def finished(ids) -> int:
    return sum(1 for p in statuses(ids).values() if p.status not in PayrollPush.ACTIVE)


def queued(redis_server: PrivateRedis) -> tuple[int, int]:
    """(messages waiting on the xero queue, messages delivered but not acknowledged)."""
    client = redis_server.client()
    return client.llen("xero"), client.hlen("unacked")


def test_f4_redis_restarted_twice_with_pushes_queued(
    private_redis, start_worker, worker_env, broker, settings, monkeypatch
):
    settings.XERO_SANDBOX_LIMITS = {**settings.XERO_SANDBOX_LIMITS, "latency_ms": LATENCY_MS}
    worker_env.update(REDIS_URL=private_redis.url, CELERY_BROKER_URL=private_redis.url)
    queue_pushes_on(monkeypatch, private_redis.url)
    orgs = [build_connected_org(name=f"F4 {i:02d}", staff=STAFF) for i in range(ORGS)]
    worker = start_worker()
    t0 = time.monotonic()
    ids = []
    for org in orgs:
        with organization_scope(org.organization):
            push, created = payroll_push_request(
                organization=org.organization, actor=org.admin, calendar=org.calendar, period=org.period
            )
        assert created
        ids.append(push.pk)

    figures = []
    for n, (save, after) in enumerate([(False, ORGS // 5), (True, ORGS // 2)], start=1):
        wait_for(
            lambda after=after: finished(ids) >= after, timeout=scale(30, 300), what=f"{after} pushes done"
        )
        done_before = finished(ids)
        before = queued(private_redis)
        running = sum(1 for p in statuses(ids).values() if p.status == PayrollPush.Status.RUNNING)
        down = private_redis.restart(save=save, down_for=1.0)
        up_at = timezone.now()
        up_mono = time.monotonic()
        after_restart = queued(private_redis)

        def resumed(up_at=up_at):
            return any(p.started_at and p.started_at > up_at for p in statuses(ids).values()) or (
                finished(ids) == len(ids)
            )

        wait_for(resumed, timeout=30, interval=0.1, what=f"consumption to resume after restart {n}")
        figures.append(
            {
                "restart": n,
                "mode": "SHUTDOWN SAVE" if save else "SHUTDOWN NOSAVE",
                "done_before": done_before,
                "running": running,
                "queued_before": before,
                "queued_after": after_restart,
                "down_s": round(down, 1),
                "resumed_s": round(time.monotonic() - up_mono, 1),
            }
        )
        assert after_restart[0] + after_restart[1] >= before[0], "the queue did not survive the restart"

    # Let the queue drain; whatever is still active then is left to the watchdog.
    def idle_or_done() -> bool:
        """All done, or nothing queued and the active pushes have stopped moving (stranded)."""
        active = [p for p in statuses(ids).values() if p.status in PayrollPush.ACTIVE]
        if not active:
            return True
        quiet = timezone.now() - datetime.timedelta(seconds=3)
        return queued(private_redis) == (0, 0) and all(
            p.status == PayrollPush.Status.RUNNING and p.updated_at < quiet for p in active
        )

    deadline = time.monotonic() + scale(25, 400)
    while not idle_or_done() and time.monotonic() < deadline:
        time.sleep(0.2)
    drained_s = round(time.monotonic() - t0, 1)  # from the first request
    stranded = {pk: p.status for pk, p in statuses(ids).items() if p.status in PayrollPush.ACTIVE}
    assert PayrollPush.Status.RUNNING not in stranded.values(), "a running push did not ride out the restart"
    if stranded:
        with unscoped():  # fast-forward: leases (2 min) and the pending age (2 min) run out
            PayrollPush.all_organizations.filter(pk__in=stranded, status="running").update(
                lease_until=timezone.now() - datetime.timedelta(seconds=1)
            )
            PayrollPush.all_organizations.filter(pk__in=stranded, status="pending").update(
                updated_at=timezone.now() - datetime.timedelta(minutes=3)
            )
        assert set(stranded) <= {push_id for _org, push_id in payroll_pushes_due()}
        publish(private_redis.url, WATCHDOG)
        wait_for(lambda: finished(ids) == len(ids), timeout=20, what="the watchdog to finish the rest")

    rows = statuses(ids)
    duplicates = 0
    for org in orgs:
        per_employee = timesheets_per_employee(org)
        assert len(per_employee) == STAFF
        duplicates += sum(1 for c in per_employee.values() if c > 1)
    for f in figures:
        print(
            f"\nF4 restart {f['restart']} ({f['mode']}, down {f['down_s']} s): {f['done_before']}/{ORGS} done, "
            f"{f['running']} running; queue (waiting, unacked) {f['queued_before']} before -> "
            f"{f['queued_after']} after; consumption resumed {f['resumed_s']} s after Redis was back"
        )
    print(
        f"F4: {sum(1 for p in rows.values() if p.status == 'succeeded')}/{ORGS} succeeded, "
        f"{sum(p.sent for p in rows.values())} sent, {duplicates} duplicates; queue empty {drained_s} s after "
        f"the first request; left {'running' if stranded else 'nothing'} for the watchdog: {len(stranded)} "
        f"{sorted(stranded)}; worker 'Connection to broker lost' lines: "
        f"{worker.count('Connection to broker lost')}, tasks failed by a Redis ConnectionError: "
        f"{worker.count('raised unexpected: network:ConnectionError')}"
    )
    assert all(p.status == PayrollPush.Status.SUCCEEDED for p in rows.values()), {
        pk: (p.status, p.last_error) for pk, p in rows.items()
    }
    assert duplicates == 0
