"""Token contents: access-token and id_token claims, signatures checked against the published JWKS,
discovery, userinfo, and verify_access_token's failures with Xero's Detail texts."""

import base64
import datetime
import json

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet, OctKey, RSAKey

from xero_sandbox.identity import control, tokens
from xero_sandbox.identity.registry import sandbox_app_from_settings
from xero_sandbox.models import Connection, Grant, Organisation

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

IDENTITY = settings.XERO_IDENTITY_URL
FULL = ["openid", "profile", "email", "offline_access", "payroll.employees", "payroll.timesheets"]


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


def token_set(xero_http, user, org, scopes=FULL, nonce=None) -> dict:
    code = control.authorize_for_tests(
        settings.XERO_CLIENT_ID, settings.XERO_REDIRECT_URI, scopes, user, [org], "s", nonce=nonce
    )
    response = xero_http.post(
        f"{IDENTITY}/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": settings.XERO_REDIRECT_URI},
        auth=(settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET),
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def jwks(xero_http) -> KeySet:
    discovery = xero_http.get(f"{IDENTITY}/.well-known/openid-configuration", timeout=5).json()
    return KeySet.import_key_set(xero_http.get(discovery["jwks_uri"], timeout=5).json())


def decode(token: str, key_set: KeySet):
    return jwt.decode(token, key_set, algorithms=["RS256"])


def test_access_token_claims(xero_http, app, user, org):
    before = int(timezone.now().timestamp())
    body = token_set(xero_http, user, org)
    decoded = decode(body["access_token"], jwks(xero_http))
    header, claims = decoded.header, decoded.claims
    assert header["alg"] == "RS256"
    assert header["kid"]
    assert claims["iss"] == IDENTITY
    assert claims["aud"] == "https://identity.xero.com/resources"
    assert claims["exp"] - claims["iat"] == 1800
    assert claims["nbf"] == claims["iat"] >= before
    assert before - 5 <= claims["auth_time"] <= claims["iat"]
    assert claims["client_id"] == settings.XERO_CLIENT_ID
    assert claims["xero_userid"] == str(user.xero_userid)
    assert len(claims["sub"]) == 32
    assert claims["sub"] != user.xero_userid.hex
    assert claims["global_session_id"]
    assert claims["jti"]
    assert claims["scope"] == FULL
    assert claims["authentication_event_id"] == str(Connection.objects.get().auth_event_id)


def test_id_token_claims_and_signature(xero_http, app, user, org):
    body = token_set(xero_http, user, org, nonce="nonce-42")
    key_set = jwks(xero_http)
    id_claims = decode(body["id_token"], key_set).claims
    access_claims = decode(body["access_token"], key_set).claims
    assert id_claims["iss"] == IDENTITY
    assert id_claims["aud"] == settings.XERO_CLIENT_ID
    assert id_claims["sub"] == access_claims["sub"]
    assert id_claims["nonce"] == "nonce-42"
    assert id_claims["email"] == "olive@example.com"
    assert (id_claims["given_name"], id_claims["family_name"], id_claims["name"]) == (
        "Olive",
        "Owner",
        "Olive Owner",
    )
    assert id_claims["xero_userid"] == str(user.xero_userid)
    assert id_claims["global_session_id"] == access_claims["global_session_id"]
    assert id_claims["auth_time"] == access_claims["auth_time"]
    assert id_claims["exp"] > id_claims["iat"]
    assert "authentication_event_id" not in id_claims  # read it from the access token


def test_the_id_token_only_comes_with_openid(xero_http, app, user, org):
    body = token_set(xero_http, user, org, scopes=["offline_access", "payroll.employees"])
    assert "id_token" not in body
    assert decode(body["access_token"], jwks(xero_http)).claims["scope"] == [
        "offline_access",
        "payroll.employees",
    ]


