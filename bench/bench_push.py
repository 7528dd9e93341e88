"""Issue 6 benchmark: pushing a pay period to Xero Payroll, against the Xero sandbox over real HTTP.

The sandbox runs in a gunicorn subprocess on 127.0.0.1 (XERO_SANDBOX=1, Xero's limits: 60 calls per
tenant per minute, 5 in flight, 100 ms added latency); the app and the sandbox each get a fresh
PostgreSQL database (or SQLite files with --database sqlite). Organisations are connected by creating
the rows directly (tests/reliability/world.py): real sandbox tokens, linked staff, approved hours.

1. One organisation, 1,000 linked staff with approved hours in one weekly period: the real push
   (payroll_push_request, run in this process: read the period, batches of 50, reconcile). Printed:
   wall time, Xero calls, 429s (from the sandbox's RequestLog). Targets: <= 45 calls, 0 429s, < 30 s.
2. Beside it, "one timesheet per call" (what most integrations do): the same push code with
   BATCH_SIZE = 1, run for real on --per-call-staff people (a smaller N), then scaled to 1,000 people:
   the calls (1 read + 1,000 POSTs), the time Xero's 60/min stretches it to (an ideal client that
   knows Xero's rolling window), the time our governor (58/min) takes (simulated on a fake clock with
   the measured time per call), and the ratio to the batched push.
3. 10 organisations x 300 staff pushing at once on the default worker set-up (a real
   ``celery -A timeclamp worker -Q celery,xero --prefetch-multiplier 1`` subprocess, Redis broker,
   Redis governor), plus one organisation of 20 staff requested once the big ones are running.
   Printed per organisation: outcome, calls, 429s, the most calls in any 60 s and the most in flight
   (from the sandbox's RequestLog), time waiting for a worker and time sending. And the small
   organisation's completion time.

Prints figures only; asserts nothing about timings.

    .venv/bin/python bench/bench_push.py                      # PostgreSQL on 127.0.0.1, Redis db 13
    .venv/bin/python bench/bench_push.py --database sqlite --skip-concurrent
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sandbox_stack  # sets sys.path; its prepare() sets the environment before Django starts


def _fmt_s(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.1f} s"


# --- scenario 1 and 2: one push in this process ---------------------------------------------------------
def push_in_process(org, *, batch_size: int | None = None) -> dict:
    from django.utils import timezone

    from integrations.models import PayrollPush
    from integrations.services import payroll as payroll_service
    from integrations.services.payroll import payroll_push_request
    from tests.reliability.world import tenant_traffic, timesheets_per_employee
    from timeclamp.celery import app as celery_app
    from timeclamp.tenancy import organization_scope

    celery_app.conf.task_always_eager = True  # the task runs here, on commit, exactly as a worker runs it
    real_batch = payroll_service.BATCH_SIZE
    if batch_size is not None:
        payroll_service.BATCH_SIZE = batch_size
    since = timezone.now()
    started = time.perf_counter()
    try:
        with organization_scope(org.organization):
            push, _ = payroll_push_request(
                organization=org.organization, actor=org.admin, calendar=org.calendar, period=org.period
            )
            push = PayrollPush.objects.get(pk=push.pk)
    finally:
        payroll_service.BATCH_SIZE = real_batch
        celery_app.conf.task_always_eager = False
    wall = time.perf_counter() - started
    traffic = tenant_traffic(org.tenant_id, since=since)
    per_employee = timesheets_per_employee(org)
    return {
        "wall": wall,
        "status": push.status,
        "sent": push.sent,
        "xero_calls_counted": push.xero_calls,
        "in_xero": sum(per_employee.values()),
        "duplicates": sum(1 for n in per_employee.values() if n > 1),
        **traffic,
    }


def xero_ideal_seconds(calls: int, per_call: float, limit: int = 60, window: float = 60.0) -> float:
    """A sequential client that knows Xero's rolling window exactly: call k starts when call k-1 has
    ended and no earlier than ``window`` after call k-limit started."""
    starts: list[float] = []
    end = 0.0
    for k in range(calls):
        start = end if k < limit else max(end, starts[k - limit] + window)
        starts.append(start)
        end = start + per_call
    return end


def governor_seconds(calls: int, per_call: float) -> float:
    """The real governor (SQLite-file implementation, 58/min, 5 in flight) on a fake clock, one caller
    making ``calls`` calls in a row, each holding its permit ``per_call`` seconds; a refused caller
    comes back after the governor's retry_after, as the push does."""
    from integrations.governor import DatabaseGovernor, GovernorTimeout

    class Clock:
        now = 1_770_000_000.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        governor = DatabaseGovernor(Path(tmp) / "governor.sqlite3", clock=clock, sleep=lambda s: None)
        begin = clock.now
        for _ in range(calls):
            while True:
                try:
                    permit = governor.acquire("per-call-tenant", timeout=0)
                    break
                except GovernorTimeout as exc:
                    clock.now += max(exc.retry_after, 0.001)
            clock.now += per_call
            governor.release(permit)
        governor.close()
        return clock.now - begin


