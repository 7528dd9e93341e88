"""Real clients against the sandbox: Authlib's OAuth2Session (adapter mounted, and through
``responses`` for sessions a library builds itself), and the product's own XeroOAuth."""

import secrets
from urllib.parse import urlsplit

import pytest
import responses
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from django.conf import settings
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.sandbox_http import SANDBOX_ORIGIN, SandboxAdapter, forward_with_responses
from xero_sandbox.identity import control, session
from xero_sandbox.identity.registry import sandbox_app_from_settings
from xero_sandbox.models import Organisation

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

SCOPE = "openid profile email offline_access payroll.employees payroll.timesheets payroll.settings.read"
AUTHORIZE_URL = f"{settings.XERO_LOGIN_URL}/identity/connect/authorize"
TOKEN_URL = f"{settings.XERO_IDENTITY_URL}/connect/token"
JWKS_URL = f"{settings.XERO_IDENTITY_URL}/.well-known/openid-configuration/jwks"


@pytest.fixture
def app():
    return sandbox_app_from_settings()


@pytest.fixture
def org():
    return Organisation.objects.create(name="Demo Cafe")


@pytest.fixture
def user(org):
    return control.create_user(
        email="olive@example.com",
        password="pw-123456",
        first_name="Olive",
        last_name="Owner",
        organisations=[org],
    )


def browser_consent(url: str, user, org) -> str:
    """What the user's browser does: open the authorize URL, allow, follow the redirect home."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SANDBOX_ORIGIN
    browser = Client()
    store = browser.session
    session.sign_in(store, user)
    store.save()
    path = f"{parts.path}?{parts.query}"
    assert browser.get(path, secure=True).status_code == 200
    answer = browser.post(path, {"action": "allow", "organisation": str(org.tenant_id)}, secure=True)
    assert answer.status_code == 302
    return answer["Location"]


def oauth_session(**kwargs) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
        scope=SCOPE,
        redirect_uri=settings.XERO_REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint=TOKEN_URL,
        **kwargs,
    )


def test_oauth2session_fetches_refreshes_and_revokes(app, user, org):
    client = oauth_session()
    client.mount(SANDBOX_ORIGIN + "/", SandboxAdapter())
    verifier = secrets.token_urlsafe(48)
    url, _state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier, nonce="n-0")
    callback = browser_consent(url, user, org)

    token = client.fetch_token(TOKEN_URL, authorization_response=callback, code_verifier=verifier)
    assert token["token_type"] == "Bearer"
    assert token["refresh_token"].startswith("xero_test_tok_")
    assert token["expires_at"] > 0

    # the id_token validates the way Authlib's OIDC clients validate it
    key_set = KeySet.import_key_set(client.get(JWKS_URL, timeout=5).json())
    decoded = jwt.decode(token["id_token"], key_set, algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={"iss": {"values": [settings.XERO_IDENTITY_URL]}},
        params={"nonce": "n-0", "client_id": settings.XERO_CLIENT_ID, "access_token": token["access_token"]},
    )
    claims.validate(leeway=5)
    assert claims["email"] == "olive@example.com"

    listed = client.get(f"{settings.XERO_API_URL}/connections", timeout=5)
    assert [c["tenantName"] for c in listed.json()] == ["Demo Cafe"]

    old_refresh = token["refresh_token"]
    new = client.refresh_token(TOKEN_URL)
    assert new["refresh_token"] != old_refresh
    assert client.token["access_token"] == new["access_token"]

    # an expired token is refreshed automatically before the call
    client.token = {**client.token, "expires_at": 1}
    listed = client.get(f"{settings.XERO_API_URL}/connections", timeout=5)
    assert listed.status_code == 200
    assert client.token["refresh_token"] != new["refresh_token"]

    revoked = client.revoke_token(
        f"{settings.XERO_IDENTITY_URL}/connect/revocation",
        token=client.token["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200
    with pytest.raises(OAuthError) as caught:
        client.refresh_token(TOKEN_URL)
    assert caught.value.error == "invalid_grant"


def test_oauth2session_through_responses_forwarding(app, user, org):
    """Sessions created inside libraries are reached with ``responses`` (stack-notes section 10)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        forward_with_responses(rsps)
        client = oauth_session(token_endpoint_auth_method="client_secret_post")
        verifier = secrets.token_urlsafe(48)
        url, _state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        token = client.fetch_token(
            TOKEN_URL, authorization_response=browser_consent(url, user, org), code_verifier=verifier
        )
        refreshed = client.refresh_token(TOKEN_URL, refresh_token=token["refresh_token"])
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert any(call.request.url == TOKEN_URL for call in rsps.calls)


def test_cancel_returns_authlibs_state_with_access_denied(app, user, org):
    client = oauth_session()
    client.mount(SANDBOX_ORIGIN + "/", SandboxAdapter())
    url, state = client.create_authorization_url(AUTHORIZE_URL, code_verifier=secrets.token_urlsafe(48))
    parts = urlsplit(url)
    browser = Client()
    store = browser.session
    session.sign_in(store, user)
    store.save()
    cancelled = browser.post(f"{parts.path}?{parts.query}", {"action": "cancel"}, secure=True)
    assert cancelled["Location"] == f"{settings.XERO_REDIRECT_URI}?error=access_denied&state={state}"


def test_the_products_xero_oauth_client_works_against_the_sandbox(app, user, org):
    oauth_module = pytest.importorskip("integrations.xero.oauth")
    from tests.sandbox_http import sandbox_session

    config = oauth_module.XeroOAuthConfig(
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
        redirect_uri=settings.XERO_REDIRECT_URI,
        scopes=tuple(settings.XERO_SCOPES),
        login_url=settings.XERO_LOGIN_URL,
        identity_url=settings.XERO_IDENTITY_URL,
        api_url=settings.XERO_API_URL,
    )
    oauth = oauth_module.XeroOAuth(config, session_factory=sandbox_session)
    request = oauth.authorization_request()
    callback = browser_consent(request.url, user, org)
    query = dict(part.split("=", 1) for part in urlsplit(callback).query.split("&"))
    from urllib.parse import unquote

    assert unquote(query["state"]) == request.state
    token_set = oauth.exchange_code(code=unquote(query["code"]), code_verifier=request.code_verifier)
    assert token_set.auth_event_id
    assert token_set.xero_userid == str(user.xero_userid)
    tenants = oauth.list_connections(
        access_token=token_set.access_token, auth_event_id=token_set.auth_event_id
    )
    assert [t.tenant_id for t in tenants] == [str(org.tenant_id)]
    newer = oauth.refresh(refresh_token=token_set.refresh_token)
    assert newer.refresh_token != token_set.refresh_token
    oauth.revoke(refresh_token=newer.refresh_token)
    with pytest.raises(oauth_module.XeroInvalidGrant):
        oauth.refresh(refresh_token=newer.refresh_token)
