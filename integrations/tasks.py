"""Celery adapters: ids in, a service call, a retry policy. No business rules here."""

import logging

from celery import shared_task

from integrations.exceptions import XeroNotConnected, XeroReconnectRequired
from integrations.governor import GovernorTimeout
from integrations.models import XeroConnection
from integrations.services import connections
from integrations.xero import XeroUnavailable
from timeclamp.outages import INFRASTRUCTURE_ERRORS
from timeclamp.tenancy import unscoped
from timeclamp.tenancy.tasks import OrganizationTask

logger = logging.getLogger(__name__)


@shared_task(
    name="integrations.xero_tokens_keepalive",
    base=OrganizationTask,
    autoretry_for=(XeroUnavailable, GovernorTimeout),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def xero_tokens_keepalive_task(*, organization) -> bool:
    try:
        return connections.xero_tokens_keepalive(organization=organization)
    except (XeroNotConnected, XeroReconnectRequired):
        return False


@shared_task(
    name="integrations.xero_health_check",
    base=OrganizationTask,
    autoretry_for=(XeroUnavailable, GovernorTimeout),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def xero_health_check_task(*, organization) -> bool:
    try:
        return connections.xero_health_check(organization=organization)
    except (XeroNotConnected, XeroReconnectRequired):
        return False


@shared_task(
    name="integrations.xero_employees_sync",
    base=OrganizationTask,
    acks_late=True,
    autoretry_for=(XeroUnavailable, GovernorTimeout),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def xero_employees_sync_task(*, organization, run_id: int) -> None:
    from integrations.services.matching import xero_employees_sync

    try:
        xero_employees_sync(organization=organization, run_id=run_id)
    except (XeroNotConnected, XeroReconnectRequired):
        return


@shared_task(name="integrations.xero_connections_daily")
def xero_connections_daily_task() -> int:
    """Beat entry point: one keep-alive and one health check per connected organisation, each in its
    own scope (fan-out), so one organisation's failure never stops another's."""
    with unscoped():
        org_ids = list(
            XeroConnection.objects.filter(status=XeroConnection.Status.ACTIVE).values_list(
                "organization_id", flat=True
            )
        )
    for org_id in org_ids:
        xero_tokens_keepalive_task.apply_async(kwargs={"organization_id": org_id}, queue="xero")
        xero_health_check_task.apply_async(kwargs={"organization_id": org_id}, queue="xero")
        xero_nightly_sync_task.apply_async(kwargs={"organization_id": org_id}, queue="xero")
    return len(org_ids)


@shared_task(name="integrations.xero_nightly_sync", base=OrganizationTask)
def xero_nightly_sync_task(*, organization) -> None:
    """Nightly re-check of staff matching (incremental read of Xero's employees)."""
    from integrations.services.matching import xero_sync_request

    try:
        xero_sync_request(organization=organization, actor=None)
    except (XeroNotConnected, XeroReconnectRequired):
        return


@shared_task(
    name="integrations.payroll_push_execute",
    base=OrganizationTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker's push is redelivered, and resumes from its items
    # Xero down, our pacing, and an outage of our own Redis or PostgreSQL longer than the push rides
    # out in place (timeclamp.outages): retry with backoff; the retry takes its own lease back and
    # resumes from the items.
    autoretry_for=(XeroUnavailable, GovernorTimeout, *INFRASTRUCTURE_ERRORS),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=1500,
    time_limit=1800,
)
def payroll_push_execute_task(self, *, organization, push_id: int) -> None:
    from integrations.services.payroll import payroll_push_execute

    payroll_push_execute(organization=organization, push_id=push_id, owner=self.request.id or "")


@shared_task(name="integrations.payroll_push_watchdog")
def payroll_push_watchdog_task() -> int:
    """Beat, every minute: resume parked pushes whose time has come, pending pushes whose message was
    lost, and running pushes whose worker died (lease expired). Resuming is safe: the push re-reads
    Xero and sends only what is missing."""
    from integrations.services.payroll import payroll_pushes_requeue_due

    return payroll_pushes_requeue_due()
