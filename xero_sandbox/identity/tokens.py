"""Issuing and verifying the sandbox's tokens (owned by the identity side).

INTERFACE (used by gateway.py and the payroll API; keep these signatures):

    verify_access_token(token: str) -> AccessClaims        # raises InvalidToken(detail)
    issue_token_set(*, grant, scopes, auth_event_id, nonce="") -> dict   # token endpoint body

Access and id tokens are RS256 JWTs signed with the key in keys.py; refresh tokens are opaque,
single use, and always start with REFRESH_TOKEN_PREFIX so that leak tests can grep for them.
"""

import base64
import datetime
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError

from . import keys
from .scopes import OFFLINE_ACCESS

ACCESS_TOKEN_LIFETIME = datetime.timedelta(minutes=30)  # expires_in 1800 (xero-api-notes.md 1.4)
# Assumption: 5 minutes, IdentityServer's default identity-token lifetime; Xero does not document it.
ID_TOKEN_LIFETIME = datetime.timedelta(minutes=5)
ACCESS_TOKEN_AUDIENCE = "https://identity.xero.com/resources"  # noqa: S105 - a URL, not a secret
REFRESH_TOKEN_PREFIX = "xero_test_tok_"  # noqa: S105 - a prefix, not a secret
# Assumption: Xero's 401 Detail for a token that is malformed, badly signed, not yet valid or
# revoked is not documented; "AuthenticationUnsuccessful" is the generic text its API uses.
UNSUCCESSFUL = "AuthenticationUnsuccessful"
_SUB_NAMESPACE = uuid.UUID("6f1c3a52-3b8e-4a57-9d3c-58a1f0d2c7e4")


class InvalidToken(Exception):
    """Missing, malformed, expired or revoked bearer token. ``detail`` is Xero's 401 ``Detail`` text."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class AccessClaims:
    jti: str
    grant_id: int
    user_id: int
    xero_userid: str
    client_id: str
    scopes: tuple[str, ...]
    authentication_event_id: str
    expires_at: datetime.datetime


def issuer() -> str:
    """Assumption: the sandbox's own identity base URL is the issuer (Xero's is
    https://identity.xero.com), so that discovery, tokens and clients agree on one value."""
    return settings.XERO_IDENTITY_URL.rstrip("/")


def subject_for(user) -> str:
    """Xero's ``sub`` is a 32-hex id distinct from ``xero_userid``; derive a stable one."""
    return uuid.uuid5(_SUB_NAMESPACE, str(user.xero_userid)).hex


def format_expired_at(moment: datetime.datetime) -> str:
    """Xero's TokenExpired detail: UTC, MM/DD/YYYY HH:MM:SS (e.g. 07/14/2020 21:26:02)."""
    return moment.astimezone(datetime.UTC).strftime("%m/%d/%Y %H:%M:%S")


def new_refresh_token() -> str:
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)


def _sign(claims: dict) -> str:
    kid, key = keys.current_signing_key()
    return jwt.encode({"alg": keys.ALGORITHM, "kid": kid, "typ": "JWT"}, claims, key)


def _epoch(moment: datetime.datetime) -> int:
    return int(moment.timestamp())


