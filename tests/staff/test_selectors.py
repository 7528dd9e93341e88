import datetime

import pytest

from staff.models import StaffMember
from staff.selectors import staff_member_get, staff_member_list
from tests.factories import MembershipFactory, StaffMemberFactory

ARCHIVED = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def names(queryset) -> list[str]:
    return [member.full_name for member in queryset]


def test_staff_member_list_is_sorted_by_last_then_first_name(organization):
    StaffMemberFactory(organization=organization, first_name="Zoe", last_name="Adams")
    StaffMemberFactory(organization=organization, first_name="Amy", last_name="Brown")
    StaffMemberFactory(organization=organization, first_name="Ben", last_name="Adams")

    assert names(staff_member_list(organization=organization)) == ["Ben Adams", "Zoe Adams", "Amy Brown"]


def test_staff_member_list_hides_archived_unless_asked(organization):
    StaffMemberFactory(organization=organization, first_name="Current", last_name="One")
    StaffMemberFactory(organization=organization, first_name="Former", last_name="Two", archived_at=ARCHIVED)

    assert names(staff_member_list(organization=organization)) == ["Current One"]
    assert names(staff_member_list(organization=organization, include_archived=True)) == [
        "Current One",
        "Former Two",
    ]


def test_staff_member_list_never_shows_another_organisations_staff(organization, other_organization):
    StaffMemberFactory(organization=organization, first_name="Ours", last_name="Person")
    StaffMemberFactory(organization=other_organization, first_name="Theirs", last_name="Person")

    assert names(staff_member_list(organization=organization, include_archived=True)) == ["Ours Person"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("jane", ["Jane Maree Citizen"]),
        ("MAREE", ["Jane Maree Citizen"]),
        ("jane citizen", ["Jane Maree Citizen"]),
        ("nguyen", ["Sam Nguyen"]),
        ("sam@example", ["Sam Nguyen"]),
        ("e002", ["Sam Nguyen"]),
        ("E00", []),  # codes match exactly, so "E00" does not list everyone
        ("nobody", []),
    ],
)
def test_staff_member_list_search(organization, search, expected):
    StaffMemberFactory(
        organization=organization,
        first_name="Jane",
        middle_names="Maree",
        last_name="Citizen",
        employee_code="E001",
    )
    StaffMemberFactory(
        organization=organization,
        first_name="Sam",
        last_name="Nguyen",
        email="sam@example.com",
        employee_code="E002",
    )

    assert names(staff_member_list(organization=organization, search=search)) == expected


def test_staff_member_list_loads_linked_logins_in_the_same_query(organization, django_assert_num_queries):
    for _ in range(5):
        StaffMemberFactory(organization=organization, user=MembershipFactory(organization=organization).user)

    with django_assert_num_queries(1):
        emails = [member.user.email for member in staff_member_list(organization=organization)]

    assert len(emails) == 5


def test_staff_member_get_is_does_not_exist_for_another_organisations_staff(organization, other_organization):
    ours = StaffMemberFactory(organization=organization)
    theirs = StaffMemberFactory(organization=other_organization)

    assert staff_member_get(organization=organization, pk=ours.pk) == ours
    with pytest.raises(StaffMember.DoesNotExist):
        staff_member_get(organization=organization, pk=theirs.pk)
