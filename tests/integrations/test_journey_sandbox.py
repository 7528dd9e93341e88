"""The product against the Xero sandbox (in-process, through real views on both sides):
connect, match, preview, push, re-push, revoke, reconnect. No mocks of Xero behaviour."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from integrations.models import (
    PayrollPush,
    PayrollPushItem,
    StaffXeroLink,
    XeroConnection,
    XeroPayrollCalendar,
)
from integrations.services import xero_factory
from staff.demo import demo_weeks
from staff.models import Organization, User
from tests.sandbox_http import sandbox_session
from timeclamp.tenancy import organization_scope
from xero_sandbox.identity.control import authorize_for_tests, revoke_grant
from xero_sandbox.models import Organisation
from xero_sandbox.models import Timesheet as SandboxTimesheet

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

XERO_USER = "xero@demo-cafe.test"
DEMO_XERO_ORG = "Demo Cafe Pty Ltd (AU)"


@pytest.fixture
def world(monkeypatch, tmp_path, settings):
    settings.RATE_GOVERNOR_PATH = tmp_path / "governor.sqlite3"
    monkeypatch.setattr(xero_factory, "http_session_factory", sandbox_session)
    monkeypatch.setattr(xero_factory, "_governor", None)
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("sandbox_seed", stdout=open("/dev/null", "w"))  # noqa: SIM115
    organization = Organization.objects.get(slug="demo-cafe")
    admin = User.objects.get(email="admin@demo-cafe.test")
    client = Client()
    client.force_login(admin)
    return organization, client


def connect(client: Client, organization: Organization, capture) -> None:
    response = client.post(f"/o/{organization.slug}/settings/integrations/xero/connect/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/xero-sandbox/login/identity/connect/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["code_challenge_method"] == "S256"
    code = authorize_for_tests(
        query["client_id"],
        query["redirect_uri"],
        query["scope"],
        XERO_USER,
        [Organisation.objects.get(name=DEMO_XERO_ORG)],
        query["state"],
        query["code_challenge"],
        nonce=query.get("nonce"),
    )
    with capture(execute=True):
        response = client.get("/integrations/xero/callback/", {"code": code, "state": query["state"]})
    assert response.status_code == 302
    assert response["Location"].endswith("/settings/integrations/")


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
