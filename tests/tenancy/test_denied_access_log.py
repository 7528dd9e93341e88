"""I11: every denied access is recorded exactly once, where it is decided."""

import datetime
import logging

import pytest

from staff.models import AuditEvent, Role
from tests.factories import MembershipFactory
from timeclamp.tenancy import unscoped

pytestmark = pytest.mark.django_db


def denials(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "timeclamp.security"]


def test_a_non_member_is_logged_once_and_nothing_is_written_into_the_probed_organisation(client, caplog):
    target = MembershipFactory(role=Role.ADMIN).organization
    outsider = MembershipFactory(role=Role.ADMIN)
    client.force_login(outsider.user)
    with caplog.at_level(logging.WARNING, logger="timeclamp.security"):
        response = client.get(f"/o/{target.slug}/staff/", secure=True)
    assert response.status_code == 404
    (record,) = denials(caplog)
    assert "not a member" in record.getMessage()
    assert f"user {outsider.user.pk}" in record.getMessage()
    with unscoped():
        assert not AuditEvent.all_organizations.filter(organization=target, action="access.denied").exists()


def test_a_member_above_their_role_is_logged_once_and_audited_once(client, caplog):
    staff = MembershipFactory(role=Role.STAFF)
    client.force_login(staff.user)
    with caplog.at_level(logging.WARNING, logger="timeclamp.security"):
        response = client.get(f"/o/{staff.organization.slug}/settings/integrations/", secure=True)
    assert response.status_code == 404
    (record,) = denials(caplog)
    assert "needs the admin role" in record.getMessage() or "needs the manager role" in record.getMessage()
    with unscoped():
        (event,) = AuditEvent.all_organizations.filter(
            organization=staff.organization, action="access.denied"
        )
    assert event.actor == staff.user
    assert event.summary.endswith("/settings/integrations/")


def test_a_forged_xero_callback_is_logged_once_without_its_values(client, caplog):
    admin = MembershipFactory(role=Role.ADMIN)
    client.force_login(admin.user)
    with caplog.at_level(logging.WARNING, logger="timeclamp.security"):
        response = client.get(
            "/integrations/xero/callback/", {"code": "stolen-code", "state": "forged-state"}, secure=True
        )
    assert response.status_code == 400
    (record,) = denials(caplog)
    assert "Xero callback" in record.getMessage()
    assert "stolen-code" not in record.getMessage()
    assert "forged-state" not in record.getMessage()


def test_an_allowed_page_logs_nothing(client, caplog):
    admin = MembershipFactory(role=Role.ADMIN)
    client.force_login(admin.user)
    with caplog.at_level(logging.WARNING, logger="timeclamp.security"):
        assert client.get(f"/o/{admin.organization.slug}/staff/", secure=True).status_code == 200
    assert denials(caplog) == []


def test_reloading_a_refused_page_logs_each_time_but_audits_once_an_hour(client, caplog, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 3, 9, tzinfo=datetime.UTC), tick=False)
    staff = MembershipFactory(role=Role.STAFF)
    client.force_login(staff.user)
    url = f"/o/{staff.organization.slug}/settings/integrations/"
    with caplog.at_level(logging.WARNING, logger="timeclamp.security"):
        for _ in range(3):
            assert client.get(url, secure=True).status_code == 404
    assert len(denials(caplog)) == 3

    def audited() -> int:
        with unscoped():
            return AuditEvent.all_organizations.filter(
                organization=staff.organization, action="access.denied"
            ).count()

    assert audited() == 1
    time_machine.shift(datetime.timedelta(hours=1, seconds=1))
    client.get(url, secure=True)
    assert audited() == 2
