"""sandbox_register_app, and the app described by settings being registered on first use."""

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from xero_sandbox.identity.registry import sandbox_app_from_settings
from xero_sandbox.models import OAuthApp

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


def register(*args) -> str:
    out = StringIO()
    call_command("sandbox_register_app", *args, stdout=out)
    return out.getvalue()


def test_creates_then_updates_an_app():
    output = register(
        "--client-id",
        "abc",
        "--client-secret",
        "s1",
        "--redirect-uri",
        "https://app.example/cb",
        "--redirect-uri",
        "http://localhost:8000/cb",
        "--name",
        "My App",
    )
    assert "Registered 'My App' (abc)" in output
    app = OAuthApp.objects.get(client_id="abc")
    assert (app.name, app.client_secret) == ("My App", "s1")
    assert app.redirect_uris == ["https://app.example/cb", "http://localhost:8000/cb"]

    output = register(
        "--client-id", "abc", "--client-secret", "s2", "--redirect-uri", "https://app.example/new"
    )
    assert "Updated 'My App' (abc)" in output
    app.refresh_from_db()
    assert (app.name, app.client_secret, app.redirect_uris) == ("My App", "s2", ["https://app.example/new"])
    assert OAuthApp.objects.count() == 1


@pytest.mark.parametrize(
    "uri",
    [
        "http://app.example/cb",  # https required off localhost
        "https://*.example/cb",
        "https://app.example/cb#frag",
        "/relative/cb",
        "ftp://app.example/cb",
    ],
)
def test_rejects_redirect_uris_xero_would_refuse(uri):
    with pytest.raises(CommandError):
        register("--client-id", "abc", "--client-secret", "s", "--redirect-uri", uri)
    assert not OAuthApp.objects.exists()


def test_at_most_50_redirect_uris():
    args = ["--client-id", "abc", "--client-secret", "s"]
    for n in range(51):
        args += ["--redirect-uri", f"https://app.example/cb/{n}"]
    with pytest.raises(CommandError, match="At most 50"):
        register(*args)
    register(*args[:-2])
    assert len(OAuthApp.objects.get().redirect_uris) == 50


def test_the_settings_app_is_registered_once_and_keeps_an_explicit_secret(settings):
    app = sandbox_app_from_settings()
    assert (app.client_id, app.client_secret) == (settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET)
    assert app.redirect_uris == [settings.XERO_REDIRECT_URI]
    assert sandbox_app_from_settings().pk == app.pk

    register(
        "--client-id",
        settings.XERO_CLIENT_ID,
        "--client-secret",
        "rotated",
        "--redirect-uri",
        "https://x.example/cb",
    )
    settings.XERO_REDIRECT_URI = "https://moved.example/callback/"
    again = sandbox_app_from_settings()
    assert again.client_secret == "rotated"
    assert again.redirect_uris == ["https://x.example/cb", "https://moved.example/callback/"]
    assert OAuthApp.objects.count() == 1


def test_no_client_id_in_settings_registers_nothing(settings):
    settings.XERO_CLIENT_ID = ""
    assert sandbox_app_from_settings() is None
    assert not OAuthApp.objects.exists()


def test_the_defaults_match_the_product_settings():
    assert settings.XERO_CLIENT_ID
    assert settings.XERO_REDIRECT_URI.startswith("https://xero-sandbox.test/")
