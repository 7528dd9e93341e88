import pytest

from staff.models import Role
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.mark.django_db
def test_member_reaches_their_organisation(client):
    membership = MembershipFactory(role=Role.STAFF)
    client.force_login(membership.user)
    response = client.get(f"/o/{membership.organization.slug}/", follow=True)
    assert response.status_code == 200
    assert response.context["organization"] == membership.organization


@pytest.mark.django_db
def test_unknown_and_foreign_organisations_look_the_same(client):
    membership = MembershipFactory()
    foreign = OrganizationFactory()
    client.force_login(membership.user)
    assert client.get(f"/o/{foreign.slug}/").status_code == 404
    assert client.get("/o/no-such-org/").status_code == 404


@pytest.mark.django_db
def test_inactive_organisation_is_not_reachable(client):
    membership = MembershipFactory()
    membership.organization.is_active = False
    membership.organization.save()
    client.force_login(membership.user)
    assert client.get(f"/o/{membership.organization.slug}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [(Role.STAFF, 404), (Role.MANAGER, 404), (Role.ADMIN, 200)])
def test_role_decorator_hides_admin_pages(client, role, status):
    membership = MembershipFactory(role=role)
    client.force_login(membership.user)
    assert client.get(f"/o/{membership.organization.slug}/settings/").status_code == status
