"""Rate governor benchmark: how long Xero pushes take under the per-tenant limits, and whether one
tenant's big push delays another's.

A discrete-event simulation on a fake clock drives the real governor (the SQLite-file one by default,
the Redis one with --redis and REDIS_URL set): each tenant has ``--callers`` workers taking calls from
its queue; a worker asks for a permit with ``timeout=0`` and, when refused, comes back after the
``GovernorTimeout.retry_after`` the governor gave, exactly as a Celery task retrying with that countdown
would. Every call holds its permit for ``--call-seconds``. Scenarios:

1. one tenant, 1,000 calls at 58/min, 5 in flight (and, for scale, 1,000 timesheets sent as 20 POSTs of 50);
2. noisy neighbour: tenant A with 1,000 calls queued, tenant B with 10, both starting at t=0;
3. the same with one budget shared by both tenants (what a single global limiter would do): waiters are
   not served in order, so B's workers, polling after in-flight refusals, lose to A's exact wake-ups.

The simulated figures do not depend on the machine; the wall-clock cost per governor operation does.

    .venv/bin/python bench/bench_governor.py
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/bench_governor.py --redis
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from integrations.governor import DatabaseGovernor, GovernorTimeout, RedisGovernor  # noqa: E402

START = 1_770_000_000.0


class SimClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:  # never used: the simulation only asks with timeout=0
        raise AssertionError("the simulation must not block")


@dataclass
class Outcome:
    finished: dict[str, float] = field(default_factory=dict)  # tenant -> seconds until its last call ended
    starts: dict[str, list[float]] = field(default_factory=dict)
    peak_in_flight: dict[str, int] = field(default_factory=dict)
    operations: int = 0
    wall_seconds: float = 0.0


def simulate(
    make_governor, calls: dict[str, int], *, callers: int, call_seconds: float, budget_of
) -> Outcome:
    """``calls``: tenant -> number of calls queued at t=0. ``budget_of(tenant)``: the governor key."""
    clock = SimClock()
    governor = make_governor(clock)
    queues = {tenant: deque(range(n)) for tenant, n in calls.items()}
    outcome = Outcome(starts={t: [] for t in calls}, peak_in_flight=dict.fromkeys(calls, 0))
    in_flight = dict.fromkeys(calls, 0)
    seq = itertools.count()
    events: list[tuple[float, int, str, str, object]] = []  # (time, seq, action, tenant, permit)
    for tenant in calls:
        for _ in range(min(callers, calls[tenant])):
            heapq.heappush(events, (clock.now, next(seq), "acquire", tenant, None))
    started = time.perf_counter()
    while events:
        at, _, action, tenant, permit = heapq.heappop(events)
        clock.now = at
        outcome.operations += 1
        if action == "acquire":
            if not queues[tenant]:
                continue
            try:
                permit = governor.acquire(budget_of(tenant), timeout=0)
            except GovernorTimeout as exc:
                heapq.heappush(events, (at + max(exc.retry_after, 0.001), next(seq), "acquire", tenant, None))
                continue
            queues[tenant].popleft()
            outcome.starts[tenant].append(at)
            in_flight[tenant] += 1
            outcome.peak_in_flight[tenant] = max(outcome.peak_in_flight[tenant], in_flight[tenant])
            heapq.heappush(events, (at + call_seconds, next(seq), "release", tenant, permit))
        else:
            governor.release(permit)
            in_flight[tenant] -= 1
            outcome.finished[tenant] = at - START
            if queues[tenant]:
                heapq.heappush(events, (at, next(seq), "acquire", tenant, None))
    outcome.wall_seconds = time.perf_counter() - started
    return outcome


def max_starts_in_window(starts: list[float], window: float = 60.0) -> int:
    ordered = sorted(starts)
    best, lo = 0, 0
    for hi, start in enumerate(ordered):
        while ordered[lo] <= start - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def governor_factory(kind: str, limit: int, in_flight: int, workdir: Path):
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(os.environ["REDIS_URL"])

        def make(clock):
            prefix = f"bench:governor:{uuid.uuid4().hex}:"
            make.prefixes.append(prefix)
            return RedisGovernor(
                client,
                key_prefix=prefix,
                limit_per_minute=limit,
                max_in_flight=in_flight,
                clock=clock,
                sleep=clock.sleep,
            )

        def cleanup():
            for prefix in make.prefixes:
                keys = list(client.scan_iter(match=f"{prefix}*"))
                if keys:
                    client.delete(*keys)

        make.prefixes = []
        make.cleanup = cleanup
        return make

    def make(clock):
        path = workdir / f"governor-{uuid.uuid4().hex}.sqlite3"
        return DatabaseGovernor(
            path, limit_per_minute=limit, max_in_flight=in_flight, clock=clock, sleep=clock.sleep
        )

    make.cleanup = lambda: None
    return make


def minutes(seconds: float) -> str:
    return f"{seconds:8.1f} s ({seconds / 60:.1f} min)" if seconds >= 60 else f"{seconds:8.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=1000, help="tenant A's queued calls")
    parser.add_argument("--neighbour-calls", type=int, default=10, help="tenant B's queued calls")
    parser.add_argument("--limit", type=int, default=58, help="calls per rolling minute per tenant")
    parser.add_argument("--in-flight", type=int, default=5, help="concurrent calls per tenant")
    parser.add_argument("--callers", type=int, default=5, help="workers per tenant")
    parser.add_argument("--call-seconds", type=float, default=0.3, help="how long one Xero call takes")
    parser.add_argument("--redis", action="store_true", help="use RedisGovernor at REDIS_URL")
    args = parser.parse_args()
    kind = "redis" if args.redis else "file"
    if kind == "redis" and not os.environ.get("REDIS_URL"):
        parser.error("--redis needs REDIS_URL")

    with tempfile.TemporaryDirectory() as tmp:
        make = governor_factory(kind, args.limit, args.in_flight, Path(tmp))
        common = {"callers": args.callers, "call_seconds": args.call_seconds}
        try:
            alone = simulate(make, {"A": args.calls}, budget_of=lambda t: f"tenant-{t}", **common)
            batched_calls = -(-args.calls // 50)
            batched = simulate(make, {"A": batched_calls}, budget_of=lambda t: f"tenant-{t}", **common)
            fair = simulate(
                make,
                {"A": args.calls, "B": args.neighbour_calls},
                budget_of=lambda t: f"tenant-{t}",
                **common,
            )
            shared = simulate(
                make, {"A": args.calls, "B": args.neighbour_calls}, budget_of=lambda t: "one-budget", **common
            )
        finally:
            make.cleanup()

    for outcome in (alone, fair):
        for tenant, starts in outcome.starts.items():
            assert max_starts_in_window(starts) <= args.limit, (tenant, max_starts_in_window(starts))
            assert outcome.peak_in_flight[tenant] <= args.in_flight
    full_windows = -(-args.calls // args.limit) - 1

    print(
        f"Rate governor ({kind}): {args.limit}/min, {args.in_flight} in flight, {args.callers} workers "
        f"per tenant, {args.call_seconds} s per call"
    )
    print()
    print(f"1. One tenant, {args.calls:,} calls")
    print(f"   last call ends after          {minutes(alone.finished['A'])}")
    print(f"   lower bound ({full_windows} full windows)  {minutes(full_windows * 60.0)}")
    print(
        f"   max starts in any 60 s: {max_starts_in_window(alone.starts['A'])}, "
        f"peak in flight: {alone.peak_in_flight['A']}"
    )
    print(
        f"   the same {args.calls:,} timesheets as {batched_calls} POSTs of 50: "
        f"{minutes(batched.finished['A']).strip()}"
    )
    print()
    print(f"2. Noisy neighbour, per-tenant budgets: A {args.calls:,} calls, B {args.neighbour_calls} calls")
    print(f"   B done after                  {minutes(fair.finished['B'])}")
    print(f"   A done after                  {minutes(fair.finished['A'])}")
    print()
    print("3. Counterfactual, one budget shared by A and B")
    print(f"   B done after                  {minutes(shared.finished['B'])}")
    print(f"   A done after                  {minutes(shared.finished['A'])}")
    print()
    runs = (alone, batched, fair, shared)
    operations = sum(run.operations for run in runs)
    wall = sum(run.wall_seconds for run in runs)
    print(
        f"Cost: {operations:,} governor operations (acquire attempts + releases) in {wall:.2f} s wall, "
        f"{wall / operations * 1e6:.0f} us each"
    )


if __name__ == "__main__":
    main()
