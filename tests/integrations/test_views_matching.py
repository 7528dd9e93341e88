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


def test_a_stalled_read_says_so_and_re_check_starts_a_new_one(
    admin_client, connection, token_endpoint, rsps, django_capture_on_commit_callbacks
):
    from django.conf import settings
    from django.utils import timezone

    from integrations.models import XeroSyncRun

    org = connection.organization
    stuck = XeroSyncRun.objects.create(organization=org, tenant_id=connection.tenant_id, status="running")
    XeroSyncRun.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=25))
    progress = admin_client.get(
        reverse("integrations:staff_matching_progress", kwargs={"org_slug": org.slug})
    )
    assert "Not responding" in progress.content.decode()
    assert "has not moved for 25\xa0minutes" in progress.content.decode()
    assert "press Re-check to start a new one" in progress.content.decode()
    assert "an admin can" not in progress.content.decode()  # that is what a manager reads

    rsps.get(f"{settings.XERO_API_URL}/payroll.xro/1.0/Employees", json={"Status": "OK", "Employees": []})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("integrations:staff_matching_recheck", kwargs={"org_slug": org.slug}))
    body = admin_client.get(
        reverse("integrations:staff_matching", kwargs={"org_slug": org.slug})
    ).content.decode()
    assert "Not responding" not in body
    assert "Last checked" in body
    assert list(XeroSyncRun.objects.values_list("status", flat=True)) == ["succeeded", "failed"]
