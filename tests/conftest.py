"""Shared fixtures: organisations, members in each role, logged-in clients, service gating."""

import os

import pytest
from django.conf import settings as django_settings

from staff.models import Role
from timeclamp.tenancy import organization_scope

from .factories import MembershipFactory, OrganizationFactory, StaffMemberFactory

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _using_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_report_header(config):
    engine = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"database: {engine}; redis: {os.environ.get('REDIS_URL') or 'not configured'}; "
        f"REQUIRE_SERVICES={int(REQUIRE_SERVICES)}"
    ]


def pytest_collection_modifyitems(config, items):
    """Tests that need PostgreSQL or Redis skip with a printed reason when those are not configured.
    With REQUIRE_SERVICES=1 (CI) a missing service stops the whole run instead (see below)."""
    missing = {}
    if not _using_postgres():
        missing["postgres"] = "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if not os.environ.get("REDIS_URL"):
        missing["redis"] = "needs Redis: set REDIS_URL=redis://..."
    for item in items:
        for marker, reason in missing.items():
            if item.get_closest_marker(marker) and not REQUIRE_SERVICES:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _check_required_services():
    if REQUIRE_SERVICES and not _using_postgres():
        pytest.exit("REQUIRE_SERVICES=1 but DATABASE_URL does not point at PostgreSQL", returncode=3)
    if REQUIRE_SERVICES and not os.environ.get("REDIS_URL"):
        pytest.exit("REQUIRE_SERVICES=1 but REDIS_URL is not set", returncode=3)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def organization(db):
    org = OrganizationFactory(name="Demo Cafe Pty Ltd", slug="demo-cafe")
    with organization_scope(org):
        yield org


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Other Bakery Pty Ltd", slug="other-bakery")


@pytest.fixture
def admin_member(organization):
    return MembershipFactory(organization=organization, role=Role.ADMIN)


@pytest.fixture
def manager_member(organization):
    return MembershipFactory(organization=organization, role=Role.MANAGER)


@pytest.fixture
def staff_login(organization):
    """A staff-role member with their own staff record."""
    membership = MembershipFactory(organization=organization, role=Role.STAFF)
    StaffMemberFactory(organization=organization, user=membership.user)
    return membership


def _client_for(client, membership):
    client.force_login(membership.user)
    return client


@pytest.fixture
def admin_client(client, admin_member):
    return _client_for(client, admin_member)


@pytest.fixture
def manager_client(client, manager_member):
    return _client_for(client, manager_member)


@pytest.fixture
def staff_client(client, staff_login):
    return _client_for(client, staff_login)
