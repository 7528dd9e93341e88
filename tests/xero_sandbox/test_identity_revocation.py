"""Revocation (endpoint and "the user removed the app in Xero") and the other Xero-side controls."""

import pytest
from django.conf import settings

from xero_sandbox.identity import control, tokens
from xero_sandbox.identity.registry import register_app, sandbox_app_from_settings
from xero_sandbox.models import Connection, Grant, Organisation

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

IDENTITY = settings.XERO_IDENTITY_URL
API = settings.XERO_API_URL
CLIENT = (settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET)
SCOPES = ["openid", "offline_access", "payroll.employees", "payroll.timesheets"]


@pytest.fixture
def app():
    return sandbox_app_from_settings()


@pytest.fixture
def orgs():
    return [Organisation.objects.create(name="Demo Cafe"), Organisation.objects.create(name="Other Bakery")]


@pytest.fixture
def user(orgs):
    return control.create_user(email="owner@example.com", password="pw-123456", organisations=orgs)


def connect(xero_http, user, organisations) -> dict:
    code = control.authorize_for_tests(
        settings.XERO_CLIENT_ID, settings.XERO_REDIRECT_URI, SCOPES, user, organisations, "s"
    )
    response = xero_http.post(
        f"{IDENTITY}/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": settings.XERO_REDIRECT_URI},
        auth=CLIENT,
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def refresh(xero_http, token):
    return xero_http.post(
        f"{IDENTITY}/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=CLIENT,
        timeout=5,
    )


def revoke(xero_http, token, auth=CLIENT, **extra):
    return xero_http.post(
        f"{IDENTITY}/connect/revocation", data={"token": token, **extra}, auth=auth, timeout=5
    )


def connections(xero_http, access_token):
    return xero_http.get(f"{API}/connections", headers={"Authorization": f"Bearer {access_token}"}, timeout=5)


def test_revocation_kills_refresh_and_access_tokens_and_removes_every_connection(xero_http, app, user, orgs):
    first = connect(xero_http, user, [orgs[0]])
    second = connect(xero_http, user, [orgs[1]])  # same grant, another consent
    assert len(connections(xero_http, second["access_token"]).json()) == 2

    response = revoke(xero_http, second["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert response.content == b""

    for token_set in (first, second):
        assert refresh(xero_http, token_set["refresh_token"]).json()["error"] == "invalid_grant"
        with pytest.raises(tokens.InvalidToken):
            tokens.verify_access_token(token_set["access_token"])
        listed = connections(xero_http, token_set["access_token"])
        assert listed.status_code == 401
        assert listed.json()["Detail"] == "AuthenticationUnsuccessful"
    assert not Connection.objects.filter(deleted_at__isnull=True).exists()
    assert Grant.objects.get().revoked_at is not None


def test_revocation_with_form_client_credentials(xero_http, app, user, orgs):
    token_set = connect(xero_http, user, [orgs[0]])
    response = revoke(
        xero_http,
        token_set["refresh_token"],
        auth=None,
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
    )
    assert response.status_code == 200
    assert refresh(xero_http, token_set["refresh_token"]).status_code == 400


def test_revocation_needs_a_valid_client_and_a_token(xero_http, app, user, orgs):
    token_set = connect(xero_http, user, [orgs[0]])
    bad = revoke(xero_http, token_set["refresh_token"], auth=(settings.XERO_CLIENT_ID, "wrong"))
    assert bad.status_code == 401
    assert bad.json() == {"error": "invalid_client"}
    missing = xero_http.post(f"{IDENTITY}/connect/revocation", data={}, auth=CLIENT, timeout=5)
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request"}
    odd_hint = revoke(xero_http, token_set["refresh_token"], token_type_hint="id_token")
    assert odd_hint.json() == {"error": "unsupported_token_type"}
    assert refresh(xero_http, token_set["refresh_token"]).status_code == 200


def test_unknown_or_foreign_tokens_are_answered_200_and_revoke_nothing(xero_http, app, user, orgs):
    token_set = connect(xero_http, user, [orgs[0]])
    assert revoke(xero_http, "xero_test_tok_unknown").status_code == 200
    register_app(client_id="other", client_secret="other-secret", redirect_uris=["https://other.example/cb"])
    assert revoke(xero_http, token_set["refresh_token"], auth=("other", "other-secret")).status_code == 200
    assert revoke(xero_http, token_set["access_token"]).status_code == 200
    assert tokens.verify_access_token(token_set["access_token"])
    assert Grant.objects.get().revoked_at is None


def test_a_used_refresh_token_still_revokes_the_grant(xero_http, app, user, orgs):
    token_set = connect(xero_http, user, [orgs[0]])
    newer = refresh(xero_http, token_set["refresh_token"]).json()
    assert revoke(xero_http, token_set["refresh_token"]).status_code == 200
    assert refresh(xero_http, newer["refresh_token"]).json()["error"] == "invalid_grant"
    # the grace replay is gone too
    assert refresh(xero_http, token_set["refresh_token"]).json()["error"] == "invalid_grant"


def test_reconnecting_after_revocation_starts_a_fresh_grant(xero_http, app, user, orgs):
    old = connect(xero_http, user, [orgs[0], orgs[1]])
    original = Connection.objects.get(organisation=orgs[0])
    revoke(xero_http, old["refresh_token"])
    code = control.authorize_for_tests(
        settings.XERO_CLIENT_ID,
        settings.XERO_REDIRECT_URI,
        ["openid", "payroll.employees.read"],
        user,
        [orgs[0]],
        "s",
    )
    assert code
    grant = Grant.objects.get()
    assert grant.revoked_at is None
    assert grant.scopes == ["openid", "payroll.employees.read"]  # revoked scopes are not carried over
    live = Connection.objects.filter(deleted_at__isnull=True)
    assert [c.id for c in live] == [original.id]
    assert refresh(xero_http, old["refresh_token"]).json()["error"] == "invalid_grant"
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(old["access_token"])


# --- control helpers -------------------------------------------------------------------------------


def test_revoke_grant_is_the_user_removing_the_app_in_xero(xero_http, app, user, orgs):
    token_set = connect(xero_http, user, orgs)
    bystander = control.create_user(email="b@example.com", password="pw-123456", organisations=orgs)
    other = connect(xero_http, bystander, orgs)
    assert control.revoke_grant(user_email="OWNER@example.com") == 1
    assert control.revoke_grant(user_email="owner@example.com") == 0  # already revoked
    assert refresh(xero_http, token_set["refresh_token"]).json()["error"] == "invalid_grant"
    assert connections(xero_http, token_set["access_token"]).status_code == 401
    assert len(connections(xero_http, other["access_token"]).json()) == 2
    assert control.revoke_grant(user_email="b@example.com", client_id="no-such-app") == 0


def test_remove_connection_drops_one_tenant_and_keeps_the_tokens(xero_http, app, user, orgs):
    token_set = connect(xero_http, user, orgs)
    assert control.remove_connection(tenant_id=orgs[0].tenant_id) == 1
    listed = connections(xero_http, token_set["access_token"]).json()
    assert [c["tenantId"] for c in listed] == [str(orgs[1].tenant_id)]
    assert refresh(xero_http, token_set["refresh_token"]).status_code == 200
    assert control.remove_connection(tenant_id=orgs[0].tenant_id) == 0
