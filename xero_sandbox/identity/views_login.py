"""The login host (login.xero.com): authorize, sign-in, consent.

GET  identity/connect/authorize   validate the request; sign in if needed; show the consent page
POST identity/connect/authorize   "Allow access" / "Cancel" (the same query string, re-validated)
GET/POST identity/user/login      the sign-in form (ReturnUrl = the authorize URL)
POST identity/user/logout         forget the sandbox sign-in

Validation errors show an error page (HTTP 400) and never redirect to the client, as Xero does for
a bad client_id, redirect_uri or scope (xero-api-notes.md 1.2).
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from xero_sandbox.models import OAuthApp, Organisation, SandboxUser

from . import grants, session
from . import scopes as scope_rules
from .registry import sandbox_app_from_settings

TEMPLATES = "xero_sandbox/identity/"
PKCE_METHOD = "S256"


class AuthorizeError(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizeRequest:
    app: OAuthApp
    redirect_uri: str
    scopes: list[str]
    state: str
    nonce: str
    code_challenge: str
    code_challenge_method: str


def validate_authorize_request(params) -> AuthorizeRequest:
    """The order (client, redirect URI, response type, scope, PKCE) follows IdentityServer, which
    Xero's identity service is built on; the texts are Xero's where known."""
    client_id = params.get("client_id", "")
    app = OAuthApp.objects.filter(client_id=client_id).first() if client_id else None
    if app is None:
        raise AuthorizeError("unauthorized_client", "Unknown client or client not enabled")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or redirect_uri not in app.redirect_uris:  # exact match, no wildcards
        raise AuthorizeError("unauthorized_client", "Invalid redirect_uri")
    response_type = params.get("response_type", "")
    if not response_type:
        raise AuthorizeError("invalid_request", "Missing response_type")
    if response_type != "code":
        raise AuthorizeError("unsupported_response_type", "Response type not supported")
    requested = scope_rules.parse_scope(params.get("scope", ""))
    if not requested:
        raise AuthorizeError("invalid_request", "Missing scope")
    if scope_rules.unknown_scopes(requested):
        raise AuthorizeError("invalid_scope", "Invalid scope for client")
    if "openid" not in requested and any(s in scope_rules.IDENTITY_SCOPES for s in requested):
        # Assumption: IdentityServer's rule (profile/email are identity scopes that need openid).
        raise AuthorizeError("invalid_scope", "Identity related scope requests, but no openid scope")
    code_challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "")
    if code_challenge:
        if method != PKCE_METHOD:  # a missing method means "plain", which Xero does not accept
            raise AuthorizeError("invalid_request", "Transform algorithm not supported")
        if not 43 <= len(code_challenge) <= 128:
            raise AuthorizeError("invalid_request", "Invalid code_challenge")
    elif not app.client_secret:
        # Assumption: an app without a secret is Xero's "Auth code with PKCE" app type: PKCE required.
        raise AuthorizeError("invalid_request", "code challenge required")
    return AuthorizeRequest(
        app=app,
        redirect_uri=redirect_uri,
        scopes=requested,
        state=params.get("state", ""),
        nonce=params.get("nonce", ""),
        code_challenge=code_challenge,
        code_challenge_method=method if code_challenge else "",
    )


def with_query(uri: str, params: dict) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(key, value) for key, value in params.items() if value]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _session_state(client_id: str, redirect_uri: str, global_session_id: str) -> str:
    """IdentityServer-style session_state (opaque to clients)."""
    parts = urlsplit(redirect_uri)
    salt = secrets.token_hex(16)
    raw = f"{client_id}{parts.scheme}://{parts.netloc}{global_session_id}{salt}".encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).rstrip(b"=").decode()
    return f"{digest}.{salt}"


def _error_page(request: HttpRequest, error: AuthorizeError) -> HttpResponse:
    return render(
        request,
        TEMPLATES + "error.html",
        {"error": error.error, "description": error.description},
        status=400,
    )


def _safe_return_url(request: HttpRequest, url: str) -> str:
    if not url or not url.startswith(reverse("xero_sandbox:authorize")):
        return ""
    ok = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False)
    return url if ok else ""


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    sandbox_app_from_settings()
    try:
        auth = validate_authorize_request(request.GET)
    except AuthorizeError as error:
        return _error_page(request, error)
    user = session.signed_in_user(request.session)
    if user is None:
        login = reverse("xero_sandbox:login") + "?" + urlencode({"ReturnUrl": request.get_full_path()})
        return HttpResponseRedirect(login)
    organisations = list(user.organisations.order_by("name", "id"))
    needs_organisation = scope_rules.needs_organisation(auth.scopes)
    errors: list[str] = []
    chosen_ids: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "cancel":
            return HttpResponseRedirect(
                with_query(auth.redirect_uri, {"error": "access_denied", "state": auth.state})
            )
        chosen_ids = request.POST.getlist("organisation")
        if action != "allow":
            errors.append("Choose Allow access or Cancel.")
        else:
            chosen, errors = _chosen_organisations(organisations, chosen_ids, needs_organisation)
            if not errors:
                return _allow(request, auth, user, chosen)
    response = render(
        request,
        TEMPLATES + "consent.html",
        {
            "app": auth.app,
            "sandbox_user": user,
            "descriptions": scope_rules.describe(auth.scopes),
            "organisations": organisations,
            "needs_organisation": needs_organisation,
            "chosen_ids": chosen_ids
            or ([str(organisations[0].tenant_id)] if len(organisations) == 1 else []),
            "errors": errors,
            "form_action": request.get_full_path(),
            "return_url": request.get_full_path(),
        },
        status=400 if errors else 200,
    )
    # The browser is redirected to the client after this form: allow it as a form target (CSP
    # form-action also governs the redirect that follows a form submission).
    target = urlsplit(auth.redirect_uri)
    response._csp_update = {"form-action": [f"{target.scheme}://{target.netloc}"]}
    return response


def _chosen_organisations(
    organisations: list[Organisation], chosen_ids: list[str], needs_organisation: bool
) -> tuple[list[Organisation], list[str]]:
    by_id = {str(org.tenant_id): org for org in organisations}
    if any(tenant_id not in by_id for tenant_id in chosen_ids):
        return [], ["Choose from the organisations you belong to."]
    chosen = [by_id[tenant_id] for tenant_id in dict.fromkeys(chosen_ids)]
    if not needs_organisation:
        # Assumption: sign-in-only consents connect no organisation, whatever was posted.
        return [], []
    if not organisations:
        return [], ["You do not belong to any organisation, so there is nothing to connect."]
    if not chosen:
        return [], ["Select an organisation to connect."]
    return chosen, []


def _allow(request: HttpRequest, auth: AuthorizeRequest, user: SandboxUser, chosen) -> HttpResponse:
    global_session_id = session.global_session_id(request.session)
    code = grants.record_consent(
        user=user,
        app=auth.app,
        scopes=auth.scopes,
        organisations=chosen,
        redirect_uri=auth.redirect_uri,
        code_challenge=auth.code_challenge,
        code_challenge_method=auth.code_challenge_method,
        nonce=auth.nonce,
        auth_time=session.auth_time(request.session),
        global_session_id=global_session_id,
    )
    # Assumption: like IdentityServer, the callback also carries scope and session_state.
    params = {
        "code": code.code,
        "scope": " ".join(code.scopes),
        "state": auth.state,
        "session_state": _session_state(auth.app.client_id, auth.redirect_uri, global_session_id),
    }
    return HttpResponseRedirect(with_query(auth.redirect_uri, params))


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    return_url = _safe_return_url(request, request.POST.get("ReturnUrl") or request.GET.get("ReturnUrl", ""))
    error = ""
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        password = request.POST.get("password", "")
        user = SandboxUser.objects.filter(email__iexact=email).first() if email else None
        if user is not None and user.check_password(password):
            request.session.cycle_key()  # a new session key on sign-in (session fixation)
            session.sign_in(request.session, user)
            return HttpResponseRedirect(return_url or reverse("xero_sandbox:login"))
        error = "Your email or password is incorrect"
    return render(
        request,
        TEMPLATES + "login.html",
        {
            "return_url": return_url,
            "email": email,
            "error": error,
            "signed_in": session.signed_in_user(request.session),
        },
        status=400 if error else 200,
    )


@login_not_required
@never_cache
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    session.sign_out(request.session)
    return_url = _safe_return_url(request, request.POST.get("ReturnUrl", ""))
    target = reverse("xero_sandbox:login")
    if return_url:
        target += "?" + urlencode({"ReturnUrl": return_url})
    return HttpResponseRedirect(target)
