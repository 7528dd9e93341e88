"""I10 (reliability-notes §8): no token string in the broker's traffic, the worker's log or a dump of
our database, while a real worker refreshes expired access tokens (Xero rotates the refresh token)
and pushes timesheets.

A private Redis is the worker's broker and rate governor, with ``redis-cli MONITOR`` recording every
command it receives; the tokens looked for are every access and refresh token our connections held
before and after the run, and the sandbox's refresh-token prefix ``xero_test_tok_``. There is no
Celery result backend (CELERY_RESULT_BACKEND is unset): no result store to search.
"""

import datetime
import shutil
import subprocess
import time

import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import PayrollPush, XeroConnection
from integrations.services.payroll import payroll_push_request
from tests.reliability.conftest import queue_pushes_on, wait_for
from tests.reliability.private_services import PrivateRedis
from tests.reliability.world import build_connected_org, timesheets_per_employee
from timeclamp.tenancy import organization_scope, unscoped

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "xero_sandbox"], transaction=True),
    pytest.mark.timeout(120),
]

ORGS, STAFF = 3, 10
SANDBOX_TOKEN_PREFIX = "xero_test_tok_"


def tokens_held(orgs) -> set[str]:
    with unscoped():
        rows = XeroConnection.all_organizations.filter(organization__in=[o.organization for o in orgs])
        return {token for row in rows for token in (row.access_token, row.refresh_token) if token}


def database_dump() -> str:
    """A plain-text dump of our database (the sandbox's database is Xero's side and is left out)."""
    db = connection.settings_dict
    return subprocess.run(  # noqa: S603 - fixed argv
        [
            shutil.which("pg_dump") or "/usr/bin/pg_dump",
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"] or "postgres",
            db["NAME"],
        ],
        env={"PGPASSWORD": db["PASSWORD"] or ""},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_no_token_reaches_the_broker_the_worker_log_or_the_database(
    start_worker, worker_env, tmp_path, monkeypatch
):
    redis = PrivateRedis(tmp_path / "redis").start()
    monitor_path = tmp_path / "monitor.log"
    with open(monitor_path, "wb") as out:
        monitor = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            [shutil.which("redis-cli") or "/usr/bin/redis-cli", "-p", str(redis.port), "MONITOR"], stdout=out
        )
    try:
        worker_env.update(REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url)
        queue_pushes_on(monkeypatch, redis.url)
        orgs = [build_connected_org(name=f"Secrets {i}", staff=STAFF) for i in range(ORGS)]
        before = tokens_held(orgs)
        with unscoped():  # every access token has expired: the worker must refresh before pushing
            XeroConnection.all_organizations.filter(organization__in=[o.organization for o in orgs]).update(
                access_token_expires_at=timezone.now() - datetime.timedelta(minutes=1)
            )
        worker = start_worker()
        pushes = []
        for org in orgs:
            with organization_scope(org.organization):
                push, _ = payroll_push_request(
                    organization=org.organization, actor=org.admin, calendar=org.calendar, period=org.period
                )
            pushes.append(push)

        def all_finished():
            with unscoped():
                rows = PayrollPush.all_organizations.filter(pk__in=[p.pk for p in pushes])
                return all(r.status not in PayrollPush.ACTIVE for r in rows) and rows

        rows = wait_for(all_finished, timeout=60, interval=0.2, what="the pushes to finish")
        time.sleep(0.5)  # let MONITOR flush the last commands
    finally:
        monitor.terminate()
        monitor.wait(10)
        redis.stop()

    assert all(r.status == PayrollPush.Status.SUCCEEDED for r in rows)
    for org in orgs:
        assert max(timesheets_per_employee(org).values()) == 1
    after = tokens_held(orgs)
    assert after.isdisjoint(before), "every connection should have refreshed (rotated) its tokens"
    secrets = before | after
    places = {
        "Redis MONITOR (broker + governor)": monitor_path.read_text(errors="replace"),
        "worker log": worker.log(),
        "database dump": database_dump(),
    }
    assert all(len(text) > 1000 for text in places.values())  # each capture really holds the traffic
    assert "integrations.payroll_push_execute" in places["Redis MONITOR (broker + governor)"]
    found = {
        name: sum(text.count(secret) for secret in secrets) + text.count(SANDBOX_TOKEN_PREFIX)
        for name, text in places.items()
    }
    print(
        f"\nI10: {len(secrets)} tokens ({ORGS} connections, before and after a refresh) searched in "
        + ", ".join(f"{name} ({len(places[name]):,} chars): {count}" for name, count in found.items())
    )
    assert found == dict.fromkeys(places, 0)
