"""Staff matching against our local copy of Xero's employees; sync reads every page."""

import datetime
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from integrations.matching import Outcome
from integrations.models import StaffXeroLink, XeroEmployee, XeroSyncRun
from integrations.services.matching import (
    staff_match_apply,
    staff_match_clear,
    staff_match_exclude,
    staff_match_link,
    staff_match_report,
    staff_xero_employee_preview,
    xero_employees_sync,
    xero_sync_request,
)
from staff.models import AuditEvent
from tests.factories import StaffMemberFactory
from timeclamp.exceptions import ApplicationError

EMPLOYEES_URL = f"{settings.XERO_API_URL}/payroll.xro/1.0/Employees"


def xero_employee(connection, **fields):
    values = {
        "first_name": "Ava",
        "middle_names": "",
        "last_name": "Nguyen",
        "date_of_birth": datetime.date(1990, 3, 4),
        "payroll_calendar_id": "cal",
        "ordinary_earnings_rate_id": "rate",
        "employee_id": str(uuid.uuid4()),
    }
    values.update(fields)
    return XeroEmployee.objects.create(
        organization=connection.organization, tenant_id=connection.tenant_id, **values
    )


def staff(connection, **fields):
    values = {
        "first_name": "Ava",
        "middle_names": "",
        "last_name": "Nguyen",
        "date_of_birth": datetime.date(1990, 3, 4),
    }
    values.update(fields)
    return StaffMemberFactory(organization=connection.organization, **values)


def outcome_of(organization, member):
    report = staff_match_report(organization=organization)
    return next(r for r in report.rows if r.staff_member.pk == member.pk)


def test_exact_match_is_linked_automatically_and_audited(connection):
    employee = xero_employee(connection, first_name="AVA ", last_name="nguyen")
    member = staff(connection)
    assert staff_match_apply(organization=connection.organization) == 1
    link = StaffXeroLink.objects.get(staff_member=member)
    assert (link.xero_employee, link.kind) == (employee, StaffXeroLink.Kind.AUTOMATIC)
    assert outcome_of(connection.organization, member).result.outcome == Outcome.MATCHED
    assert AuditEvent.objects.filter(action="xero.staff_automatic").count() == 1
    assert staff_match_apply(organization=connection.organization) == 0  # nothing new the second time


def test_near_miss_is_suggested_not_linked_and_can_be_confirmed(connection, admin_member):
    employee = xero_employee(connection, middle_names="Anne")
    member = staff(connection)
    staff_match_apply(organization=connection.organization)
    row = outcome_of(connection.organization, member)
    assert row.result.outcome == Outcome.UNMATCHED
    assert [s.employee_id for s in row.result.suggestions] == [employee.employee_id]
    assert not StaffXeroLink.objects.exists()
    staff_match_link(
        organization=connection.organization,
        actor=admin_member.user,
        staff_member=member,
        employee_id=employee.employee_id,
        confirmed=True,
    )
    assert StaffXeroLink.objects.get(staff_member=member).kind == StaffXeroLink.Kind.CONFIRMED
    assert outcome_of(connection.organization, member).result.outcome == Outcome.MATCHED


def test_one_employee_cannot_be_linked_twice(connection, admin_member):
    employee = xero_employee(connection)
    first, second = staff(connection), staff(connection, first_name="Bea")
    staff_match_link(
        organization=connection.organization,
        actor=admin_member.user,
        staff_member=first,
        employee_id=employee.employee_id,
    )
    with pytest.raises(ApplicationError, match="already linked"):
        staff_match_link(
            organization=connection.organization,
            actor=admin_member.user,
            staff_member=second,
            employee_id=employee.employee_id,
        )


def test_twins_in_xero_are_ambiguous(connection):
    xero_employee(connection)
    xero_employee(connection)
    member = staff(connection)
    staff_match_apply(organization=connection.organization)
    assert outcome_of(connection.organization, member).result.outcome == Outcome.AMBIGUOUS
    assert not StaffXeroLink.objects.exists()


def test_unlink_exclude_and_manual_link_survive_a_recheck(connection, admin_member):
    employee = xero_employee(connection, first_name="Robert")
    member = staff(connection, first_name="Bob")
    staff_match_link(
        organization=connection.organization,
        actor=admin_member.user,
        staff_member=member,
        employee_id=employee.employee_id,
    )
    staff_match_apply(organization=connection.organization)
    assert outcome_of(connection.organization, member).result.outcome == Outcome.MATCHED
    staff_match_exclude(organization=connection.organization, actor=admin_member.user, staff_member=member)
    assert outcome_of(connection.organization, member).result.outcome == Outcome.EXCLUDED
    staff_match_clear(organization=connection.organization, actor=admin_member.user, staff_member=member)
    assert not StaffXeroLink.objects.filter(staff_member=member).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"xero.staff_manual", "xero.staff_excluded", "xero.staff_unlinked"} <= actions


def test_employee_removed_from_xero_flags_the_link_for_review(connection):
    employee = xero_employee(connection)
    member = staff(connection)
    staff_match_apply(organization=connection.organization)
    employee.removed_at = datetime.datetime.now(datetime.UTC)
    employee.save()
    assert outcome_of(connection.organization, member).result.outcome == Outcome.NEEDS_REVIEW
    assert StaffXeroLink.objects.filter(staff_member=member).exists()  # flagged, not dropped


