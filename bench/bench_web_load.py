"""L1 (reliability-notes §8): 20 users in 4 organisations submit a payroll push through the real web
view every 20 s for 60 s, against gunicorn, with a real Celery worker sending to the sandbox.

Private servers only (bench/private_stack.py): the app's database on a throwaway PostgreSQL 15
cluster, a private Redis (broker + governor), the sandbox (SQLite) under gunicorn with Xero's rate
limits raised x10 as the row asks (600 calls per tenant per minute, 50 in flight; L2 tests the real
ones). Each organisation has 10 linked staff with approved hours in 15 weekly periods; each user
logs in through the login form (CSRF) with a requests session and, at 0 s, 20 s and 40 s, POSTs the
$Payroll push form for a period of its own (a second submit for a calendar+period that is active
returns the running push by design, so periods are distinct): 60 pushes, 600 timesheets.

Printed: submit latency (p50, p95, max) and status codes, 5xx count, pushes unfinished 120 s after
the load stops (and when the last one finished), outcome, duplicates in the sandbox.

    .venv/bin/python bench/bench_web_load.py          # ~2-3 min
"""

from __future__ import annotations

import argparse
import math
import statistics
import threading
import time

import private_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    private_stack.add_arguments(parser)
    parser.add_argument("--orgs", type=int, default=4)
    parser.add_argument("--users-per-org", type=int, default=5)
    parser.add_argument("--staff", type=int, default=10, help="timesheets per push")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between a user's submits")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait after the load")
    parser.add_argument("--concurrency", type=int, default=None, help="worker processes (default: CPUs)")
    args = parser.parse_args()
    stack, redis_server, pg = private_stack.prepare(
        args,
        label="webload",
        extra_env={"XERO_SANDBOX_TENANT_PER_MINUTE": "600", "XERO_SANDBOX_TENANT_IN_FLIGHT": "50"},
    )
    import django

    django.setup()
    try:
        run(stack, args)
    finally:
        private_stack.close(stack, redis_server, pg)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))  # nearest rank
    return ordered[k]


def run(stack, args) -> None:
    import requests

    from integrations.models import PayrollPush
    from tests.reliability.world import build_connected_org
    from timeclamp.tenancy import unscoped

    rounds = int(args.duration // args.every)
    periods_per_org = args.users_per_org * rounds
    stack.migrate()
    stack.start_server()
    stack.start_worker(concurrency=args.concurrency, name="webload")
    orgs = [build_connected_org(name=f"Load {i}", staff=args.staff) for i in range(args.orgs)]
    extra = private_stack.weeks_back(periods_per_org - 1)
    periods = [orgs[0].period, *extra]
    for org in orgs:
        private_stack.add_period_entries(org, extra)
    users = []  # (org, email, [period per round])
    for o, org in enumerate(orgs):
        for u in range(args.users_per_org):
            email = f"user{o}-{u}@bench.test"
            private_stack.add_user(org, email)
            users.append((org, email, [periods[u * rounds + r] for r in range(rounds)]))
    sessions = {}
    for _org, email, _ in users:
        sessions[email] = requests.Session()
        private_stack.login(sessions[email], stack.site_url, email)
    print(
        f"\nL1: {len(users)} users in {args.orgs} organisations, each submitting a {args.staff}-timesheet push "
        f"every {args.every:g} s for {args.duration:g} s ({rounds} rounds, {len(users) * rounds} pushes, "
        f"{len(users) * rounds * args.staff} timesheets); gunicorn 3 workers x 8 threads on {stack.site_url}; "
        f"one Celery worker (concurrency {args.concurrency or 'CPUs'}); sandbox latency {args.latency_ms} ms, "
        "limits x10"
    )

    results = []  # (status, seconds)
    lock = threading.Lock()
    t0 = time.monotonic()
    stagger = args.every / len(users) / 2  # users arrive spread over the first half of each interval

    def user(index: int, org, email: str, mine) -> None:
        for r, period in enumerate(mine):
            wait = t0 + r * args.every + index * stagger - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                status, seconds = private_stack.submit_push(sessions[email], stack.site_url, org, period)
            except requests.RequestException:
                status, seconds = 0, float("nan")
            with lock:
                results.append((status, seconds))

    threads = [
        threading.Thread(target=user, args=(i, org, email, mine), daemon=True)
        for i, (org, email, mine) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.duration + 60)
    load_end = max(time.monotonic(), t0 + args.duration)
    while time.monotonic() < load_end:
        time.sleep(0.2)

    org_ids = [org.organization.pk for org in orgs]

    def pushes():
        with unscoped():
            return list(PayrollPush.all_organizations.filter(organization_id__in=org_ids))

    all_done_at = None
    deadline = load_end + args.drain
    while time.monotonic() < deadline:
        if all(p.status not in PayrollPush.ACTIVE for p in pushes()):
            all_done_at = time.monotonic() - load_end
            break
        time.sleep(0.5)
    final = pushes()
    unfinished = sum(1 for p in final if p.status in PayrollPush.ACTIVE)
    latencies = [s for code, s in results if code and s == s]
    codes = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    total, dup = private_stack.duplicates(orgs)
    print(
        f"submits: {len(results)}; status codes {dict(sorted(codes.items()))}; "
        f"5xx: {sum(n for c, n in codes.items() if c >= 500)}; connection errors: {codes.get(0, 0)}"
    )
    print(
        f"submit latency: p50 {statistics.median(latencies) * 1000:.0f} ms, p95 "
        f"{percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms (target p95 <= 800 ms)"
    )
    print(
        f"pushes: {len(final)} created, outcome "
        f"{dict(sorted((s, sum(1 for p in final if p.status == s)) for s in {p.status for p in final}))}, "
        f"{sum(p.sent for p in final)} sent; unfinished {args.drain:g} s after the load stopped: {unfinished}"
        + (f" (all terminal {all_done_at:.1f} s after the load stopped)" if all_done_at is not None else "")
    )
    print(f"sandbox: {total} timesheets for these employees, {dup} duplicates")


if __name__ == "__main__":
    main()
