"""The token endpoint: client authentication, the authorization-code grant, the refresh-token grant."""

import base64
import datetime
import hashlib
import secrets

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from xero_sandbox.identity import control, tokens
from xero_sandbox.identity.registry import register_app, sandbox_app_from_settings
from xero_sandbox.models import AccessToken, Organisation, RefreshToken

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

SCOPES = ["openid", "profile", "email", "offline_access", "payroll.employees", "payroll.timesheets"]
TOKEN_URL = f"{settings.XERO_IDENTITY_URL}/connect/token"
CLIENT = (settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET)


@pytest.fixture
def app():
    return sandbox_app_from_settings()


@pytest.fixture
def org():
    return Organisation.objects.create(name="Demo Cafe")


@pytest.fixture
def user(org):
    return control.create_user(email="owner@example.com", password="pw-123456", organisations=[org])


def get_code(user, org, *, scopes=SCOPES, challenge=None, client_id=None, redirect_uri=None) -> str:
    return control.authorize_for_tests(
        client_id or settings.XERO_CLIENT_ID,
        redirect_uri or settings.XERO_REDIRECT_URI,
        scopes,
        user,
        [org],
        "state-1",
        code_challenge=challenge,
    )


def exchange(http, code, *, auth=CLIENT, redirect_uri=None, **extra):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri or settings.XERO_REDIRECT_URI,
    }
    data.update(extra)
    return http.post(TOKEN_URL, data=data, auth=auth, timeout=5)


def refresh(http, refresh_token, *, auth=CLIENT):
    return http.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": refresh_token}, auth=auth, timeout=5
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def assert_error(response, error, status=400):
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def token_set(xero_http, app, user, org):
    response = exchange(xero_http, get_code(user, org))
    assert response.status_code == 200
    return response.json()


# --- client authentication ---------------------------------------------------------------------


def test_code_exchange_with_http_basic(xero_http, app, user, org):
    response = exchange(xero_http, get_code(user, org))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["id_token", "access_token", "expires_in", "token_type", "refresh_token", "scope"]
    assert body["expires_in"] == 1800
    assert body["token_type"] == "Bearer"
    assert body["scope"] == " ".join(SCOPES)
    assert body["refresh_token"].startswith("xero_test_tok_")
    assert tokens.verify_access_token(body["access_token"]).client_id == settings.XERO_CLIENT_ID


def test_code_exchange_with_client_credentials_in_the_form(xero_http, app, user, org):
    response = exchange(
        xero_http,
        get_code(user, org),
        auth=None,
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
    )
    assert response.status_code == 200
    assert response.json()["refresh_token"].startswith("xero_test_tok_")


def test_a_form_encoded_basic_header_is_accepted(xero_http, user, org):
    register_app(client_id="odd id", client_secret="s+cret:/x", redirect_uris=["https://odd.example/cb"])
    code = get_code(user, org, client_id="odd id", redirect_uri="https://odd.example/cb")
    encoded = base64.b64encode(b"odd+id:s%2Bcret%3A%2Fx").decode()
    response = xero_http.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "https://odd.example/cb"},
        headers={"Authorization": f"Basic {encoded}"},
        timeout=5,
    )
    assert response.status_code == 200


def test_a_bad_secret_over_basic_is_401_with_www_authenticate(xero_http, app, user, org):
    code = get_code(user, org)
    response = exchange(xero_http, code, auth=(settings.XERO_CLIENT_ID, "wrong"))
    assert_error(response, "invalid_client", status=401)
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    garbage = xero_http.post(
        TOKEN_URL, data={"grant_type": "x"}, headers={"Authorization": "Basic !!!"}, timeout=5
    )
    assert_error(garbage, "invalid_client", status=401)
    # the code was not touched by the failed attempts
    assert exchange(xero_http, code).status_code == 200


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": settings.XERO_CLIENT_ID, "client_secret": "wrong"},
        {"client_id": settings.XERO_CLIENT_ID},
        {"client_id": "no-such-app", "client_secret": "x"},
        {},
    ],
)
def test_bad_form_client_credentials_are_400_invalid_client(xero_http, app, user, org, form):
    response = exchange(xero_http, get_code(user, org), auth=None, **form)
    assert_error(response, "invalid_client", status=400)


