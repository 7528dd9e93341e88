"""Walks every URL pattern under o/<org_slug>/ and proves that nothing of one organisation is reachable
from another. New views are covered without anyone writing a new test: a pattern whose parameters
this sweep cannot fill fails the test until an object builder is registered below."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from staff.models import Role
from tests.factories import MembershipFactory, StaffMemberFactory, TimeEntryFactory
from timeclamp.tenancy import unscoped

# URL parameters name the kind of object (``staff_member_id``, never a bare ``pk``) so that the sweep
# knows what to build. One builder per URL parameter name: returns the pk of an object of that kind in ``organization``.
# A new view with a new id parameter must add its builder here (the sweep fails until it does).
OBJECT_BUILDERS = {
    "membership_id": lambda org: MembershipFactory(organization=org).pk,
    "staff_member_id": lambda org: StaffMemberFactory(organization=org).pk,
    "entry_id": lambda org: TimeEntryFactory(staff_member=StaffMemberFactory(organization=org)).pk,
    "push_id": lambda org: _payroll_push(org).pk,
}
# Parameters that are not object ids: a value valid in any organisation.
PLAIN_VALUES = {"week": "2026-W10", "day": "2026-03-02", "start": "2026-03-02", "end": "2026-03-08"}


def _payroll_push(org):
    import datetime
    import uuid

    from integrations.models import PayrollPush

    return PayrollPush.all_organizations.create(
        organization=org,
        tenant_id="t",
        calendar_id="c",
        calendar_name="Weekly",
        key=uuid.uuid4(),
        period_start=datetime.date(2026, 3, 2),
        period_end=datetime.date(2026, 3, 8),
        status="failed",
    )


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def organization_routes():
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if route.startswith("o/<slug:org_slug>/"):
            routes.append((route, pattern))
    return routes


def _fill(route: str, org_slug: str, ids: dict) -> str:
    import re

    def replace(match):
        name = match.group(2)
        if name == "org_slug":
            return org_slug
        if name in ids:
            return str(ids[name])
        if name in PLAIN_VALUES:
            return PLAIN_VALUES[name]
        raise AssertionError(f"The isolation sweep cannot fill <{name}> in {route}: add a builder.")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def test_sweep_finds_the_organisation_routes():
    names = {p.name for _, p in organization_routes()}
    assert {"dashboard", "list"} <= names
    assert len(organization_routes()) >= 5


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_organisation_url_is_404_for_another_organisations_objects(client, method, other_organization):
    """Logged in as an admin of A, with B's ids in A's URLs: 404 and nothing of B changes."""
    from tests.factories import OrganizationFactory

    with unscoped():
        org_a = OrganizationFactory(slug="org-a")
        admin_a = MembershipFactory(organization=org_a, role=Role.ADMIN)
        b_ids = {name: build(other_organization) for name, build in OBJECT_BUILDERS.items()}
        snapshot_before = _snapshot(other_organization)
    client.force_login(admin_a.user)
    checked = 0
    for route, _pattern in organization_routes():
        if not any(f"<{kind}" in route or f":{kind}>" in route for kind in OBJECT_BUILDERS):
            continue
        url = _fill(route, org_a.slug, b_ids)
        response = getattr(client, method)(url)
        assert response.status_code in (404, 405), f"{method.upper()} {url} gave {response.status_code}"
        checked += 1
    assert checked >= 1
    with unscoped():
        assert _snapshot(other_organization) == snapshot_before


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_organisation_url_is_404_for_non_members(client, method, other_organization):
    """A logged-in user of another organisation gets 404 on every URL of this one, whatever the ids."""
    from tests.factories import OrganizationFactory

    with unscoped():
        org_a = OrganizationFactory(slug="org-a")
        outsider = MembershipFactory(organization=other_organization, role=Role.ADMIN)
        a_ids = {name: build(org_a) for name, build in OBJECT_BUILDERS.items()}
    client.force_login(outsider.user)
    for route, _pattern in organization_routes():
        url = _fill(route, org_a.slug, a_ids)
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} gave {response.status_code}"


@pytest.mark.django_db
def test_every_organisation_url_redirects_anonymous_users_to_login(client, other_organization):
    with unscoped():
        ids = {name: build(other_organization) for name, build in OBJECT_BUILDERS.items()}
    for route, _pattern in organization_routes():
        url = _fill(route, other_organization.slug, ids)
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"], url


def _snapshot(org):
    from django.apps import apps

    from timeclamp.tenancy.models import OrganizationOwnedModel

    rows = []
    for model in apps.get_models():
        if issubclass(model, OrganizationOwnedModel):
            for row in model.all_organizations.filter(organization=org).order_by("pk").values():
                rows.append((model._meta.label, tuple(sorted((k, str(v)) for k, v in row.items()))))
    return rows
