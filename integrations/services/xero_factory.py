"""The seam between the product and Xero's HTTP APIs: settings -> XeroOAuth / XeroClient.

Tests replace ``http_session_factory`` to route requests into the sandbox in-process; everything
else reaches Xero (or the sandbox) over real HTTP through the base-URL settings.
"""

from collections.abc import Callable

import requests
from django.conf import settings

from integrations.governor import RateGovernor, client_hooks, governor_from_settings
from integrations.xero import XeroClient, XeroOAuth, XeroOAuthConfig

http_session_factory: Callable[[], requests.Session] = requests.Session
_governor: RateGovernor | None = None


def rate_governor() -> RateGovernor:
    """The per-Xero-organisation rate governor every worker shares (Redis, or a local file)."""
    global _governor
    if _governor is None:
        _governor = governor_from_settings()
    return _governor


def xero_oauth() -> XeroOAuth:
    config = XeroOAuthConfig(
        client_id=settings.XERO_CLIENT_ID,
        client_secret=settings.XERO_CLIENT_SECRET,
        redirect_uri=settings.XERO_REDIRECT_URI,
        scopes=tuple(settings.XERO_SCOPES),
        login_url=settings.XERO_LOGIN_URL,
        identity_url=settings.XERO_IDENTITY_URL,
        api_url=settings.XERO_API_URL,
        timeout=settings.XERO_TIMEOUT_SECONDS,
    )
    return XeroOAuth(config, session_factory=lambda: http_session_factory())


def xero_client(*, access_token: str, tenant_id: str) -> XeroClient:
    return XeroClient(
        access_token=access_token,
        tenant_id=tenant_id,
        api_url=settings.XERO_API_URL,
        session=http_session_factory(),
        timeout=settings.XERO_TIMEOUT_SECONDS,
        **client_hooks(rate_governor(), tenant_id),
    )
