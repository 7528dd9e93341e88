"""Login rate limiting, password hashing, session hygiene, open redirects."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.mark.django_db
def test_argon2_is_the_production_hasher(settings):
    from timeclamp import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert make_password("x").startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_login_locks_after_five_failures_even_with_the_right_password(client):
    user = UserFactory(email="lock@example.com")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": user.email, "password": "wrong"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_works_and_rotates_the_session_key(client):
    user = UserFactory(email="ok@example.com")
    MembershipFactory(user=user)
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    response = client.post(reverse("login"), {"username": " OK@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != before


@pytest.mark.django_db
def test_logout_invalidates_the_old_session(client):
    user = UserFactory()
    membership = MembershipFactory(user=user)
    client.force_login(user)
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    client.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    response = client.get(f"/o/{membership.organization.slug}/timesheets/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url",
    ["//evil.example", "https://evil.example/", "/\\evil.example", "https://app@evil.example", "http:evil"],
)
def test_login_never_redirects_off_site(client, next_url):
    UserFactory(email="nr@example.com")
    response = client.post(
        reverse("login") + f"?next={next_url}",
        {"username": "nr@example.com", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] in ("/", "/accounts/profile/") or response["Location"].startswith("/")
    assert "evil" not in response["Location"]


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_session_cookie_flags(client):
    user = UserFactory(email="cookie@example.com")
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD}, secure=True)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
