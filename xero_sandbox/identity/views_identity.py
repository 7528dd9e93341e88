"""The identity host (identity.xero.com): token, revocation, userinfo, discovery and JWKS.

Errors follow RFC 6749 5.2 as IdentityServer (Xero's identity service) sends them: a JSON body
{"error": "..."} with status 400, or 401 + WWW-Authenticate for a client that failed HTTP Basic.
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import re
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xero_sandbox.models import AuthorizationCode, OAuthApp, RefreshToken
from xero_sandbox.router import SANDBOX_DB

from . import grants, keys, tokens
from .registry import sandbox_app_from_settings
from .scopes import KNOWN_SCOPES

REFRESH_GRACE = datetime.timedelta(minutes=30)  # xero-api-notes.md 1.4
REFRESH_IDLE_LIMIT = datetime.timedelta(days=60)
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 4.1


class ClientAuthError(Exception):
    def __init__(self, used_basic: bool):
        super().__init__("invalid_client")
        self.used_basic = used_basic


def oauth_error(error: str, status: int = 400, description: str = "") -> JsonResponse:
    body = {"error": error}
    if description:
        body["error_description"] = description
    response = JsonResponse(body, status=status)
    _no_store(response)
    return response


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _client_error(exc: ClientAuthError) -> JsonResponse:
    if exc.used_basic:
        response = oauth_error("invalid_client", status=401)
        response["WWW-Authenticate"] = 'Basic realm="identity"'
        return response
    return oauth_error("invalid_client", status=400)


def _secret_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def authenticate_client(request: HttpRequest) -> OAuthApp:
    """HTTP Basic (client_secret_basic) first, else client_id/client_secret form fields
    (client_secret_post). An app registered without a secret (PKCE app type) sends client_id only."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ClientAuthError(used_basic=True) from exc
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise ClientAuthError(used_basic=True)
        # RFC 6749 2.3.1 form-encodes both parts; many clients do not. Accept either spelling.
        candidates = {(raw_id, raw_secret), (unquote_plus(raw_id), unquote_plus(raw_secret))}
        for client_id, secret in candidates:
            app = OAuthApp.objects.filter(client_id=client_id).first()
            if app is not None and app.client_secret and _secret_matches(secret, app.client_secret):
                return app
        raise ClientAuthError(used_basic=True)
    client_id = request.POST.get("client_id", "")
    secret = request.POST.get("client_secret", "")
    app = OAuthApp.objects.filter(client_id=client_id).first() if client_id else None
    if app is None:
        raise ClientAuthError(used_basic=False)
    if not app.client_secret:
        if secret:
            raise ClientAuthError(used_basic=False)
        return app  # public client: PKCE is what protects its codes
    if not _secret_matches(secret, app.client_secret):
        raise ClientAuthError(used_basic=False)
    return app


def _is_form(request: HttpRequest) -> bool:
    return request.content_type == "application/x-www-form-urlencoded"


@login_not_required
@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    sandbox_app_from_settings()
    if not _is_form(request):
        return oauth_error(
            "invalid_request", description="Content-Type must be application/x-www-form-urlencoded"
        )
    try:
        app = authenticate_client(request)
    except ClientAuthError as exc:
        return _client_error(exc)
    grant_type = request.POST.get("grant_type", "")
    if not grant_type:
        return oauth_error("invalid_request", description="grant_type is missing")
    if grant_type == "authorization_code":
        response = _authorization_code_grant(request, app)
    elif grant_type == "refresh_token":
        response = _refresh_token_grant(request, app)
    else:
        return oauth_error("unsupported_grant_type")
    return _no_store(response)


def _authorization_code_grant(request: HttpRequest, app: OAuthApp) -> JsonResponse:
    value = request.POST.get("code", "")
    redirect_uri = request.POST.get("redirect_uri", "")
    verifier = request.POST.get("code_verifier", "")
    if not value:
        return oauth_error("invalid_request", description="code is missing")
    now = timezone.now()
    with transaction.atomic(using=SANDBOX_DB):
        code = (
            AuthorizationCode.objects.select_for_update()
            .select_related("grant__app", "grant__user")
            .filter(code=value)
            .first()
        )
        if code is None or code.grant.app_id != app.pk:
            return oauth_error("invalid_grant")
        if code.used_at is not None:
            # RFC 6749 4.1.2: a replayed code SHOULD revoke the tokens issued from it.
            grants.revoke_family(code.family_id)
            return oauth_error("invalid_grant")
        # Single use even when the exchange fails below (a guessed verifier gets one try).
        code.used_at = now
        code.save(update_fields=["used_at"])
        if now >= code.expires_at:
            return oauth_error("invalid_grant")
        if redirect_uri != code.redirect_uri:
            return oauth_error("invalid_grant")
        if code.code_challenge and not _pkce_ok(code, verifier):
            return oauth_error("invalid_grant")
        if code.grant.revoked_at is not None:
            return oauth_error("invalid_grant")
        body = tokens.issue_token_set(
            grant=code.grant,
            scopes=code.scopes,
            auth_event_id=code.auth_event_id,
            nonce=code.nonce,
            auth_time=code.auth_time,
            global_session_id=code.global_session_id,
            family_id=code.family_id,
        )
    return JsonResponse(body)