# --- scenarios 3 and 4: organisations pushing at once on a real worker -----------------------------------
def pushes_on_worker(stack, orgs, *, late=None, concurrency: int | None, timeout: float, name: str) -> dict:
    """Start a worker, request every org's push (published to Redis on commit), and ``late``'s once
    one of them is running; wait until all are finished (at most ``timeout`` s); stop the worker."""
    from django.utils import timezone

    from integrations.models import PayrollPush
    from integrations.services.payroll import payroll_push_request
    from timeclamp.celery import app as celery_app
    from timeclamp.tenancy import organization_scope, unscoped

    def request(org) -> int:
        with organization_scope(org.organization):
            push, _ = payroll_push_request(
                organization=org.organization, actor=org.admin, calendar=org.calendar, period=org.period
            )
        return push.pk

    celery_app.conf.task_always_eager = False
    boot = time.perf_counter()
    worker = stack.start_worker(concurrency=concurrency, name=name)
    boot = time.perf_counter() - boot
    since = timezone.now()
    t0 = time.perf_counter()
    pushes, requested = {}, {}
    for org in orgs:
        pushes[org.organization.pk] = request(org)
        requested[org.organization.pk] = time.perf_counter() - t0
    if late is not None:
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:  # the late one comes once the others are running
            with unscoped():
                if PayrollPush.all_organizations.filter(pk__in=pushes.values(), status="running").exists():
                    break
            time.sleep(0.1)
        pushes[late.organization.pk] = request(late)
        requested[late.organization.pk] = time.perf_counter() - t0
    finished: dict[int, float] = {}
    deadline = time.perf_counter() + timeout
    while len(finished) < len(pushes) and time.perf_counter() < deadline:
        with unscoped():
            for org_id, status in PayrollPush.all_organizations.filter(pk__in=pushes.values()).values_list(
                "organization_id", "status"
            ):
                if status not in PayrollPush.ACTIVE and org_id not in finished:
                    finished[org_id] = time.perf_counter() - t0
        time.sleep(0.2)
    total = time.perf_counter() - t0
    stack.stop(worker)
    with unscoped():
        rows = {p.organization_id: p for p in PayrollPush.all_organizations.filter(pk__in=pushes.values())}
    return {
        "pushes": rows,
        "requested": requested,
        "finished": finished,
        "total": total,
        "boot": boot,
        "since": since,
    }


def _seconds(later, earlier) -> float:
    return (later - earlier).total_seconds() if later and earlier else float("nan")


