"""Xero payroll settings we cache locally: calendars and earnings rates; our organisation's
payroll settings (send as DRAFT or APPROVED, overtime mapping)."""

from django.db import transaction
from django.utils import timezone

from integrations.exceptions import XeroNotConnected
from integrations.models import PayrollSettings, XeroEarningsRate, XeroPayrollCalendar
from integrations.services.connections import xero_call, xero_connection_get
from staff.models import Organization, User
from staff.services import audit_record


def payroll_calendars_refresh(*, organization: Organization) -> list[XeroPayrollCalendar]:
    """Read Xero's payroll calendars and earnings rates (2 calls) into our cache."""
    connection = xero_connection_get(organization=organization)
    if connection is None or not connection.is_active:
        raise XeroNotConnected("Connect Xero first: Settings > Integrations.")
    calendars = xero_call(organization=organization, call=lambda client: client.list_payroll_calendars())
    rates = xero_call(organization=organization, call=lambda client: client.list_earnings_rates())
    now = timezone.now()
    with transaction.atomic():
        XeroPayrollCalendar.objects.filter(organization=organization, tenant_id=connection.tenant_id).delete()
        XeroPayrollCalendar.objects.bulk_create(
            XeroPayrollCalendar(
                organization=organization,
                tenant_id=connection.tenant_id,
                calendar_id=c.calendar_id,
                name=c.name,
                calendar_type=c.calendar_type,
                start_date=c.start_date,
                payment_date=c.payment_date,
                synced_at=now,
            )
            for c in calendars
        )
        XeroEarningsRate.objects.filter(organization=organization, tenant_id=connection.tenant_id).delete()
        XeroEarningsRate.objects.bulk_create(
            XeroEarningsRate(
                organization=organization,
                tenant_id=connection.tenant_id,
                earnings_rate_id=r.earnings_rate_id,
                name=r.name,
                earnings_type=r.earnings_type,
                synced_at=now,
            )
            for r in rates
        )
    return payroll_calendar_list(organization=organization)


def payroll_calendar_list(*, organization: Organization) -> list[XeroPayrollCalendar]:
    connection = xero_connection_get(organization=organization)
    if connection is None:
        return []
    return list(XeroPayrollCalendar.objects.filter(organization=organization, tenant_id=connection.tenant_id))


def payroll_settings_get(*, organization: Organization) -> PayrollSettings:
    settings, _ = PayrollSettings.objects.get_or_create(organization=organization)
    return settings


@transaction.atomic
def payroll_settings_update(
    *,
    organization: Organization,
    actor: User,
    send_as: str,
    overtime_after_minutes: int | None,
    overtime_earnings_rate_id: str,
) -> PayrollSettings:
    settings = payroll_settings_get(organization=organization)
    settings.send_as = send_as
    settings.overtime_after_minutes = overtime_after_minutes
    settings.overtime_earnings_rate_id = overtime_earnings_rate_id if overtime_after_minutes else ""
    settings.save()
    audit_record(
        organization=organization,
        actor=actor,
        action="payroll.settings_changed",
        target=settings,
        summary=f"Send as {send_as}; overtime after {overtime_after_minutes or '-'} min",
    )
    return settings
