"""Python helpers for tests and the sandbox's fault controls: things that happen on Xero's side.

    revoke_grant(user_email=..., client_id=...)      the user removed the app inside Xero
    remove_connection(tenant_id=...)                 an organisation was disconnected on Xero's side
    expire_refresh_tokens(...)                       60 days pass without a refresh
    rotate_signing_key()                             Xero rotates its signing key (JWKS changes)
    authorize_for_tests(...) -> code                 the whole browser flow, driven through the views
    token_set_for_tests(...) -> dict                 ... and the code exchanged at the token endpoint
    create_user(...)                                 a Xero user who can sign in, in organisations

``client_id`` defaults to settings.XERO_CLIENT_ID (the app registered from settings).
"""

import base64
import datetime
import re
from collections.abc import Iterable
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xero_sandbox.models import Connection, Grant, OAuthApp, Organisation, RefreshToken, SandboxUser

from . import grants, keys, session
from .registry import sandbox_app_from_settings


def _client_id(client_id: str | None) -> str:
    return client_id or settings.XERO_CLIENT_ID


def _grants(*, user_email: str | None = None, client_id: str | None = None):
    qs = Grant.objects.filter(app__client_id=_client_id(client_id))
    if user_email is not None:
        qs = qs.filter(user__email__iexact=user_email)
    return qs


def revoke_grant(*, user_email: str, client_id: str | None = None) -> int:
    """The user revoked the app's access inside Xero: every token of that user + app dies and all of
    the user's connections for the app go. Returns the number of grants revoked."""
    revoked = 0
    for grant in _grants(user_email=user_email, client_id=client_id).filter(revoked_at__isnull=True):
        grants.revoke_grant(grant)
        revoked += 1
    return revoked


def remove_connection(*, tenant_id, user_email: str | None = None, client_id: str | None = None) -> int:
    """The organisation was disconnected from the app on Xero's side. Tokens stay valid (they belong
    to the user, not the organisation); calls to that tenant then get 403."""
    qs = Connection.objects.filter(
        organisation__tenant_id=str(tenant_id),
        grant__in=_grants(user_email=user_email, client_id=client_id),
        deleted_at__isnull=True,
    )
    return qs.update(deleted_at=timezone.now())


def expire_refresh_tokens(
    *, user_email: str | None = None, client_id: str | None = None, days: int = 61
) -> int:
    """Age the unused refresh tokens so that they look ``days`` old (past Xero's 60-day idle limit)."""
    issued = timezone.now() - datetime.timedelta(days=days)
    qs = RefreshToken.objects.filter(
        grant__in=_grants(user_email=user_email, client_id=client_id),
        used_at__isnull=True,
        revoked_at__isnull=True,
    )
    return qs.update(issued_at=issued)


def rotate_signing_key() -> str:
    """A new key signs from now on; the old ones stay in the JWKS. Returns the new kid."""
    return keys.create_signing_key().kid


def create_user(
    *,
    email: str,
    password: str,
    first_name: str = "Demo",
    last_name: str = "User",
    organisations: Iterable[Organisation] = (),
    payroll_admin: bool = True,
) -> SandboxUser:
    user = SandboxUser(email=email, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.save()
    for organisation in organisations:
        organisation.users.add(user)
        if payroll_admin:
            organisation.payroll_admins.add(user)
    return user


class FlowError(RuntimeError):
    """The browser flow did not end with a code (an error page, or an error redirect)."""


def _login_client() -> tuple[Client, bool]:
    parts = urlsplit(settings.XERO_LOGIN_URL)
    return Client(headers={"host": parts.netloc} if parts.netloc else {}), parts.scheme == "https"


def _tenant_id(organisation) -> str:
    return str(organisation.tenant_id if isinstance(organisation, Organisation) else organisation)


def authorize_for_tests(
    client_id: str,
    redirect_uri: str,
    scopes: Iterable[str] | str,
    user: SandboxUser | str,
    organisations: Iterable[Organisation | str],
    state: str,
    code_challenge: str | None = None,
    *,
    nonce: str | None = None,
    password: str | None = None,
) -> str:
    """Drive authorize -> (sign-in) -> consent "Allow access" through the real views and return the
    authorization code from the redirect. Signs ``user`` in directly unless ``password`` is given,
    in which case the sign-in form is used."""
    sandbox_app_from_settings()
    if isinstance(user, str):
        user = SandboxUser.objects.get(email__iexact=user)
    scope = scopes if isinstance(scopes, str) else " ".join(scopes)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }
    if code_challenge:
        params.update(code_challenge=code_challenge, code_challenge_method="S256")
    if nonce:
        params["nonce"] = nonce
    url = reverse("xero_sandbox:authorize") + "?" + urlencode(params)
    client, secure = _login_client()
    if password is None:
        store = client.session
        session.sign_in(store, user)
        store.save()
    else:
        login = client.post(
            reverse("xero_sandbox:login"),
            {"email": user.email, "password": password, "ReturnUrl": url},
            secure=secure,
        )
        if login.status_code != 302:
            raise FlowError(f"sign-in failed ({login.status_code})")
    page = client.get(url, secure=secure)
    if page.status_code != 200:
        raise FlowError(f"authorize answered {page.status_code}: {_page_error(page)}")
    answer = client.post(
        url, {"action": "allow", "organisation": [_tenant_id(o) for o in organisations]}, secure=secure
    )
    if answer.status_code != 302:
        raise FlowError(f"consent answered {answer.status_code}: {_page_error(answer)}")
    query = parse_qs(urlsplit(answer["Location"]).query)
    if "code" not in query:
        raise FlowError(f"redirected without a code: {answer['Location']}")
    return query["code"][0]


def _page_error(response) -> str:
    text = response.content.decode("utf-8", errors="replace")
    found = re.findall(r'<(?:dd|div|p)[^>]*(?:xs-error|xs-alert|role="alert")[^>]*>(.*?)</', text, re.S)
    return " ".join(item.strip() for item in found) or text[:200]


def token_set_for_tests(
    *,
    user: SandboxUser | str,
    organisations: Iterable[Organisation | str],
    scopes: Iterable[str] | str | None = None,
    client_id: str | None = None,
    state: str = "test-state",
) -> dict:
    """authorize_for_tests, then the code exchanged at the token endpoint (HTTP Basic). Returns the
    token endpoint's JSON body (access_token, refresh_token, ...)."""
    sandbox_app_from_settings()
    app = OAuthApp.objects.get(client_id=_client_id(client_id))
    redirect_uri = app.redirect_uris[0]
    code = authorize_for_tests(
        app.client_id,
        redirect_uri,
        scopes if scopes is not None else settings.XERO_SCOPES,
        user,
        organisations,
        state,
    )
    parts = urlsplit(settings.XERO_IDENTITY_URL)
    client = Client(headers={"host": parts.netloc} if parts.netloc else {})
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    response = client.post(
        reverse("xero_sandbox:token"),
        urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}),
        content_type="application/x-www-form-urlencoded",
        headers={"authorization": f"Basic {basic}"},
        secure=parts.scheme == "https",
    )
    if response.status_code != 200:
        raise FlowError(f"token endpoint answered {response.status_code}: {response.content[:200]!r}")
    return response.json()