def concurrent_pushes(stack, args) -> None:
    from tests.reliability.world import build_connected_org, tenant_traffic, timesheets_per_employee

    print(f"\nBuilding {args.orgs} organisations x {args.org_staff} staff and 1 x {args.small_staff} ...")
    big = [build_connected_org(name=f"Big {i:02d}", staff=args.org_staff) for i in range(args.orgs)]
    small = build_connected_org(name="Small", staff=args.small_staff)
    concurrency = args.worker_concurrency or _cpu_count()
    result = pushes_on_worker(
        stack,
        big,
        late=small,
        concurrency=args.worker_concurrency,
        timeout=args.concurrent_timeout,
        name="bench-push",
    )
    rows, requested, finished = result["pushes"], result["requested"], result["finished"]

    print(
        f"\nIssue 6, concurrent: {args.orgs} organisations x {args.org_staff} staff at once, then 1 x "
        f"{args.small_staff}; one worker, concurrency {concurrency} (the default: CPUs = {_cpu_count()}), "
        f"Redis broker + Redis governor; worker boot {result['boot']:.1f} s (not counted)"
    )
    header = (
        f"{'organisation':<14}{'staff':>6}{'outcome':>11}{'sent':>6}{'in Xero':>8}{'dup':>5}{'calls':>7}"
        f"{'429s':>6}{'max/60s':>9}{'max in flight':>15}{'requested':>11}{'waited':>9}{'sending':>9}{'done at':>9}"
    )
    print(header)
    print("-" * len(header))
    worst = {"calls": 0, "429": 0, "window": 0, "flight": 0}
    all_done = True
    for org in [*big, small]:
        push = rows[org.organization.pk]
        traffic = tenant_traffic(org.tenant_id, since=result["since"])
        per_employee = timesheets_per_employee(org)
        done_at = finished.get(org.organization.pk, float("nan"))
        all_done &= push.status == "succeeded" and push.sent == org.staff
        all_done &= len(per_employee) == org.staff and max(per_employee.values(), default=0) == 1
        worst["calls"] += traffic["calls"]
        worst["429"] += traffic["status_429"]
        worst["window"] = max(worst["window"], traffic["max_per_60s"])
        worst["flight"] = max(worst["flight"], traffic["max_concurrent"])
        print(
            f"{org.organization.name:<14}{org.staff:>6}{push.status:>11}{push.sent:>6}"
            f"{sum(per_employee.values()):>8}{sum(1 for n in per_employee.values() if n > 1):>5}"
            f"{traffic['calls']:>7}{traffic['status_429']:>6}{traffic['max_per_60s']:>9}"
            f"{traffic['max_concurrent']:>15}{requested[org.organization.pk]:>10.1f}s"
            f"{_seconds(push.started_at, push.created_at):>8.1f}s"
            f"{_seconds(push.finished_at, push.started_at):>8.1f}s{done_at:>8.1f}s"
        )
    print("-" * len(header))
    small_push = rows[small.organization.pk]
    small_latency = finished.get(small.organization.pk, float("nan")) - requested[small.organization.pk]
    biggest_sending = max(_seconds(p.finished_at, p.started_at) for p in rows.values())
    print(
        f"every push completed (succeeded, all sent, one timesheet per employee): {'yes' if all_done else 'NO'}"
    )
    print(
        f"all tenants: {worst['calls']} calls, {worst['429']} x 429; worst tenant: {worst['window']} calls in "
        f"a 60 s window (limit 60), {worst['flight']} in flight (limit 5)"
    )
    print(
        f"small organisation ({args.small_staff} staff): completed {small_latency:.1f} s after its request, "
        f"{_seconds(small_push.finished_at, small_push.started_at):.1f} s of it sending and "
        f"{_seconds(small_push.started_at, small_push.created_at):.1f} s waiting in the queue for a worker "
        f"process (a big push takes up to {biggest_sending:.1f} s); all {len(rows)} pushes done "
        f"{result['total']:.1f} s after the first request"
    )


