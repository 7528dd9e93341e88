"""F6 (reliability-notes §8): PostgreSQL restarted (``pg_ctl restart -m fast``) while pushes run.

Everything private and on 127.0.0.1: the app's database on a throwaway PostgreSQL 15 cluster, a
private Redis (broker + governor), the sandbox (SQLite) under gunicorn, one real Celery worker.
ORGS organisations x STAFF staff request their push at once; once pushes are sending, the cluster is
restarted. Meanwhile a probe opens a new connection and runs SELECT 1 every 0.1 s, and a logged-in
browser session GETs a push page every 0.2 s (a database-backed page through gunicorn).

Printed: the database's and the web's error windows, how long after the restart every push reached
a terminal state by itself, which were left ``running`` (a worker process that lost its database
connection mid-task) and, if any, the watchdog's recovery of them once their lease is fast-forwarded
(2 minutes in production); duplicates in the sandbox; rows ``running`` and items ``in_flight``
afterwards.

Phase 2 makes the rarer interleaving certain: push messages received while PostgreSQL is down.

    .venv/bin/python bench/bench_pg_restart.py          # ~1-2 min
"""

from __future__ import annotations

import argparse
import datetime
import functools
import threading
import time
from collections import Counter

import private_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    private_stack.add_arguments(parser)
    parser.add_argument("--orgs", type=int, default=6)
    parser.add_argument("--staff", type=int, default=200, help="4 batches of 50: two turns per push")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--settle", type=float, default=120, help="seconds to wait for pushes by themselves")
    parser.add_argument(
        "--arrivals", type=int, default=4, help="phase 2: pushes received while PostgreSQL is down"
    )
    parser.add_argument("--down-for", type=float, default=3.0, help="phase 2: seconds PostgreSQL stays down")
    args = parser.parse_args()
    # The web runs as in production (DEBUG off: the error pages users get); plain HTTP on 127.0.0.1.
    production_web = {
        "DJANGO_DEBUG": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }
    stack, redis_server, pg = private_stack.prepare(args, label="pgrestart", extra_env=production_web)
    import django

    django.setup()
    try:
        run(stack, pg, args)
        arrivals_while_down(stack, pg, args)
    finally:
        private_stack.close(stack, redis_server, pg)


