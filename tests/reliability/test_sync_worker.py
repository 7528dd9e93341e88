"""Reading Xero's employees (staff matching) on a real Celery worker whose pool child is SIGKILLed
mid-read: the message is redelivered (acks_late + reject_on_worker_lost, set for every task) and the
read starts again from the first page (upserts), so everyone is matched. A read that is never
redelivered (a message Redis lost, a database error at the wrong moment) no longer blocks later
reads: see test_services_matching.py::test_a_stalled_sync_run_no_longer_blocks_a_new_read."""

import os
import signal

import pytest

from integrations.models import StaffXeroLink, XeroSyncRun
from integrations.services.matching import xero_sync_request
from tests.reliability.conftest import wait_for
from tests.reliability.world import build_connected_org
from timeclamp.tenancy import organization_scope, unscoped
from xero_sandbox.control.api import add_fault
from xero_sandbox.models import RequestLog

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(databases=["default", "xero_sandbox"], transaction=True),
    pytest.mark.timeout(120),
]

STAFF = 12


def test_a_read_whose_worker_child_is_killed_is_redelivered_and_matches_everyone(start_worker, broker):
    org = build_connected_org(name="Sync kill", staff=STAFF, link=False)
    add_fault(
        "hang", count=1, path_contains="Employees", method="GET", hang_seconds=3, tenant_id=org.tenant_id
    )
    worker = start_worker()
    with organization_scope(org.organization):
        run = xero_sync_request(organization=org.organization, actor=org.admin)

    def employees_reads():
        return RequestLog.objects.filter(
            tenant_id__iexact=org.tenant_id, method="GET", path__icontains="Employees"
        )

    wait_for(
        lambda: employees_reads().filter(status=0).exists(), timeout=30, interval=0.05, what="the held read"
    )
    children = worker.children()
    assert len(children) == 1
    os.kill(children[0], signal.SIGKILL)

    def finished():
        with unscoped():
            row = XeroSyncRun.all_organizations.get(pk=run.pk)
        return row if not row.is_active else None

    row = wait_for(finished, timeout=60, interval=0.2, what="the redelivered read to finish")
    assert row.status == XeroSyncRun.Status.SUCCEEDED, row.error
    assert row.employees_read == STAFF
    with unscoped():
        assert StaffXeroLink.all_organizations.filter(organization=org.organization).count() == STAFF
    assert "WorkerLostError" in worker.log() or "SIGKILL" in worker.log()