def shared_tenant_pushes(stack, args) -> None:
    """L2 at the real limits: several of our organisations linked to ONE Xero organisation push at
    once, on enough worker processes to press on Xero's 5-in-flight and 60-per-minute limits."""
    from tests.reliability.world import build_connected_org, tenant_traffic, timesheets_per_employee

    n, staff, concurrency = args.shared_orgs, args.shared_staff, args.shared_concurrency
    print(f"\nBuilding {n} organisations x {staff} staff, all linked to one Xero organisation ...")
    first = build_connected_org(name="Shared 00", staff=staff)
    orgs = [first] + [
        build_connected_org(name=f"Shared {i:02d}", staff=staff, xero_org=first.xero_org) for i in range(1, n)
    ]
    result = pushes_on_worker(
        stack, orgs, concurrency=concurrency, timeout=args.concurrent_timeout, name="bench-shared"
    )
    traffic = tenant_traffic(first.tenant_id, since=result["since"])
    pushes = result["pushes"].values()
    succeeded = sum(1 for p in pushes if p.status == "succeeded")
    per_employee = {}
    for org in orgs:
        per_employee.update(timesheets_per_employee(org))
    reads = traffic["calls"] - traffic["posts"]
    print(
        f"\nIssue 6, one Xero tenant under load (L2): {n} of our organisations x {staff} staff linked to ONE "
        f"Xero organisation, pushing at once; one worker, concurrency {concurrency} (more than the default, "
        f"so that more calls than Xero's 5-in-flight limit are attempted at once); Redis governor"
    )
    print(
        f"pushes: {succeeded}/{n} succeeded, {sum(p.sent for p in pushes):,} sent, "
        f"{len(per_employee):,} timesheets in Xero, {sum(1 for v in per_employee.values() if v > 1)} duplicates"
    )
    print(
        f"Xero calls for the tenant: {traffic['calls']} ({traffic['posts']} POSTs, {reads} GETs: a push pages "
        f"through all of the tenant's timesheets for the period), {traffic['status_429']} x 429"
    )
    print(
        f"max calls in any 60 s window: {traffic['max_per_60s']} (Xero's limit 60, our governor's 58); "
        f"max calls in flight: {traffic['max_concurrent']} (limit 5; log intervals overlapping: "
        f"{traffic['max_overlap']}); all done {result['total']:.1f} s after "
        "the first request"
    )


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sandbox_stack.add_arguments(parser, port=8150)
    parser.add_argument("--staff", type=int, default=1000, help="staff in the single push (scenario 1)")
    parser.add_argument(
        "--per-call-staff",
        type=int,
        default=100,
        help="N for the real one-per-call run (> 58: it gets paced)",
    )
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--org-staff", type=int, default=300)
    parser.add_argument("--small-staff", type=int, default=20)
    parser.add_argument("--worker-concurrency", type=int, default=None, help="default: the CPU count")
    parser.add_argument("--concurrent-timeout", type=float, default=900, help="seconds to wait at most")
    parser.add_argument("--skip-concurrent", action="store_true", help="scenarios 1 and 2 only")
    parser.add_argument("--only-concurrent", action="store_true", help="scenarios 3 and 4 only")
    parser.add_argument("--shared-orgs", type=int, default=10, help="scenario 4: organisations on one tenant")
    parser.add_argument("--shared-staff", type=int, default=300)
    parser.add_argument("--shared-concurrency", type=int, default=8, help="scenario 4: worker processes")
    args = parser.parse_args()

    stack = sandbox_stack.prepare(args, label="push")
    import django

    django.setup()
    try:
        run(stack, args)
    finally:
        stack.close()


def run(stack, args) -> None:
    print(f"Migrating two fresh databases ({'SQLite' if args.database == 'sqlite' else 'PostgreSQL'}) ...")
    stack.migrate()
    stack.start_server()
    print(f"Sandbox: gunicorn on {stack.site_url} (latency {args.latency_ms} ms, 60/min, 5 in flight)")
    if not args.only_concurrent:
        single_push(args)
    if not args.skip_concurrent:
        concurrent_pushes(stack, args)
        if args.shared_orgs:
            shared_tenant_pushes(stack, args)