def test_identity_claims_follow_the_scopes(xero_http, app, user, org):
    claims = decode(
        token_set(xero_http, user, org, scopes=["openid", "payroll.employees"])["id_token"], jwks(xero_http)
    ).claims
    assert "email" not in claims
    assert "name" not in claims
    assert "nonce" not in claims
    assert claims["xero_userid"] == str(user.xero_userid)


def test_refresh_issues_a_new_id_token_for_the_same_sign_in(xero_http, app, user, org):
    first = token_set(xero_http, user, org, nonce="n")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=40), tick=False):
        new = xero_http.post(
            f"{IDENTITY}/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
            auth=(settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET),
            timeout=5,
        ).json()
    key_set = jwks(xero_http)
    old_id, new_id = decode(first["id_token"], key_set).claims, decode(new["id_token"], key_set).claims
    assert new_id["auth_time"] == old_id["auth_time"]
    assert new_id["iat"] >= old_id["iat"] + 40 * 60
    assert "nonce" not in new_id
    assert new_id["global_session_id"] == old_id["global_session_id"]


def test_tokens_signed_by_another_key_do_not_verify_against_the_jwks(xero_http, app, user, org):
    body = token_set(xero_http, user, org)
    stranger = KeySet([RSAKey.generate_key(2048, parameters={"kid": "other"})])
    with pytest.raises((BadSignatureError, ValueError)):
        jwt.decode(body["access_token"], stranger.keys[0], algorithms=["RS256"])


def test_discovery_document(xero_http, app):
    response = xero_http.get(f"{IDENTITY}/.well-known/openid-configuration", timeout=5)
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == IDENTITY
    assert doc["authorization_endpoint"] == f"{settings.XERO_LOGIN_URL}/identity/connect/authorize"
    assert doc["token_endpoint"] == f"{IDENTITY}/connect/token"
    assert doc["jwks_uri"] == f"{IDENTITY}/.well-known/openid-configuration/jwks"
    assert doc["revocation_endpoint"] == f"{IDENTITY}/connect/revocation"
    assert doc["userinfo_endpoint"] == f"{IDENTITY}/connect/userinfo"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    for url in (doc["token_endpoint"], doc["revocation_endpoint"]):
        assert xero_http.get(url, timeout=5).status_code == 405  # exists, POST only
    assert xero_http.get(doc["jwks_uri"], timeout=5).status_code == 200


def test_jwks_publishes_public_keys_only(xero_http, app):
    keys = xero_http.get(f"{IDENTITY}/.well-known/openid-configuration/jwks", timeout=5).json()["keys"]
    assert len(keys) == 1
    (key,) = keys
    assert key["kty"] == "RSA"
    assert key["use"] == "sig"
    assert key["alg"] == "RS256"
    assert {"n", "e", "kid"} <= set(key)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_key_rotation_keeps_old_tokens_verifiable(xero_http, app, user, org):
    old = token_set(xero_http, user, org)
    new_kid = control.rotate_signing_key()
    new = token_set(xero_http, user, org)
    key_set = jwks(xero_http)
    assert len(key_set.keys) == 2
    assert decode(new["access_token"], key_set).header["kid"] == new_kid
    assert decode(old["access_token"], key_set).header["kid"] != new_kid
    assert tokens.verify_access_token(old["access_token"])
    assert tokens.verify_access_token(new["access_token"])


def test_userinfo(xero_http, app, user, org):
    body = token_set(xero_http, user, org)
    response = xero_http.get(
        f"{IDENTITY}/connect/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=5
    )
    assert response.status_code == 200
    assert response.json()["email"] == "olive@example.com"
    assert response.json()["sub"] == decode(body["access_token"], jwks(xero_http)).claims["sub"]
    assert xero_http.get(f"{IDENTITY}/connect/userinfo", timeout=5).status_code == 401
    other = control.create_user(email="other@example.com", password="pw-123456", organisations=[org])
    no_openid = token_set(xero_http, other, org, scopes=["payroll.employees"])
    denied = xero_http.get(
        f"{IDENTITY}/connect/userinfo",
        headers={"Authorization": f"Bearer {no_openid['access_token']}"},
        timeout=5,
    )
    assert denied.status_code == 403


