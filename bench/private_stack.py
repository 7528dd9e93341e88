"""The stack of bench_pg_restart.py and bench_web_load.py, on PRIVATE servers only (the machine's
shared PostgreSQL and Redis are never used): a private ``redis-server`` (AOF) as broker and governor,
the app's database on a private PostgreSQL 15 cluster (initdb in a temp dir, trust auth, free
127.0.0.1 port) or on a given --database server, the Xero sandbox's database in a SQLite file (the
sandbox stands in for Xero, which does not share our PostgreSQL), gunicorn (sandbox_stack.Stack).

Call ``prepare()`` before ``django.setup()``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sandbox_stack

from tests.reliability.private_services import PrivatePostgres, PrivateRedis, free_port

PASSWORD = "bench-Password-123"  # noqa: S105 - bench-only users on a throwaway database


def prepare(args: argparse.Namespace, *, label: str, extra_env: dict[str, str] | None = None):
    """Start the private servers; returns (stack, private_redis, private_postgres)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"timeclamp-{label}-"))
    redis_server = PrivateRedis(workdir / "redis").start()
    pg = PrivatePostgres().init().start()
    import psycopg2

    conn = psycopg2.connect(pg.url.replace("postgres://", "postgresql://", 1))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "bench_{label}"')
    conn.close()
    args.redis = redis_server.url
    args.database = pg.url
    urls = {
        "default": pg.url.rsplit("/", 1)[0] + f"/bench_{label}",
        "xero_sandbox": f"sqlite:///{workdir / 'sandbox.sqlite3'}",
    }
    stack = sandbox_stack.Stack(
        args=args, workdir=workdir, database_urls=urls, overrides=dict(extra_env or {})
    )
    wanted = stack.environ()
    for key in set(os.environ) - set(wanted):
        del os.environ[key]
    os.environ.update(wanted)
    os.environ["LOG_LEVEL"] = "WARNING"
    return stack, redis_server, pg


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=free_port(), help="gunicorn port on 127.0.0.1")
    parser.add_argument("--latency-ms", type=int, default=100, help="XERO_SANDBOX_LATENCY_MS")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs) afterwards")


def close(stack, redis_server, pg) -> None:
    from django.db import connections

    connections.close_all()
    for worker in stack.workers:
        stack.stop(worker)
    stack.stop(stack.server, grace=10)
    redis_server.stop()
    pg.remove()
    if stack.args.keep:
        print(f"\nKept logs in {stack.workdir}")
    else:
        import shutil

        shutil.rmtree(stack.workdir, ignore_errors=True)


def retrying(fn, *, timeout: float = 60):
    """Call ``fn`` (ORM reads of this process), reconnecting while the database restarts."""
    from django.db import OperationalError, connections
    from django.db.utils import InterfaceError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except (OperationalError, InterfaceError):
            connections.close_all()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def add_period_entries(org, periods) -> None:
    """Approved 7.5-hour weekday entries for every staff member of ``org`` in each extra period."""
    from staff.models import StaffMember
    from timeclamp.tenancy import unscoped
    from timesheets.models import TimeEntry

    now = datetime.datetime.now(datetime.UTC)
    with unscoped():
        members = list(StaffMember.all_organizations.filter(organization=org.organization))
        tz = org.organization.tzinfo
        entries = []
        for period in periods:
            for member in members:
                for day in range(5):
                    work_date = period.start + datetime.timedelta(days=day)
                    start = datetime.datetime.combine(work_date, datetime.time(9), tzinfo=tz)
                    entries.append(
                        TimeEntry(
                            organization=org.organization,
                            staff_member=member,
                            work_date=work_date,
                            start_at=start,
                            end_at=start + datetime.timedelta(hours=8),
                            break_minutes=30,
                            minutes=450,
                            status=TimeEntry.Status.APPROVED,
                            submitted_at=now,
                            approved_at=now,
                            approved_by=org.admin,
                            created_by=org.admin,
                        )
                    )
        TimeEntry.all_organizations.bulk_create(entries, batch_size=2000)


def weeks_back(n: int):
    """The ``n`` weekly pay periods before last week's (last week is world.py's default)."""
    from integrations.periods import PayPeriod
    from tests.reliability.world import last_week

    first = last_week().start
    return [
        PayPeriod(
            start=first - datetime.timedelta(days=7 * k), end=first - datetime.timedelta(days=7 * k - 6)
        )
        for k in range(1, n + 1)
    ]


def login(session, base: str, email: str) -> None:
    """Log in through the real login form (GET for the CSRF token, POST the form)."""
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {email} failed: HTTP {response.status_code}")


def add_user(org, email: str):
    from staff.models import Membership, Role, User

    user = User.objects.create_user(email=email, password=PASSWORD)
    Membership.objects.create(user=user, organization=org.organization, role=Role.ADMIN)
    return user


def submit_push(session, base: str, org, period) -> tuple[int, float]:
    """POST the $Payroll push form; returns (HTTP status, seconds)."""
    t0 = time.perf_counter()
    response = session.post(
        f"{base}/o/{org.organization.slug}/timesheets/payroll/push/",
        data={
            "csrfmiddlewaretoken": session.cookies.get("csrftoken")
            or session.cookies.get("__Host-csrftoken", ""),
            "calendar": org.calendar.calendar_id,
            "period": f"{period.start.isoformat()}_{period.end.isoformat()}",
        },
        headers={"Referer": f"{base}/o/{org.organization.slug}/timesheets/payroll/"},
        allow_redirects=False,
        timeout=60,
    )
    return response.status_code, time.perf_counter() - t0


def duplicates(orgs) -> tuple[int, int]:
    """(timesheets in the sandbox for these orgs' employees, employee+period pairs with more than one)."""
    from collections import Counter

    from xero_sandbox.models import Timesheet

    ids = [e for org in orgs for e in org.employee_ids]
    pairs = Counter(
        Timesheet.objects.filter(employee__employee_id__in=ids).values_list(
            "employee__employee_id", "start_date"
        )
    )
    return sum(pairs.values()), sum(1 for n in pairs.values() if n > 1)