def issue_token_set(
    *,
    grant,
    scopes,
    auth_event_id,
    nonce: str = "",
    auth_time: datetime.datetime | None = None,
    global_session_id: str = "",
    family_id: uuid.UUID | None = None,
    with_id_token: bool = True,
) -> dict:
    """Create the access token (and a refresh token with offline_access, an id_token with openid)
    for ``grant`` and return the token endpoint's JSON body.

    The keyword arguments after ``nonce`` are optional additions: the sign-in the tokens come from
    (defaults: now, a new session id) and the token family (codes and refresh chains)."""
    from xero_sandbox.models import AccessToken, RefreshToken

    scopes = list(scopes)
    now = timezone.now()
    iat = _epoch(now)
    auth_time = auth_time or now
    global_session_id = global_session_id or uuid.uuid4().hex
    user, app = grant.user, grant.app
    subject = subject_for(user)
    jti = uuid.uuid4().hex.upper()
    exp = iat + int(ACCESS_TOKEN_LIFETIME.total_seconds())
    access_claims = {
        "nbf": iat,
        "exp": exp,
        "iss": issuer(),
        "aud": ACCESS_TOKEN_AUDIENCE,
        "client_id": app.client_id,
        "sub": subject,
        "auth_time": _epoch(auth_time),
        "xero_userid": str(user.xero_userid),
        "global_session_id": global_session_id,
        "jti": jti,
        "authentication_event_id": str(auth_event_id),
        "scope": scopes,
        "iat": iat,
    }
    access_token = _sign(access_claims)
    AccessToken.objects.create(
        jti=jti,
        grant=grant,
        expires_at=datetime.datetime.fromtimestamp(exp, tz=datetime.UTC),
        family_id=family_id,
        issued_at=now,
    )
    body: dict = {}
    if "openid" in scopes and with_id_token:
        id_claims = {
            "nbf": iat,
            "exp": iat + int(ID_TOKEN_LIFETIME.total_seconds()),
            "iss": issuer(),
            "aud": app.client_id,
            "iat": iat,
            "auth_time": _epoch(auth_time),
            "sub": subject,
            "xero_userid": str(user.xero_userid),
            "global_session_id": global_session_id,
            # IdentityServer puts at_hash in id_tokens issued next to an access token.
            "at_hash": _at_hash(access_token),
        }
        if nonce:
            id_claims["nonce"] = nonce
        # Assumption: profile and e-mail claims follow OpenID Connect (only with those scopes).
        if "email" in scopes:
            id_claims["email"] = user.email
        if "profile" in scopes:
            id_claims["given_name"] = user.first_name
            id_claims["family_name"] = user.last_name
            id_claims["name"] = f"{user.first_name} {user.last_name}".strip()
        body["id_token"] = _sign(id_claims)
    body["access_token"] = access_token
    body["expires_in"] = int(ACCESS_TOKEN_LIFETIME.total_seconds())
    body["token_type"] = "Bearer"  # noqa: S105 - a token type, not a secret
    if OFFLINE_ACCESS in scopes:
        refresh = RefreshToken.objects.create(
            token=new_refresh_token(),
            grant=grant,
            auth_event_id=auth_event_id,
            scopes=scopes,
            issued_at=now,
            auth_time=auth_time,
            global_session_id=global_session_id,
            family_id=family_id,
        )
        body["refresh_token"] = refresh.token
    body["scope"] = " ".join(scopes)
    return body


def _at_hash(access_token: str) -> str:
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def _header(token: str) -> dict:
    try:
        segment = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError) as exc:
        raise InvalidToken(UNSUCCESSFUL) from exc
    if not isinstance(header, dict):
        raise InvalidToken(UNSUCCESSFUL)
    return header


def verify_access_token(token: str) -> AccessClaims:
    """Signature, issuer, audience, lifetime, then revocation (of the token or its grant)."""
    from xero_sandbox.models import AccessToken

    if not token or token.count(".") != 2:
        raise InvalidToken(UNSUCCESSFUL)
    header = _header(token)
    if header.get("alg") != keys.ALGORITHM:
        raise InvalidToken(UNSUCCESSFUL)
    key = keys.key_for_kid(str(header.get("kid") or ""))
    if key is None:
        raise InvalidToken(UNSUCCESSFUL)
    try:
        claims = jwt.decode(token, key, algorithms=[keys.ALGORITHM]).claims
    except (JoseError, ValueError, TypeError) as exc:
        raise InvalidToken(UNSUCCESSFUL) from exc
    if claims.get("iss") != issuer() or claims.get("aud") != ACCESS_TOKEN_AUDIENCE:
        raise InvalidToken(UNSUCCESSFUL)
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int) or not isinstance(nbf, int):
        raise InvalidToken(UNSUCCESSFUL)
    now = timezone.now().timestamp()
    if now < nbf:
        raise InvalidToken(UNSUCCESSFUL)
    expires_at = datetime.datetime.fromtimestamp(exp, tz=datetime.UTC)
    if now >= exp:
        raise InvalidToken(f"TokenExpired: token expired at {format_expired_at(expires_at)}")
    row = (
        AccessToken.objects.select_related("grant__app", "grant__user")
        .filter(jti=str(claims.get("jti") or ""))
        .first()
    )
    if row is None or row.revoked_at is not None or row.grant.revoked_at is not None:
        raise InvalidToken(UNSUCCESSFUL)
    grant = row.grant
    return AccessClaims(
        jti=row.jti,
        grant_id=grant.pk,
        user_id=grant.user_id,
        xero_userid=str(grant.user.xero_userid),
        client_id=grant.app.client_id,
        scopes=tuple(claims.get("scope") or ()),
        authentication_event_id=str(claims.get("authentication_event_id") or ""),
        expires_at=expires_at,
    )