def test_a_pkce_app_without_a_secret_authenticates_with_its_client_id(xero_http, user, org):
    register_app(client_id="pkce-app", client_secret="", redirect_uris=["https://pkce.example/cb"])
    verifier, challenge = pkce_pair()
    code = get_code(
        user, org, challenge=challenge, client_id="pkce-app", redirect_uri="https://pkce.example/cb"
    )
    response = exchange(
        xero_http,
        code,
        auth=None,
        redirect_uri="https://pkce.example/cb",
        client_id="pkce-app",
        code_verifier=verifier,
    )
    assert response.status_code == 200


# --- request shape -----------------------------------------------------------------------------


def test_request_shape_errors(xero_http, app):
    assert_error(xero_http.post(TOKEN_URL, data={}, auth=CLIENT, timeout=5), "invalid_request")
    assert_error(
        xero_http.post(TOKEN_URL, json={"grant_type": "refresh_token"}, auth=CLIENT, timeout=5),
        "invalid_request",
    )
    for grant_type in (
        "client_credentials",
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ):
        response = xero_http.post(TOKEN_URL, data={"grant_type": grant_type}, auth=CLIENT, timeout=5)
        assert_error(response, "unsupported_grant_type")
    assert xero_http.get(TOKEN_URL, timeout=5).status_code == 405
    assert_error(
        xero_http.post(TOKEN_URL, data={"grant_type": "authorization_code"}, auth=CLIENT, timeout=5),
        "invalid_request",
    )
    assert_error(
        xero_http.post(TOKEN_URL, data={"grant_type": "refresh_token"}, auth=CLIENT, timeout=5),
        "invalid_request",
    )


# --- authorization_code -------------------------------------------------------------------------


def test_a_code_is_single_use_and_replay_revokes_its_tokens(xero_http, app, user, org):
    code = get_code(user, org)
    first = exchange(xero_http, code).json()
    assert tokens.verify_access_token(first["access_token"])
    assert_error(exchange(xero_http, code), "invalid_grant")
    # RFC 6749 4.1.2: the tokens issued from the replayed code are revoked
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(first["access_token"])
    assert_error(refresh(xero_http, first["refresh_token"]), "invalid_grant")


def test_replaying_a_code_does_not_touch_other_token_families(xero_http, app, user, org):
    other = exchange(xero_http, get_code(user, org)).json()
    code = get_code(user, org)
    exchange(xero_http, code)
    exchange(xero_http, code)
    assert tokens.verify_access_token(other["access_token"])
    assert refresh(xero_http, other["refresh_token"]).status_code == 200


def test_an_unknown_code_is_invalid_grant(xero_http, app):
    assert_error(exchange(xero_http, "no-such-code"), "invalid_grant")


def test_codes_expire_after_five_minutes(xero_http, app, user, org):
    fresh, stale = get_code(user, org), get_code(user, org)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4, seconds=50), tick=False):
        assert exchange(xero_http, fresh).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5, seconds=1), tick=False):
        assert_error(exchange(xero_http, stale), "invalid_grant")


@pytest.mark.parametrize(
    "redirect_uri",
    [settings.XERO_REDIRECT_URI.rstrip("/"), settings.XERO_REDIRECT_URI + "?x=1", "https://evil.example/cb"],
)
def test_the_redirect_uri_must_match_the_authorize_request(xero_http, app, user, org, redirect_uri):
    assert_error(exchange(xero_http, get_code(user, org), redirect_uri=redirect_uri), "invalid_grant")


def test_a_missing_redirect_uri_is_invalid_grant(xero_http, app, user, org):
    response = xero_http.post(
        TOKEN_URL,
        data={"grant_type": "authorization_code", "code": get_code(user, org)},
        auth=CLIENT,
        timeout=5,
    )
    assert_error(response, "invalid_grant")


def test_another_clients_code_is_invalid_grant(xero_http, app, user, org):
    register_app(client_id="other", client_secret="other-secret", redirect_uris=[settings.XERO_REDIRECT_URI])
    code = get_code(user, org)
    assert_error(exchange(xero_http, code, auth=("other", "other-secret")), "invalid_grant")
    assert exchange(xero_http, code).status_code == 200