def run(stack, pg, args) -> None:
    import psycopg2
    import requests
    from django.utils import timezone

    from integrations.models import PayrollPush, PayrollPushItem
    from integrations.services.payroll import LEASE, LOST_MESSAGE_AFTER
    from tests.reliability.world import build_connected_org
    from timeclamp.celery import app
    from timeclamp.tenancy import unscoped

    retrying = private_stack.retrying
    stack.migrate()
    stack.start_server()
    stack.start_worker(concurrency=args.concurrency, name="pgrestart")
    orgs = [build_connected_org(name=f"PG {i:02d}", staff=args.staff) for i in range(args.orgs)]
    private_stack.add_user(orgs[0], "probe@bench.test")
    web = requests.Session()
    private_stack.login(web, stack.site_url, "probe@bench.test")
    app.conf.task_always_eager = False

    ids = request_pushes(orgs)
    page = f"{stack.site_url}/o/{orgs[0].organization.slug}/timesheets/payroll/pushes/{ids[0]}/"

    rows = functools.partial(push_rows, ids)

    stop = threading.Event()
    db_log, web_log = [], []
    dsn = stack.database_urls["default"].replace("postgres://", "postgresql://", 1)

    def probe_db():
        while not stop.is_set():
            t = time.monotonic()
            try:
                conn = psycopg2.connect(dsn, connect_timeout=2)
                conn.cursor().execute("SELECT 1")
                conn.close()
                db_log.append((t, True))
            except psycopg2.Error:
                db_log.append((t, False))
            time.sleep(0.1)

    def probe_web():
        while not stop.is_set():
            t = time.monotonic()
            try:
                code = web.get(page, timeout=10, allow_redirects=False).status_code
            except requests.RequestException:
                code = 0
            web_log.append((t, code))
            time.sleep(0.2)

    threads = [
        threading.Thread(target=probe_db, daemon=True),
        threading.Thread(target=probe_web, daemon=True),
    ]
    for thread in threads:
        thread.start()

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # restart once pushes are sending
        current = rows()
        if any(p.status == "running" for p in current) and sum(p.sent for p in current) >= 100:
            break
        time.sleep(0.1)
    before = {p.pk: (p.status, p.sent) for p in rows()}
    t_restart = time.monotonic()
    took = pg.restart_fast()
    print(
        f"\nF6: {args.orgs} pushes x {args.staff} staff, worker concurrency {args.concurrency}; at the restart: "
        f"{sum(1 for s, _ in before.values() if s == 'running')} running, "
        f"{sum(1 for s, _ in before.values() if s == 'pending')} pending, "
        f"{sum(1 for s, _ in before.values() if s not in PayrollPush.ACTIVE)} done, "
        f"{sum(n for _, n in before.values())} timesheets sent"
    )
    print(f"pg_ctl restart -m fast took {took:.1f} s")

    def all_terminal():
        return all(p.status not in PayrollPush.ACTIVE for p in rows())

    def progress_marker():
        return [(p.pk, p.status, p.done, p.updated_at) for p in rows()]

    settle_end = time.monotonic() + args.settle
    last, last_change = None, time.monotonic()
    while time.monotonic() < settle_end and not retrying(all_terminal):
        marker = retrying(progress_marker)
        if marker != last:
            last, last_change = marker, time.monotonic()
        elif time.monotonic() - last_change > 20:
            break  # nothing moved for 20 s: what is left waits for a lease or the watchdog
        time.sleep(0.3)
    by_itself = retrying(all_terminal)
    natural = time.monotonic() - t_restart
    stranded = {
        p.pk: (p.status, p.step, p.last_error[:80]) for p in retrying(rows) if p.status in PayrollPush.ACTIVE
    }
    recovered_in = None
    if stranded:
        # fast-forward what production waits for: a running push's lease, a pending push's age
        with unscoped():
            PayrollPush.all_organizations.filter(pk__in=stranded, status="running").update(
                lease_until=timezone.now() - datetime.timedelta(seconds=1)
            )
            PayrollPush.all_organizations.filter(pk__in=stranded, status="pending").update(
                updated_at=timezone.now() - LOST_MESSAGE_AFTER - datetime.timedelta(seconds=1)
            )
        t_watchdog = time.monotonic()
        app.send_task("integrations.payroll_push_watchdog", queue="xero")
        end = time.monotonic() + 120
        while time.monotonic() < end and not retrying(all_terminal):
            time.sleep(0.3)
        recovered_in = time.monotonic() - t_watchdog
    stop.set()
    for thread in threads:
        thread.join(15)

    def window(log, bad):
        failures = [t for t, v in log if bad(v)]
        if not failures:
            return "none", 0
        return (
            f"{failures[-1] - failures[0]:.1f} s ({failures[0] - t_restart:+.1f} s to {failures[-1] - t_restart:+.1f} s)",
            len(failures),
        )

    db_window, db_failed = window(db_log, lambda ok: not ok)
    web_window, web_bad = window(web_log, lambda code: code >= 500 or code == 0)
    codes = {}
    for t, code in web_log:
        if t >= t_restart - 1:
            codes[code] = codes.get(code, 0) + 1
    final = retrying(rows)
    total, dup = private_stack.duplicates(orgs)
    with unscoped():
        running = PayrollPush.all_organizations.filter(pk__in=ids, status="running").count()
        in_flight = PayrollPushItem.all_organizations.filter(push_id__in=ids, status="in_flight").count()
    print(
        f"database error window (new connection + SELECT 1 every 0.1 s): {db_window}, {db_failed} failed probes"
    )
    print(
        f"web error window (logged-in GET of a push page every 0.2 s): {web_window}, {web_bad} 5xx/failed; "
        f"status codes from 1 s before the restart on: {dict(sorted(codes.items()))}"
    )
    print(
        f"every push terminal by itself: {'yes' if by_itself else 'no'} "
        f"({natural:.1f} s after the restart{'' if by_itself else ', then nothing moved for 20 s'})"
    )
    if stranded:
        print(f"left active: {stranded}")
        print(
            f"after fast-forwarding their lease / pending age and one watchdog run: terminal in {recovered_in:.1f} s "
            f"(production: lease {LEASE.total_seconds() / 60:.0f} min, or {LOST_MESSAGE_AFTER.total_seconds() / 60:.0f} min "
            "for a pending push whose message was lost, + watchdog period 1 min)"
        )
    print(
        f"outcome: {status_counts(final)}, "
        f"{sum(p.sent for p in final)} sent; sandbox: {total} timesheets, {dup} duplicates; "
        f"rows running now: {running}; items in_flight now: {in_flight}"
    )


