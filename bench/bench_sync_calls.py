"""Issue 5 benchmark: how many Xero calls reading an organisation's employees costs.

Against the Xero sandbox over real HTTP (gunicorn on 127.0.0.1, same stack as bench_push.py), with
the product's own sync (xero_sync_request -> xero_employees_sync, run in this process): Payroll AU
lists 100 employees per page and gives no total, so a read goes on until a page comes back short.

Printed: a full read of 5,000 employees (expected ~50 calls: with exactly 5,000 it is 51, because the
50th page is full and only an empty 51st page says it was the last); incremental reads with
If-Modified-Since when nothing changed (expected 1) and when one employee changed; and, for contrast,
a full read of 4,999 employees (50 calls). Calls and 429s come from the sandbox's RequestLog.

    .venv/bin/python bench/bench_sync_calls.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sandbox_stack  # sets sys.path; its prepare() sets the environment before Django starts


def sync(org, *, full: bool = False) -> dict:
    from django.utils import timezone

    from integrations.models import XeroSyncRun
    from integrations.services.matching import xero_sync_request
    from tests.reliability.world import tenant_traffic
    from timeclamp.celery import app as celery_app
    from timeclamp.tenancy import organization_scope

    celery_app.conf.task_always_eager = True  # the task runs here, on commit
    since = timezone.now()
    started = time.perf_counter()
    with organization_scope(org.organization):
        run = xero_sync_request(organization=org.organization, actor=org.admin, full=full)
        run = XeroSyncRun.objects.get(pk=run.pk)
    wall = time.perf_counter() - started
    traffic = tenant_traffic(org.tenant_id, since=since)
    return {"run": run, "wall": wall, **traffic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sandbox_stack.add_arguments(parser, port=8151)
    parser.add_argument("--employees", type=int, default=5000)
    args = parser.parse_args()
    stack = sandbox_stack.prepare(args, label="sync")
    import django

    django.setup()
    try:
        run(stack, args)
    finally:
        stack.close()


def run(stack, args) -> None:
    from tests.reliability.world import build_connected_org
    from xero_sandbox.control.api import update_employee

    print(f"Migrating two fresh databases ({'SQLite' if args.database == 'sqlite' else 'PostgreSQL'}) ...")
    stack.migrate()
    stack.start_server()
    print(f"Sandbox: gunicorn on {stack.site_url} (latency {args.latency_ms} ms, 60/min, 5 in flight)")
    n = args.employees
    big = build_connected_org(name="Sync big", staff=n, with_entries=False, link=False)
    short = build_connected_org(name="Sync short", staff=n - 1, with_entries=False, link=False)

    results = [("full read (first sync)", n, "~50", sync(big))]
    results.append(("incremental, nothing changed", n, "1", sync(big)))
    update_employee(big.employee_ids[n // 2], email="changed@bench.test")
    results.append(("incremental, 1 employee changed", n, "1", sync(big)))
    results.append(("full read (first sync)", n - 1, "50", sync(short)))

    print(
        "\nIssue 5: Xero calls to read one organisation's employees (Payroll AU v1: 100 per page, no total)"
    )
    header = (
        f"{'read':<34}{'in Xero':>8}{'calls':>7}{'expected':>10}{'pages':>7}{'employees read':>16}"
        f"{'auto-linked':>13}{'429s':>6}{'time':>9}  If-Modified-Since"
    )
    print(header)
    print("-" * len(header))
    for label, in_xero, expected, r in results:
        run = r["run"]
        print(
            f"{label:<34}{in_xero:>8,}{r['calls']:>7}{expected:>10}{run.pages:>7}{run.employees_read:>16,}"
            f"{run.auto_linked:>13,}{r['status_429']:>6}{r['wall']:>8.1f}s  {'no' if run.full else 'yes'}"
        )
    print("-" * len(header))
    full = results[0][3]
    print(
        f"A full read of exactly {n:,} employees took {full['calls']} calls: pages 1-{n // 100} are full "
        f"(100 each), so the loop cannot know it has everything until page {n // 100 + 1} comes back "
        "empty (Xero gives no total). With one employee fewer the last page is short and the read "
        f"stops at page {(n - 1) // 100 + 1}. Every run: status "
        + ", ".join(sorted({r[3]["run"].status for r in results}))
        + "."
    )


if __name__ == "__main__":
    main()
