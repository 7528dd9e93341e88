"""Sign-up, organisations, members and invitations, as a user meets them."""

import pytest
from django.core import mail  # noqa: F401  (locmem backend is set in conftest)
from django.urls import reverse

from staff.models import AuditEvent, Invitation, Membership, Organization, Role, User
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from timeclamp.tenancy import unscoped

SIGNUP = {
    "full_name": "Mia Nguyen",
    "email": "Mia@Example.com",
    "password": "a long enough passphrase",
    "organization_name": "Mia's Cafe",
    "organization_slug": "",
    "timezone": "Australia/Sydney",
}


@pytest.mark.django_db
def test_signup_creates_user_organisation_and_admin_membership(client):
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="mia@example.com")
    organization = Organization.objects.get(name="Mia's Cafe")
    assert organization.slug == "mias-cafe"
    assert organization.timezone == "Australia/Sydney"
    assert Membership.objects.get(user=user, organization=organization).role == Role.ADMIN
    assert response["Location"] == f"/o/{organization.slug}/staff/"
    assert user.password.startswith(("md5$", "argon2"))
    with unscoped():
        assert (
            AuditEvent.objects.filter(organization=organization, action="organization.created").count() == 1
        )


@pytest.mark.django_db
def test_signup_suggests_a_free_address_when_the_name_is_taken(client):
    OrganizationFactory(slug="mias-cafe")
    client.post(reverse("signup"), SIGNUP)
    assert Organization.objects.filter(slug="mias-cafe-2").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"password": "short"}, "password", "too short"),
        ({"organization_name": "   "}, "organization_name", "required"),
        ({"organization_slug": "Has Spaces"}, "organization_slug", "slug"),
        ({"timezone": "Mars/Olympus"}, "timezone", "valid choice"),
    ],
)
def test_signup_rejects_bad_input_and_saves_nothing(client, changes, field, message):
    response = client.post(reverse("signup"), {**SIGNUP, **changes})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field]).lower()
    assert message in errors
    assert not User.objects.exists()
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_signup_with_taken_email_or_address_keeps_nothing(client):
    UserFactory(email="mia@example.com")
    response = client.post(reverse("signup"), SIGNUP)
    assert "already exists" in response.content.decode()
    OrganizationFactory(slug="taken")
    response = client.post(
        reverse("signup"), {**SIGNUP, "email": "new@example.com", "organization_slug": "taken"}
    )
    assert "already taken" in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.django_db
def test_home_lists_organisations_for_a_member_of_several(client):
    user = UserFactory()
    a = MembershipFactory(user=user, role=Role.ADMIN).organization
    b = MembershipFactory(user=user, role=Role.STAFF).organization
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert a.name in body
    assert b.name in body
    # and with one organisation, straight in
    solo = MembershipFactory()
    client.force_login(solo.user)
    assert client.get("/")["Location"] == f"/o/{solo.organization.slug}/"


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_admin_invites_a_new_person_who_accepts_and_joins(client, admin_client, organization):
    response = admin_client.post(
        reverse("members:list", kwargs={"org_slug": organization.slug}),
        {"email": "Sam@Example.com", "role": "manager"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="sam@example.com")
    admin_client.logout()
    page = client.get(reverse("invitation", kwargs={"token": invitation.token}))
    assert organization.name in page.content.decode()
    response = client.post(
        reverse("invitation", kwargs={"token": invitation.token}),
        {"full_name": "Sam Lee", "password": "another long passphrase"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="sam@example.com", organization=organization)
    assert membership.role == Role.MANAGER
    # the link is single use
    assert client.get(reverse("invitation", kwargs={"token": invitation.token})).status_code == 404


@pytest.mark.django_db
def test_inviting_an_existing_user_adds_them_at_once(admin_client, organization):
    other = UserFactory(email="existing@example.com")
    admin_client.post(
        reverse("members:list", kwargs={"org_slug": organization.slug}),
        {"email": other.email, "role": "staff"},
    )
    assert Membership.objects.filter(user=other, organization=organization, role=Role.STAFF).exists()


@pytest.mark.django_db
def test_the_last_admin_cannot_be_demoted_or_removed(admin_client, admin_member, organization):
    url = reverse("members:role", kwargs={"org_slug": organization.slug, "membership_id": admin_member.pk})
    admin_client.post(url, {"role": "staff"})
    admin_member.refresh_from_db()
    assert admin_member.role == Role.ADMIN
    url = reverse("members:remove", kwargs={"org_slug": organization.slug, "membership_id": admin_member.pk})
    response = admin_client.post(url, follow=True)
    assert "last admin" in response.content.decode()
    assert Membership.objects.filter(pk=admin_member.pk).exists()


@pytest.mark.django_db
def test_admin_changes_role_and_removes_a_member(admin_client, organization):
    member = MembershipFactory(organization=organization, role=Role.STAFF)
    admin_client.post(
        reverse("members:role", kwargs={"org_slug": organization.slug, "membership_id": member.pk}),
        {"role": "manager"},
    )
    member.refresh_from_db()
    assert member.role == Role.MANAGER
    admin_client.post(
        reverse("members:remove", kwargs={"org_slug": organization.slug, "membership_id": member.pk})
    )
    assert not Membership.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db
def test_organisation_settings_change_timezone_and_reject_unknown_zone(admin_client, organization):
    url = reverse("organization_settings", kwargs={"org_slug": organization.slug})
    admin_client.post(url, {"name": "Demo Cafe", "timezone": "Australia/Perth"})
    organization.refresh_from_db()
    assert organization.timezone == "Australia/Perth"
    response = admin_client.post(url, {"name": "Demo Cafe", "timezone": "Nowhere/Land"})
    assert response.status_code == 200
    organization.refresh_from_db()
    assert organization.timezone == "Australia/Perth"


@pytest.mark.django_db
def test_user_creates_a_second_organisation_and_switches(client):
    membership = MembershipFactory(role=Role.STAFF)
    client.force_login(membership.user)
    response = client.post(
        reverse("organization_new"), {"name": "Second Shop", "slug": "", "timezone": "Australia/Hobart"}
    )
    organization = Organization.objects.get(name="Second Shop")
    assert response["Location"] == f"/o/{organization.slug}/"
    assert Membership.objects.get(user=membership.user, organization=organization).role == Role.ADMIN
    page = client.get(f"/o/{organization.slug}/settings/")
    assert page.status_code == 200
    assert membership.organization.name in page.content.decode()  # the switcher lists both