def push_rows(ids: list[int]) -> list:
    from integrations.models import PayrollPush
    from timeclamp.tenancy import unscoped

    with unscoped():
        return list(PayrollPush.all_organizations.filter(pk__in=ids))


def status_counts(pushes) -> dict[str, int]:
    return dict(Counter(sorted(p.status for p in pushes)))


def request_pushes(orgs) -> list[int]:
    """Each organisation's admin requests its push (committed, then published to the broker)."""
    from integrations.services.payroll import payroll_push_request
    from timeclamp.tenancy import organization_scope

    ids = []
    for org in orgs:
        with organization_scope(org.organization):
            push, _ = payroll_push_request(
                organization=org.organization, actor=org.admin, calendar=org.calendar, period=org.period
            )
        ids.append(push.pk)
    return ids


def arrivals_while_down(stack, pg, args) -> None:
    """Phase 2, made deterministic: the worker receives push messages while PostgreSQL is down (the
    worker stops consuming, the pushes are requested, PostgreSQL stops, the worker consumes again,
    PostgreSQL starts ``--down-for`` seconds later). The first ``--concurrency`` tasks (more when
    they fail at once, as before the fix) find the database down; each must ride the outage out
    rather than fail and leave its push to the watchdog's lost-message rule (15 min)."""
    from integrations.models import PayrollPush
    from tests.reliability.world import build_connected_org
    from timeclamp.celery import app

    retrying = private_stack.retrying
    orgs = [build_connected_org(name=f"PG late {i:02d}", staff=50) for i in range(args.arrivals)]
    app.control.cancel_consumer("xero", reply=True, timeout=5)
    ids = request_pushes(orgs)
    log = stack.workdir / "worker-pgrestart.log"
    failed_before = log.read_text(errors="replace").count("raised unexpected")
    pg.stop(mode="fast")
    app.control.add_consumer("xero", reply=True, timeout=5)
    time.sleep(args.down_for)
    pg.start()
    t_up = time.monotonic()

    rows = functools.partial(push_rows, ids)

    while time.monotonic() < t_up + args.settle and any(
        p.status in PayrollPush.ACTIVE for p in retrying(rows)
    ):
        time.sleep(0.3)
    final = retrying(rows)
    failed = log.read_text(errors="replace").count("raised unexpected") - failed_before
    terminal = all(p.status not in PayrollPush.ACTIVE for p in final)
    total, dup = private_stack.duplicates(orgs)
    print(
        f"\nF6, phase 2: {args.arrivals} pushes queued; the worker (taking {args.concurrency} at a time) resumed "
        f"consuming while PostgreSQL was down for {args.down_for:.0f} s: "
        f"{status_counts(final)}, {'terminal' if terminal else 'NOT all terminal'} {time.monotonic() - t_up:.1f} s after it was back; "
        f"tasks failed outright: {failed}; "
        f"sandbox: {total} timesheets, {dup} duplicates"
    )


if __name__ == "__main__":
    main()