def test_create_in_xero_preview_states_what_xero_requires(connection):
    member = staff(connection)
    member.date_of_birth = None
    payload, problems = staff_xero_employee_preview(staff_member=member)
    assert payload == {}
    assert problems == ["Date of birth is required by Xero: add it to the staff record first."]
    member.date_of_birth = datetime.date(1990, 3, 4)
    payload, problems = staff_xero_employee_preview(staff_member=member)
    assert problems == []
    assert payload["DateOfBirth"] == "/Date(636508800000+0000)/"


def _page(n, start=0):
    return {
        "Status": "OK",
        "Employees": [
            {
                "EmployeeID": f"00000000-0000-0000-0000-{i:012d}",
                "FirstName": f"P{i}",
                "LastName": "X",
                "DateOfBirth": "/Date(636508800000+0000)/",
                "Status": "ACTIVE",
                "PayrollCalendarID": "c",
                "OrdinaryEarningsRateID": "r",
            }
            for i in range(start, start + n)
        ],
    }


def test_sync_reads_every_page_then_only_changes(
    connection, token_endpoint, rsps, django_capture_on_commit_callbacks
):
    import responses

    rsps.get(EMPLOYEES_URL, json=_page(100), match=[responses.matchers.query_param_matcher({"page": "1"})])
    rsps.get(
        EMPLOYEES_URL, json=_page(20, 100), match=[responses.matchers.query_param_matcher({"page": "2"})]
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = xero_sync_request(organization=connection.organization, actor=None)
    run.refresh_from_db()
    assert (run.status, run.calls, run.employees_read) == (XeroSyncRun.Status.SUCCEEDED, 2, 120)
    assert XeroEmployee.objects.count() == 120
    # second read: If-Modified-Since, nothing changed = one call
    rsps.replace(responses.GET, EMPLOYEES_URL, json={"Status": "OK", "Employees": []})
    second = XeroSyncRun.objects.create(organization=connection.organization, tenant_id=connection.tenant_id)
    second = xero_employees_sync(organization=connection.organization, run_id=second.pk)
    assert (second.status, second.calls) == (XeroSyncRun.Status.SUCCEEDED, 1)
    assert "If-Modified-Since" in rsps.calls[-1].request.headers


def test_full_sync_marks_employees_missing_from_xero_as_removed(connection, token_endpoint, rsps):
    gone = xero_employee(connection)
    rsps.get(EMPLOYEES_URL, json=_page(3))
    run = XeroSyncRun.objects.create(
        organization=connection.organization, tenant_id=connection.tenant_id, full=True
    )
    xero_employees_sync(organization=connection.organization, run_id=run.pk)
    gone.refresh_from_db()
    assert gone.removed_at is not None


def test_a_second_sync_request_returns_the_running_one(connection):
    first = XeroSyncRun.objects.create(organization=connection.organization, tenant_id=connection.tenant_id)
    assert xero_sync_request(organization=connection.organization, actor=None) == first


def _stuck(connection, status, minutes_quiet):
    run = XeroSyncRun.objects.create(
        organization=connection.organization, tenant_id=connection.tenant_id, status=status
    )
    XeroSyncRun.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=minutes_quiet)
    )
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(
    ("status", "minutes_quiet", "reason"),
    [
        (XeroSyncRun.Status.PENDING, 31, "no worker took it for 30 minutes"),
        (XeroSyncRun.Status.RUNNING, 11, "nothing was heard from it for 10 minutes"),
    ],
)
def test_a_stalled_sync_run_no_longer_blocks_a_new_read(
    connection,
    admin_member,
    token_endpoint,
    rsps,
    django_capture_on_commit_callbacks,
    status,
    minutes_quiet,
    reason,
):
    """A run whose message was lost (or whose worker died past redelivery) stayed active for ever:
    every later read, the nightly one too, returned it, so matching never refreshed again."""
    stuck = _stuck(connection, status, minutes_quiet=minutes_quiet)
    rsps.get(EMPLOYEES_URL, json=_page(3))
    with django_capture_on_commit_callbacks(execute=True):
        run = xero_sync_request(organization=connection.organization, actor=admin_member.user)
    stuck.refresh_from_db()
    run.refresh_from_db()
    assert run.pk != stuck.pk
    assert (run.status, run.employees_read) == (XeroSyncRun.Status.SUCCEEDED, 3)
    assert stuck.status == XeroSyncRun.Status.FAILED
    assert reason in stuck.error
    assert stuck.finished_at is not None
    audit = AuditEvent.objects.get(action="xero.sync_stalled")
    assert (audit.actor, audit.target_id, audit.data["was"]) == (admin_member.user, str(stuck.pk), status)


@pytest.mark.parametrize(
    ("status", "minutes_quiet"), [(XeroSyncRun.Status.PENDING, 20), (XeroSyncRun.Status.RUNNING, 9)]
)
def test_a_sync_run_within_its_time_is_left_alone(connection, status, minutes_quiet):
    """A queued run waits behind the nightly fan-out; a running one saves after every page."""
    waiting = _stuck(connection, status, minutes_quiet=minutes_quiet)
    assert xero_sync_request(organization=connection.organization, actor=None) == waiting
    waiting.refresh_from_db()
    assert waiting.status == status
    assert XeroSyncRun.objects.count() == 1
    assert not AuditEvent.objects.filter(action="xero.sync_stalled").exists()
