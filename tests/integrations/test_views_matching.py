import datetime
import uuid

from django.urls import reverse

from integrations.models import StaffXeroLink, XeroEmployee
from tests.factories import StaffMemberFactory


def test_report_shows_outcomes_reasons_and_differences(admin_client, connection):
    org = connection.organization
    XeroEmployee.objects.create(
        organization=org,
        tenant_id=connection.tenant_id,
        employee_id=str(uuid.uuid4()),
        first_name="Grace",
        middle_names="Anne",
        last_name="Hopper",
        date_of_birth=datetime.date(1985, 12, 9),
        payroll_calendar_id="c",
        ordinary_earnings_rate_id="r",
    )
    StaffMemberFactory(
        organization=org,
        first_name="Grace",
        middle_names="",
        last_name="Hopper",
        date_of_birth=datetime.date(1985, 12, 9),
    )
    response = admin_client.get(reverse("integrations:staff_matching", kwargs={"org_slug": org.slug}))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Not matched" in body
    assert "Middle name: 'Anne'" in body or "Middle name" in body
    assert "Confirm" in body


def test_admin_links_by_hand_from_the_report(admin_client, connection):
    org = connection.organization
    employee = XeroEmployee.objects.create(
        organization=org,
        tenant_id=connection.tenant_id,
        employee_id=str(uuid.uuid4()),
        first_name="Robert",
        last_name="Lee",
        date_of_birth=datetime.date(1970, 1, 1),
    )
    member = StaffMemberFactory(
        organization=org, first_name="Bob", last_name="Lee", date_of_birth=datetime.date(1970, 1, 1)
    )
    url = reverse(
        "integrations:staff_matching_link", kwargs={"org_slug": org.slug, "staff_member_id": member.pk}
    )
    response = admin_client.post(url, {"employee_id": employee.employee_id}, follow=True)
    assert "is now linked" in response.content.decode()
    assert StaffXeroLink.objects.get(staff_member=member).xero_employee == employee


def test_managers_read_the_report_but_cannot_act(manager_client, connection):
    org = connection.organization
    member = StaffMemberFactory(organization=org)
    assert (
        manager_client.get(reverse("integrations:staff_matching", kwargs={"org_slug": org.slug})).status_code
        == 200
    )
    url = reverse(
        "integrations:staff_matching_exclude", kwargs={"org_slug": org.slug, "staff_member_id": member.pk}
    )
    assert manager_client.post(url).status_code == 404


def test_staff_cannot_see_the_report(staff_client, connection):
    url = reverse("integrations:staff_matching", kwargs={"org_slug": connection.organization.slug})
    assert staff_client.get(url).status_code == 404


def test_report_without_a_connection_says_connect_first(admin_client, organization):
    response = admin_client.get(
        reverse("integrations:staff_matching", kwargs={"org_slug": organization.slug})
    )
    assert "Connect Xero first" in response.content.decode()