# --- verify_access_token -----------------------------------------------------------------------


def test_verify_access_token_returns_the_claims(xero_http, app, user, org):
    body = token_set(xero_http, user, org)
    claims = tokens.verify_access_token(body["access_token"])
    grant = Grant.objects.get()
    assert claims.grant_id == grant.pk
    assert claims.user_id == user.pk
    assert claims.xero_userid == str(user.xero_userid)
    assert claims.client_id == settings.XERO_CLIENT_ID
    assert claims.scopes == tuple(FULL)
    assert claims.authentication_event_id == str(Connection.objects.get().auth_event_id)
    assert claims.expires_at == datetime.datetime.fromtimestamp(
        decode(body["access_token"], jwks(xero_http)).claims["exp"], tz=datetime.UTC
    )


def test_an_expired_token_gives_xeros_token_expired_detail(app, user, org):
    grant = Grant.objects.create(app=app, user=user, scopes=["payroll.employees"])
    with time_machine.travel(datetime.datetime(2026, 3, 12, 4, 46, 59, tzinfo=datetime.UTC), tick=False):
        body = tokens.issue_token_set(grant=grant, scopes=["payroll.employees"], auth_event_id="e" * 32)
    with time_machine.travel(datetime.datetime(2026, 3, 12, 5, 16, 58, tzinfo=datetime.UTC), tick=False):
        assert tokens.verify_access_token(body["access_token"])
    expired_at = datetime.datetime(2026, 3, 12, 5, 16, 59, tzinfo=datetime.UTC)
    with time_machine.travel(expired_at, tick=False), pytest.raises(tokens.InvalidToken) as caught:
        tokens.verify_access_token(body["access_token"])
    assert caught.value.detail == "TokenExpired: token expired at 03/12/2026 05:16:59"


def test_issue_token_set_works_with_only_the_interface_arguments(app, user):
    grant = Grant.objects.create(app=app, user=user, scopes=["openid", "offline_access"])
    body = tokens.issue_token_set(grant=grant, scopes=["openid", "offline_access"], auth_event_id="ab" * 16)
    assert {"id_token", "access_token", "refresh_token"} <= set(body)
    assert tokens.verify_access_token(body["access_token"]).scopes == ("openid", "offline_access")


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = [*claims["scope"], "payroll.payruns"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_bad_tokens_are_authentication_unsuccessful(xero_http, app, user, org):
    body = token_set(xero_http, user, org)
    valid = body["access_token"]
    kid = decode(valid, jwks(xero_http)).header["kid"]
    claims = decode(valid, jwks(xero_http)).claims
    foreign_rsa = RSAKey.generate_key(2048)
    candidates = [
        "",
        "not-a-jwt",
        "a.b.c",
        body["refresh_token"],
        body["id_token"],  # right key, wrong audience
        _tamper(valid),
        jwt.encode({"alg": "RS256", "kid": kid}, claims, foreign_rsa),
        jwt.encode({"alg": "HS256", "kid": kid}, claims, OctKey.import_key("s" * 32)),
        jwt.encode({"alg": "RS256", "kid": "unknown"}, claims, foreign_rsa),
    ]
    for candidate in candidates:
        with pytest.raises(tokens.InvalidToken) as caught:
            tokens.verify_access_token(candidate)
        assert caught.value.detail == "AuthenticationUnsuccessful", candidate


def test_a_token_from_the_future_is_rejected(app, user):
    grant = Grant.objects.create(app=app, user=user, scopes=["payroll.employees"])
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10), tick=False):
        body = tokens.issue_token_set(grant=grant, scopes=["payroll.employees"], auth_event_id="e" * 32)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify_access_token(body["access_token"])
