"""Xero's HTTP APIs as typed Python. Imports nothing from Django or our models."""

from .api import XeroApi
from .client import XeroClient
from .errors import (
    XeroAuthError,
    XeroBadResponse,
    XeroError,
    XeroForbidden,
    XeroInvalidGrant,
    XeroNotFound,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)
from .oauth import AuthorizationRequest, XeroOAuth, XeroOAuthConfig
from .types import TokenSet, XeroTenant

__all__ = [
    "AuthorizationRequest",
    "TokenSet",
    "XeroApi",
    "XeroAuthError",
    "XeroBadResponse",
    "XeroClient",
    "XeroError",
    "XeroForbidden",
    "XeroInvalidGrant",
    "XeroNotFound",
    "XeroOAuth",
    "XeroOAuthConfig",
    "XeroRateLimited",
    "XeroTenant",
    "XeroUnavailable",
    "XeroValidationError",
]
