import pytest
from django.urls import reverse

from staff.models import AuditEvent, Invitation, Membership, Organization, StaffMember, User
from tests.factories import MembershipFactory, StaffMemberFactory, UserFactory
from timeclamp.tenancy import unscoped


@pytest.fixture
def support_client(client, db):
    user = User.objects.create_superuser(email="support@timeclamp.example", password="x")
    client.force_login(user)
    return client


@pytest.fixture
def records(organization, other_organization):
    member = MembershipFactory(organization=organization)
    with unscoped():
        ours = StaffMemberFactory(organization=organization, first_name="Ours", last_name="Person")
        theirs = StaffMemberFactory(organization=other_organization, first_name="Theirs", last_name="Person")
        AuditEvent.all_organizations.create(organization=organization, action="test.event", summary="hello")
    return {"membership": member, "ours": ours, "theirs": theirs}


@pytest.mark.parametrize("model", [Organization, User, Membership, Invitation, StaffMember, AuditEvent])
def test_support_staff_can_list_every_model(support_client, records, model):
    response = support_client.get(reverse(f"admin:staff_{model._meta.model_name}_changelist"))

    assert response.status_code == 200


def test_staff_members_of_every_organisation_are_listed_and_viewable(support_client, records):
    html = support_client.get(reverse("admin:staff_staffmember_changelist")).content.decode()

    assert "Ours Person" in html
    assert "Theirs Person" in html
    response = support_client.get(reverse("admin:staff_staffmember_change", args=[records["theirs"].pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False


def test_audit_events_cannot_be_added_changed_or_deleted(support_client, records):
    with unscoped():
        event = AuditEvent.all_organizations.get(action="test.event")

    assert support_client.get(reverse("admin:staff_auditevent_add")).status_code == 403
    assert support_client.post(reverse("admin:staff_auditevent_delete", args=[event.pk])).status_code == 403
    response = support_client.post(
        reverse("admin:staff_auditevent_change", args=[event.pk]), {"summary": "rewritten"}
    )
    assert response.status_code == 403
    with unscoped():
        event.refresh_from_db()
    assert event.summary == "hello"


def test_user_admin_uses_email_and_can_create_a_user(support_client):
    response = support_client.post(
        reverse("admin:staff_user_add"),
        {
            "email": "new@example.com",
            "usable_password": "true",
            "password1": "a-Long-pass-42",
            "password2": "a-Long-pass-42",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").check_password("a-Long-pass-42")
    user = UserFactory(email="someone@example.com")
    html = support_client.get(reverse("admin:staff_user_change", args=[user.pk])).content.decode()
    assert "someone@example.com" in html
    assert "username" not in html


def test_invitation_tokens_are_not_shown(support_client, organization):
    from datetime import timedelta

    from django.utils import timezone

    invitation = Invitation.objects.create(
        organization=organization,
        email="invitee@example.com",
        token="secret-token-value",
        expires_at=timezone.now() + timedelta(days=1),
    )

    html = support_client.get(reverse("admin:staff_invitation_change", args=[invitation.pk])).content.decode()

    assert "invitee@example.com" in html
    assert "secret-token-value" not in html