def test_pkce_s256_verifier_is_checked(xero_http, app, user, org):
    verifier, challenge = pkce_pair()
    good = exchange(xero_http, get_code(user, org, challenge=challenge), code_verifier=verifier)
    assert good.status_code == 200
    wrong_verifier, _ = pkce_pair()
    assert_error(
        exchange(xero_http, get_code(user, org, challenge=challenge), code_verifier=wrong_verifier),
        "invalid_grant",
    )
    assert_error(exchange(xero_http, get_code(user, org, challenge=challenge)), "invalid_grant")
    # the challenge itself as verifier ("plain") does not pass
    assert_error(
        exchange(xero_http, get_code(user, org, challenge=challenge), code_verifier=challenge),
        "invalid_grant",
    )


def test_without_offline_access_there_is_no_refresh_token(xero_http, app, user, org):
    body = exchange(xero_http, get_code(user, org, scopes=["openid", "payroll.employees.read"])).json()
    assert "refresh_token" not in body
    assert body["scope"] == "openid payroll.employees.read"
    assert not RefreshToken.objects.exists()


# --- refresh_token ------------------------------------------------------------------------------


def test_refresh_rotates_the_refresh_token_every_time(xero_http, token_set):
    first = refresh(xero_http, token_set["refresh_token"])
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    new = first.json()
    assert new["refresh_token"] != token_set["refresh_token"]
    assert new["refresh_token"].startswith("xero_test_tok_")
    assert new["access_token"] != token_set["access_token"]
    assert new["expires_in"] == 1800
    assert new["scope"] == token_set["scope"]
    second = refresh(xero_http, new["refresh_token"]).json()
    assert second["refresh_token"] not in (new["refresh_token"], token_set["refresh_token"])
    old_claims = tokens.verify_access_token(token_set["access_token"])
    new_claims = tokens.verify_access_token(second["access_token"])
    assert new_claims.authentication_event_id == old_claims.authentication_event_id
    assert new_claims.grant_id == old_claims.grant_id


def test_a_used_refresh_token_replays_the_identical_pair_within_30_minutes(xero_http, token_set):
    first = refresh(xero_http, token_set["refresh_token"]).json()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=29), tick=False):
        again = refresh(xero_http, token_set["refresh_token"])
        assert again.status_code == 200
        assert again.json() == first
    assert AccessToken.objects.count() == 2  # nothing new was issued by the replay
    assert refresh(xero_http, first["refresh_token"]).status_code == 200


def test_a_used_refresh_token_is_dead_after_the_grace_period(xero_http, token_set):
    refresh(xero_http, token_set["refresh_token"])
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=30, seconds=1), tick=False):
        assert_error(refresh(xero_http, token_set["refresh_token"]), "invalid_grant")


def test_a_refresh_token_idle_for_60_days_is_dead(xero_http, app, user, org):
    alive = exchange(xero_http, get_code(user, org)).json()
    dead = exchange(xero_http, get_code(user, org)).json()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=59, hours=23), tick=False):
        assert refresh(xero_http, alive["refresh_token"]).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=60, minutes=1), tick=False):
        assert_error(refresh(xero_http, dead["refresh_token"]), "invalid_grant")


def test_expire_refresh_tokens_ages_them_past_the_idle_limit(xero_http, token_set, user):
    assert control.expire_refresh_tokens(user_email=user.email) == 1
    assert_error(refresh(xero_http, token_set["refresh_token"]), "invalid_grant")


def test_refresh_fails_once_the_user_revoked_the_app(xero_http, token_set, user):
    assert control.revoke_grant(user_email=user.email) == 1
    assert_error(refresh(xero_http, token_set["refresh_token"]), "invalid_grant")


def test_refresh_with_another_clients_credentials_is_invalid_grant(xero_http, token_set):
    register_app(client_id="other", client_secret="other-secret", redirect_uris=["https://other.example/cb"])
    assert_error(
        refresh(xero_http, token_set["refresh_token"], auth=("other", "other-secret")), "invalid_grant"
    )
    assert refresh(xero_http, token_set["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_invalid_grant(xero_http, app):
    assert_error(refresh(xero_http, "xero_test_tok_nope"), "invalid_grant")


def test_the_refresh_token_prefix_is_on_every_refresh_token(xero_http, token_set):
    refresh(xero_http, token_set["refresh_token"])
    assert all(
        t.startswith(tokens.REFRESH_TOKEN_PREFIX)
        for t in RefreshToken.objects.values_list("token", flat=True)
    )
