import pytest
from django.urls import reverse

from staff.models import User
from tests.factories import StaffMemberFactory
from timeclamp.tenancy import unscoped
from timesheets.models import TimeEntry, TimeEntryReopening

from .conftest import MONDAY, make_entry

pytestmark = pytest.mark.usefixtures("now")


@pytest.fixture
def support_client(client, db):
    user = User.objects.create_superuser(email="support@timeclamp.example", password="x")
    client.force_login(user)
    return client


@pytest.fixture
def entries(organization, other_organization):
    with unscoped():
        ours = make_entry(StaffMemberFactory(organization=organization, first_name="Ours"), MONDAY)
        theirs = make_entry(
            StaffMemberFactory(organization=other_organization, first_name="Theirs"),
            MONDAY,
            status=TimeEntry.Status.APPROVED,
        )
        TimeEntryReopening.all_organizations.create(
            organization=other_organization, time_entry=theirs, reason="typo in finish"
        )
    return ours, theirs


def test_admin_lists_time_entries_of_every_organisation(support_client, entries):
    html = support_client.get(reverse("admin:timesheets_timeentry_changelist")).content.decode()
    assert "Ours" in html
    assert "Theirs" in html
    assert "7 h 30 m" in html


def test_admin_time_entries_are_read_only(support_client, entries):
    _, theirs = entries
    response = support_client.get(reverse("admin:timesheets_timeentry_change", args=[theirs.pk]))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b"typo in finish" in response.content
    assert support_client.get(reverse("admin:timesheets_timeentry_add")).status_code == 403
    assert (
        support_client.post(reverse("admin:timesheets_timeentry_delete", args=[theirs.pk])).status_code == 403
    )
    with unscoped():
        assert TimeEntry.all_organizations.filter(pk=theirs.pk).exists()


def test_admin_lists_reopenings(support_client, entries):
    html = support_client.get(reverse("admin:timesheets_timeentryreopening_changelist")).content.decode()
    assert "typo in finish" in html
