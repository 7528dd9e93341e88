"""With DEBUG off, responses carry the security headers and cookies production relies on.

The suite imports settings with DJANGO_DEBUG=false (pyproject's pytest env), so the values checked
here are the real "DEBUG off" defaults from timeclamp/settings.py, not overrides. Only
SECURE_SSL_REDIRECT is switched off by conftest; requests here are made with ``secure=True``.
"""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def production_like(settings):
    settings.DEBUG = False
    return settings


def _csp(response) -> str:
    return response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_security_headers_on_a_page_with_debug_off(client, production_like):
    response = client.get(reverse("login"), secure=True)

    assert response.status_code == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = _csp(response)
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp


@pytest.mark.django_db
def test_csp_script_src_uses_a_nonce_not_unsafe_inline(client, production_like):
    response = client.get(reverse("login"), secure=True)

    directives = {}
    for part in _csp(response).split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    assert directives["script-src"].startswith("'self'")
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives.get("style-src", "")


@pytest.mark.django_db
def test_health_probe_carries_the_same_headers(client, production_like):
    response = client.get("/healthz", secure=True)

    assert response.status_code == 200
    assert "Strict-Transport-Security" in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "'unsafe-inline'" not in _csp(response)


@pytest.mark.django_db
def test_csrf_cookie_is_secure_and_lax(client, production_like):
    response = client.get(reverse("login"), secure=True)

    cookie = response.cookies["__Host-csrftoken"]  # __Host-: Secure, Path=/, no Domain, or refused
    assert cookie["secure"]
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_session_cookie_is_secure_httponly_and_lax_after_login(client, production_like):
    user = UserFactory(email="headers@example.com")

    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD}, secure=True)

    assert response.status_code == 302
    session = response.cookies["__Host-sessionid"]
    assert session["secure"]
    assert session["path"] == "/"
    assert not session["domain"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    csrf = response.cookies["__Host-csrftoken"]  # rotated at login
    assert csrf["secure"]
    assert csrf["samesite"] == "Lax"


def test_debug_off_defaults_are_the_production_ones():
    """The import-time defaults themselves, independent of any per-test override."""
    from timeclamp import settings as project

    assert project.DEBUG is False
    assert project.SECURE_HSTS_SECONDS >= 31536000
    assert project.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert project.SESSION_COOKIE_SECURE
    assert project.CSRF_COOKIE_SECURE
    assert project.SESSION_COOKIE_HTTPONLY
    assert project.SESSION_COOKIE_SAMESITE == "Lax"
    assert project.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert project.CSRF_COOKIE_NAME == "__Host-csrftoken"
    assert project.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.django_db
def test_plain_http_redirects_to_https_when_ssl_redirect_is_on(client, production_like):
    production_like.SECURE_SSL_REDIRECT = True

    response = client.get(reverse("login"))

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