def _pkce_ok(code: AuthorizationCode, verifier: str) -> bool:
    if code.code_challenge_method != "S256" or not _VERIFIER.match(verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(expected, code.code_challenge)


def _refresh_token_grant(request: HttpRequest, app: OAuthApp) -> JsonResponse:
    value = request.POST.get("refresh_token", "")
    if not value:
        return oauth_error("invalid_request", description="refresh_token is missing")
    now = timezone.now()
    with transaction.atomic(using=SANDBOX_DB):
        refresh = (
            RefreshToken.objects.select_for_update()
            .select_related("grant__app", "grant__user")
            .filter(token=value)
            .first()
        )
        if refresh is None or refresh.grant.app_id != app.pk:
            return oauth_error("invalid_grant")
        if refresh.revoked_at is not None or refresh.grant.revoked_at is not None:
            return oauth_error("invalid_grant")
        if refresh.used_at is not None:
            # Within the grace period a used token answers again with exactly the pair it produced
            # (for a client that lost the response); after it, the token is dead.
            if now - refresh.used_at <= REFRESH_GRACE and refresh.rotation_response:
                return JsonResponse(refresh.rotation_response)
            return oauth_error("invalid_grant")
        if now - refresh.issued_at > REFRESH_IDLE_LIMIT:
            return oauth_error("invalid_grant")
        # Assumption: a `scope` parameter on refresh is ignored (the token keeps its scopes).
        body = tokens.issue_token_set(
            grant=refresh.grant,
            scopes=refresh.scopes,
            auth_event_id=refresh.auth_event_id,
            auth_time=refresh.auth_time,
            global_session_id=refresh.global_session_id,
            family_id=refresh.family_id,
        )
        refresh.used_at = now
        refresh.rotation_response = body
        refresh.save(update_fields=["used_at", "rotation_response"])
    return JsonResponse(body)


@login_not_required
@csrf_exempt
@require_POST
def revocation(request: HttpRequest) -> HttpResponse:
    """RFC 7009. Revoking a refresh token revokes the grant's tokens and removes all of the user's
    connections for the app (Xero's rule, xero-api-notes.md 1.1)."""
    sandbox_app_from_settings()
    if not _is_form(request):
        return oauth_error("invalid_request")
    try:
        app = authenticate_client(request)
    except ClientAuthError as exc:
        return _client_error(exc)
    value = request.POST.get("token", "")
    if not value:
        return oauth_error("invalid_request")
    hint = request.POST.get("token_type_hint", "")
    if hint and hint not in ("refresh_token", "access_token"):
        return oauth_error("unsupported_token_type")
    refresh = RefreshToken.objects.select_related("grant").filter(token=value).first()
    # Assumption: like IdentityServer, an unknown token or another client's token is answered 200
    # without revoking anything (RFC 7009 2.2: invalid tokens do not cause an error).
    if refresh is not None and refresh.grant.app_id == app.pk:
        grants.revoke_grant(refresh.grant)
    return _no_store(HttpResponse(status=200))


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """OpenID Connect userinfo (in Xero's discovery document). Needs a bearer token with openid."""
    header = request.headers.get("Authorization", "")
    bearer = header[7:].strip() if header[:7].lower() == "bearer " else ""
    try:
        claims = tokens.verify_access_token(bearer)
    except tokens.InvalidToken:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    if "openid" not in claims.scopes:
        response = HttpResponse(status=403)
        response["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
        return response
    from xero_sandbox.models import SandboxUser

    user = SandboxUser.objects.get(pk=claims.user_id)
    body = {"sub": tokens.subject_for(user), "xero_userid": str(user.xero_userid)}
    if "email" in claims.scopes:
        body["email"] = user.email
    if "profile" in claims.scopes:
        body.update(
            given_name=user.first_name,
            family_name=user.last_name,
            name=f"{user.first_name} {user.last_name}".strip(),
        )
    return _no_store(JsonResponse(body))


@login_not_required
@require_GET
def openid_configuration(request: HttpRequest) -> JsonResponse:
    """Assumption: only what the sandbox implements is advertised (Xero's real document also lists
    implicit/hybrid flows, introspection, end-session and more)."""
    identity = tokens.issuer()
    login = settings.XERO_LOGIN_URL.rstrip("/")
    return JsonResponse(
        {
            "issuer": identity,
            "jwks_uri": f"{identity}/.well-known/openid-configuration/jwks",
            "authorization_endpoint": f"{login}/identity/connect/authorize",
            "token_endpoint": f"{identity}/connect/token",
            "userinfo_endpoint": f"{identity}/connect/userinfo",
            "revocation_endpoint": f"{identity}/connect/revocation",
            "scopes_supported": sorted(KNOWN_SCOPES),
            "claims_supported": [
                "sub",
                "email",
                "given_name",
                "family_name",
                "name",
                "xero_userid",
                "global_session_id",
                "auth_time",
                "nonce",
            ],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "code_challenge_methods_supported": ["S256"],
            "request_parameter_supported": False,
        }
    )


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(keys.public_jwks())
