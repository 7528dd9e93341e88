"""Shared set-up for tests that run the product against the Xero sandbox in-process: the demo data on
both sides, and the whole connect flow through the real views."""

from urllib.parse import parse_qs, urlsplit

from django.core.management import call_command
from django.test import Client

from integrations.governor import DatabaseGovernor
from integrations.services import xero_factory
from staff.models import Organization, User
from tests.sandbox_http import sandbox_session
from xero_sandbox.identity.control import authorize_for_tests
from xero_sandbox.models import Organisation

XERO_USER = "xero@demo-cafe.test"
DEMO_XERO_ORG = "Demo Cafe Pty Ltd (AU)"


def make_world(monkeypatch, tmp_path, settings):
    monkeypatch.setattr(xero_factory, "http_session_factory", sandbox_session)
    # This test's own governor: with REDIS_URL set, the shared one would carry the seeded tenant's
    # 60-second window (its id is fixed) from test to test and from run to run.
    monkeypatch.setattr(xero_factory, "_governor", DatabaseGovernor(tmp_path / "governor.sqlite3"))
    call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("sandbox_seed", stdout=open("/dev/null", "w"))  # noqa: SIM115
    organization = Organization.objects.get(slug="demo-cafe")
    admin = User.objects.get(email="admin@demo-cafe.test")
    client = Client()
    client.force_login(admin)
    return organization, client


def connect(
    client: Client,
    organization: Organization,
    capture,
    *,
    expect_settings: bool = True,
    grant: tuple = (DEMO_XERO_ORG,),
) -> None:
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
        [Organisation.objects.get(name=name) for name in grant],
        query["state"],
        query["code_challenge"],
        nonce=query.get("nonce"),
    )
    with capture(execute=True):
        response = client.get("/integrations/xero/callback/", {"code": code, "state": query["state"]})
    assert response.status_code == 302
    if expect_settings:
        assert response["Location"].endswith("/settings/integrations/")