def single_push(args) -> None:
    from tests.reliability.world import build_connected_org

    org = build_connected_org(name="Bench 1000", staff=args.staff)
    batched = push_in_process(org)
    few = build_connected_org(name="Per call", staff=args.per_call_staff)
    per_call = push_in_process(few, batch_size=1)

    # Time per call, from the stretch before any pacing: call starts as the sandbox logged them.
    starts = per_call["starts"]
    free = min(len(starts), 50)
    per_call_seconds = (
        (starts[free - 1] - starts[0]) / (free - 1)
        if free > 1
        else per_call["wall"] / max(per_call["calls"], 1)
    )
    scaled_calls = 1 + args.staff  # one read of the period, then one POST per timesheet
    unthrottled = scaled_calls * per_call_seconds
    at_xero = xero_ideal_seconds(scaled_calls, per_call_seconds)
    at_governor = governor_seconds(scaled_calls, per_call_seconds)
    model_small = governor_seconds(per_call["calls"], per_call_seconds)

    period = org.period
    print(
        f"\nIssue 6: one weekly period ({period.start:%a %-d %b} - {period.end:%a %-d %b %Y}), "
        f"{args.staff:,} linked staff with approved hours, real HTTP to the sandbox"
    )
    rows = [
        ("Xero calls", f"{batched['calls']}", f"{scaled_calls:,}", "<= 45 | > 1,000"),
        ("  of which POST Timesheets", f"{batched['posts']}", f"{args.staff:,}", ""),
        (
            "429s received",
            f"{batched['status_429']}",
            f"{per_call['status_429']} (measured, N = {args.per_call_staff})",
            "0",
        ),
        ("wall time", f"{batched['wall']:.1f} s", f"{_fmt_s(at_xero)} at Xero's 60/min", "< 30 s | > 16 min"),
        ("", "", f"{_fmt_s(at_governor)} at our governor's 58/min", ""),
        ("", "", f"({_fmt_s(unthrottled)} if Xero had no limit)", ""),
        ("ratio (per call / batched)", "1x", f"{at_xero / batched['wall']:.0f}x (at 60/min)", ""),
        ("outcome", f"{batched['status']}, {batched['sent']:,} sent", "-", ""),
        ("timesheets in Xero (dup)", f"{batched['in_xero']:,} ({batched['duplicates']})", "-", "dup 0"),
        ("max calls in a 60 s window", f"{batched['max_per_60s']}", "-", "<= 60"),
        ("max calls in flight", f"{batched['max_concurrent']}", "-", "<= 5"),
    ]
    width = (30, 26, 40, 20)
    print(
        f"{'':<{width[0]}}{'batched (the product)':<{width[1]}}{'one timesheet per call':<{width[2]}}target"
    )
    print("-" * sum(width))
    for label, ours, theirs, target in rows:
        print(f"{label:<{width[0]}}{ours:<{width[1]}}{theirs:<{width[2]}}{target}")
    print("-" * sum(width))
    print(
        f"one-per-call figures are scaled from a real run of the same code with BATCH_SIZE = 1 on "
        f"{args.per_call_staff} staff: {per_call['calls']} calls ({per_call['posts']} POSTs), "
        f"{per_call['wall']:.1f} s wall, {per_call['status_429']} x 429, max {per_call['max_per_60s']} calls in "
        f"a 60 s window, {per_call['status']}; {per_call_seconds * 1000:.0f} ms per call before pacing; "
        f"the governor model predicts {model_small:.1f} s for those {per_call['calls']} calls"
    )
    print(
        f"product push counted {batched['xero_calls_counted']} calls itself (PayrollPush.xero_calls); "
        "the sandbox's RequestLog is the figure above"
    )


if __name__ == "__main__":
    main()
