"""The product against the Xero sandbox (in-process, through real views on both sides):
connect, match, preview, push, re-push, revoke, reconnect. No mocks of Xero behaviour."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from integrations.models import (
    PayrollPush,
    PayrollPushItem,
    StaffXeroLink,
    XeroConnection,
    XeroPayrollCalendar,
)
from staff.demo import demo_weeks
from tests.integrations.sandbox_world import DEMO_XERO_ORG, XERO_USER, connect
from timeclamp.tenancy import organization_scope
from xero_sandbox.identity.control import revoke_grant
from xero_sandbox.models import Timesheet as SandboxTimesheet

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


def test_connect_match_preview_push_and_repush_without_duplicates(world, django_capture_on_commit_callbacks):
    organization, client = world
    connect(client, organization, django_capture_on_commit_callbacks)
    with organization_scope(organization):
        connection = XeroConnection.objects.get(organization=organization)
        assert connection.status == XeroConnection.Status.ACTIVE
        assert connection.tenant_name == DEMO_XERO_ORG
        # the sync ran after connecting: exact matches are linked, the seeded differences are not
        assert StaffXeroLink.objects.filter(organization=organization).count() >= 12

    page = client.get(f"/o/{organization.slug}/settings/integrations/staff-matching/").content.decode()
    for phrase in ("Ambiguous", "Terminated in Xero", "Not matched"):
        assert phrase in page

    week = demo_weeks(today=organization.today())[0]  # the approved week
    period = f"{week.isoformat()}_{(week + datetime.timedelta(days=6)).isoformat()}"
    preview = client.get(f"/o/{organization.slug}/timesheets/payroll/", {"period": period}).content.decode()
    assert "Share" in preview
    assert "$Payroll" in preview
    assert "Not linked to a Xero employee." in preview

    with organization_scope(organization):
        calendar_id = XeroPayrollCalendar.objects.get(
            organization=organization, calendar_type="WEEKLY"
        ).calendar_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/o/{organization.slug}/timesheets/payroll/push/", {"calendar": calendar_id, "period": period}
        )
    assert response.status_code == 302
    with organization_scope(organization):
        push = PayrollPush.objects.get(organization=organization)
        assert push.status in (PayrollPush.Status.SUCCEEDED, PayrollPush.Status.PARTIAL), push.last_error
        sent = PayrollPushItem.objects.filter(push=push, status="sent")
        assert sent.count() >= 10
        assert all(item.xero_timesheet_id for item in sent)
    in_xero = SandboxTimesheet.objects.filter(start_date=week).count()
    assert in_xero == sent.count()
    detail = client.get(f"/o/{organization.slug}/timesheets/payroll/pushes/{push.pk}/").content.decode()
    assert "Result per employee" in detail

    # Press it again: Xero's drafts are found and left alone (same hours) - never a second timesheet.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/o/{organization.slug}/timesheets/payroll/push/", {"calendar": calendar_id, "period": period}
        )
    assert SandboxTimesheet.objects.filter(start_date=week).count() == in_xero
    with organization_scope(organization):
        again = PayrollPush.objects.filter(organization=organization).order_by("-pk").first()
        assert again.pk != push.pk
        assert again.sent == 0


def test_revoked_in_xero_turns_into_reconnect_required_then_reconnect_works(
    world, django_capture_on_commit_callbacks
):
    organization, client = world
    connect(client, organization, django_capture_on_commit_callbacks)
    revoke_grant(user_email=XERO_USER, client_id=settings.XERO_CLIENT_ID)
    page = client.get(f"/o/{organization.slug}/timesheets/payroll/").content.decode()
    with organization_scope(organization):
        connection = XeroConnection.objects.get(organization=organization)
    assert connection.status == XeroConnection.Status.NEEDS_RECONNECT
    assert "Reconnect" in client.get(f"/o/{organization.slug}/settings/integrations/").content.decode()
    assert "Reconnect required" in page or "reconnect" in page.lower()
    links_before = StaffXeroLink.all_organizations.filter(organization=organization).count()
    connect(client, organization, django_capture_on_commit_callbacks)
    with organization_scope(organization):
        connection.refresh_from_db()
        assert connection.status == XeroConnection.Status.ACTIVE
        assert StaffXeroLink.objects.filter(organization=organization).count() == links_before


def test_forged_or_replayed_state_is_refused_without_a_token_request(world):
    organization, client = world
    client.post(f"/o/{organization.slug}/settings/integrations/xero/connect/")
    assert client.get("/integrations/xero/callback/", {"code": "x", "state": "forged"}).status_code == 400
    assert client.get("/integrations/xero/callback/", {"code": "x"}).status_code == 400
    assert client.get("/integrations/xero/callback/?state=a&state=b&code=x").status_code == 400


def test_cancel_on_xeros_consent_is_a_friendly_message(world):
    organization, client = world
    response = client.post(f"/o/{organization.slug}/settings/integrations/xero/connect/")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    response = client.get(
        "/integrations/xero/callback/", {"error": "access_denied", "state": state}, follow=True
    )
    assert response.status_code == 200
    assert "not granted" in response.content.decode()
