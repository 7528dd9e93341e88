"""Registered apps (OAuth clients): validation of redirect URIs, and the app described by settings."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from xero_sandbox.models import OAuthApp
from xero_sandbox.router import SANDBOX_DB

MAX_REDIRECT_URIS = 50  # xero-api-notes.md 1.2
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def validate_redirect_uri(uri: str) -> None:
    """Xero's rules: absolute, no wildcard, no fragment, https except on localhost.
    Assumption: 127.0.0.1 and ::1 count as localhost (Xero's docs only say "localhost")."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{uri!r} is not an absolute http(s) URL.")
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise ValidationError(f"{uri!r} must use https (plain http is only allowed on localhost).")
    if "*" in uri:
        raise ValidationError(f"{uri!r}: wildcards are not allowed.")
    if parts.fragment:
        raise ValidationError(f"{uri!r}: a redirect URI cannot have a fragment.")


def register_app(*, client_id: str, client_secret: str, redirect_uris: list[str], name: str | None = None):
    """Create or update an app. Returns (app, created). Redirect URIs replace the stored list."""
    if not client_id:
        raise ValidationError("A client id is required.")
    uris = list(dict.fromkeys(redirect_uris))
    if not uris:
        raise ValidationError("At least one redirect URI is required.")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationError(f"At most {MAX_REDIRECT_URIS} redirect URIs per app.")
    for uri in uris:
        validate_redirect_uri(uri)
    defaults = {"client_secret": client_secret, "redirect_uris": uris}
    if name:
        defaults["name"] = name
    with transaction.atomic(using=SANDBOX_DB):
        return OAuthApp.objects.update_or_create(client_id=client_id, defaults=defaults)


def sandbox_app_from_settings() -> OAuthApp | None:
    """Make sure the app described by settings (XERO_CLIENT_ID/SECRET/REDIRECT_URI) is registered.

    Idempotent, and cheap when nothing changes (one query). Creates the app if missing; if it exists,
    adds the settings redirect URI when missing and leaves the rest alone.
    Assumption: an app registered explicitly (sandbox_register_app) keeps its own secret and name;
    only a missing redirect URI is added, so that a changed SITE_URL keeps working. The settings URI
    is not held to Xero's https rule, so that any local SITE_URL works out of the box."""
    client_id = getattr(settings, "XERO_CLIENT_ID", "")
    if not client_id:
        return None
    redirect_uri = getattr(settings, "XERO_REDIRECT_URI", "")
    app = OAuthApp.objects.filter(client_id=client_id).first()
    if app is None:
        try:
            with transaction.atomic(using=SANDBOX_DB):
                return OAuthApp.objects.create(
                    name="Timeclamp",
                    client_id=client_id,
                    client_secret=getattr(settings, "XERO_CLIENT_SECRET", ""),
                    redirect_uris=[redirect_uri] if redirect_uri else [],
                )
        except IntegrityError:  # created by a concurrent request
            app = OAuthApp.objects.get(client_id=client_id)
    if redirect_uri and redirect_uri not in app.redirect_uris:
        app.redirect_uris = [*app.redirect_uris, redirect_uri]
        app.save(update_fields=["redirect_uris"])
    return app
