import datetime

import pytest

from staff.models import AuditEvent, StaffMember
from staff.services import (
    staff_member_archive,
    staff_member_create,
    staff_member_restore,
    staff_member_update,
)
from tests.factories import MembershipFactory, StaffMemberFactory, UserFactory
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy import organization_scope


@pytest.fixture
def actor(organization):
    return MembershipFactory(organization=organization).user


def valid(**overrides) -> dict:
    return {
        "first_name": "Jane",
        "middle_names": "",
        "last_name": "Citizen",
        "date_of_birth": datetime.date(1990, 3, 3),
        "email": "",
        "employee_code": "",
        "start_date": None,
        "is_active": True,
        "user": None,
    } | overrides


def field_errors(excinfo) -> dict:
    return excinfo.value.extra["fields"]


def test_staff_member_create_saves_tidied_values_and_an_audit_row(organization, actor):
    member = staff_member_create(
        organization=organization,
        actor=actor,
        **valid(first_name="  Mary   Ann ", email=" Mary@Example.COM ", employee_code=" E001 "),
    )

    member.refresh_from_db()
    assert member.organization == organization
    assert (member.first_name, member.email, member.employee_code) == (
        "Mary Ann",
        "mary@example.com",
        "E001",
    )
    event = AuditEvent.objects.get(action="staff_member.created")
    assert (event.actor, event.target_id, event.summary) == (actor, str(member.pk), "Added Mary Ann Citizen")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "First name is required."),
        ({"first_name": " \t "}, "first_name", "First name is required."),
        ({"last_name": "   "}, "last_name", "Last name is required."),
        (
            {"last_name": "X" * 36},
            "last_name",
            "Last name must be at most 35 characters (Xero's limit); it has 36.",
        ),
        (
            {"middle_names": "M" * 36},
            "middle_names",
            "Middle name(s) must be at most 35 characters (Xero's limit); it has 36.",
        ),
        ({"first_name": "Ja\u200bne"}, "first_name", "First name contains invisible or control characters."),
        (
            {"date_of_birth": datetime.date(2999, 1, 1)},
            "date_of_birth",
            "Date of birth cannot be in the future.",
        ),
        (
            {"date_of_birth": datetime.date(1899, 12, 31)},
            "date_of_birth",
            "Date of birth cannot be before 1900.",
        ),
    ],
)
def test_staff_member_create_rejects_bad_values_and_saves_nothing(
    organization, actor, overrides, field, message
):
    with pytest.raises(ApplicationError) as excinfo:
        staff_member_create(organization=organization, actor=actor, **valid(**overrides))

    assert field_errors(excinfo) == {field: [message]}
    assert StaffMember.all_organizations.count() == 0
    assert not AuditEvent.objects.exists()


def test_staff_member_create_accepts_a_35_character_name(organization, actor):
    member = staff_member_create(organization=organization, actor=actor, **valid(last_name="X" * 35))

    assert len(member.last_name) == 35


def test_staff_member_create_rejects_a_duplicate_employee_code(organization, actor):
    StaffMemberFactory(organization=organization, employee_code="E001")

    with pytest.raises(ApplicationError) as excinfo:
        staff_member_create(organization=organization, actor=actor, **valid(employee_code="E001"))

    assert field_errors(excinfo) == {"employee_code": ["Employee code E001 is already used by someone else."]}
    assert StaffMember.objects.count() == 1


def test_employee_codes_are_unique_per_organisation_only(organization, other_organization, actor):
    StaffMemberFactory(organization=other_organization, employee_code="E001")

    member = staff_member_create(organization=organization, actor=actor, **valid(employee_code="E001"))

    assert member.employee_code == "E001"


def test_staff_member_create_links_a_member_login(organization, actor):
    login = MembershipFactory(organization=organization).user

    member = staff_member_create(organization=organization, actor=actor, **valid(user=login))

    assert member.user == login


def test_staff_member_create_refuses_a_login_from_outside_the_organisation(organization, actor):
    with pytest.raises(ApplicationError) as excinfo:
        staff_member_create(organization=organization, actor=actor, **valid(user=UserFactory()))

    assert field_errors(excinfo) == {"user": ["That login is not a member of this organisation."]}
    assert StaffMember.objects.count() == 0


def test_staff_member_create_refuses_a_login_already_linked(organization, actor):
    login = MembershipFactory(organization=organization).user
    StaffMemberFactory(organization=organization, user=login)

    with pytest.raises(ApplicationError) as excinfo:
        staff_member_create(organization=organization, actor=actor, **valid(user=login))

    assert field_errors(excinfo) == {"user": ["That login is already linked to another staff member."]}


def test_staff_member_update_saves_changes_and_audits_them(organization, actor):
    member = StaffMemberFactory(organization=organization, first_name="Jane", employee_code="E001")

    staff_member_update(
        organization=organization,
        actor=actor,
        staff_member=member,
        **valid(first_name="Janet", employee_code="E001", date_of_birth=member.date_of_birth),
    )

    member.refresh_from_db()
    assert member.first_name == "Janet"
    event = AuditEvent.objects.get(action="staff_member.updated")
    assert "first_name" in event.summary


def test_staff_member_update_without_changes_writes_no_audit_row(organization, actor):
    member = StaffMemberFactory(organization=organization)

    staff_member_update(organization=organization, actor=actor, staff_member=member)

    assert not AuditEvent.objects.filter(action="staff_member.updated").exists()


def test_staff_member_update_refuses_another_persons_employee_code(organization, actor):
    StaffMemberFactory(organization=organization, employee_code="E001")
    member = StaffMemberFactory(organization=organization, employee_code="E002")

    with pytest.raises(ApplicationError) as excinfo:
        staff_member_update(organization=organization, actor=actor, staff_member=member, employee_code="E001")

    assert "employee_code" in field_errors(excinfo)
    member.refresh_from_db()
    assert member.employee_code == "E002"


def test_staff_member_update_refuses_a_member_of_another_organisation(
    organization, other_organization, actor
):
    with organization_scope(other_organization):
        foreign = StaffMemberFactory(organization=other_organization)

    with pytest.raises(StaffMember.DoesNotExist):
        staff_member_update(organization=organization, actor=actor, staff_member=foreign, first_name="X")
    with pytest.raises(StaffMember.DoesNotExist):
        staff_member_archive(organization=organization, actor=actor, staff_member=foreign)


def test_staff_member_archive_and_restore(organization, actor):
    member = StaffMemberFactory(organization=organization)

    staff_member_archive(organization=organization, actor=actor, staff_member=member)
    member.refresh_from_db()
    assert member.is_archived
    assert not member.is_active

    staff_member_restore(organization=organization, actor=actor, staff_member=member)
    member.refresh_from_db()
    assert not member.is_archived
    assert member.is_active
    assert list(
        AuditEvent.objects.filter(target_id=str(member.pk)).order_by("id").values_list("action", flat=True)
    ) == ["staff_member.archived", "staff_member.restored"]
