"""The control helpers, control page and control API (faults, employees, grants, the request log)."""

import datetime
import json

import pytest
from django.conf import settings as django_settings
from django.test import Client

from xero_sandbox.control import api as control
from xero_sandbox.models import Connection, Employee, FaultRule, Grant, RequestLog

from .payroll_support import XeroApi, build_world

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

CONTROL = "/xero-sandbox/control/"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def page():
    return Client(enforce_csrf_checks=True)


def test_helpers_change_employees(world):
    fred = world.employees["fred"]
    before = fred.updated_at
    control.update_employee(
        fred.employee_id,
        first_name="Frederick",
        middle_names="",
        date_of_birth="1991-02-03",
        payroll_calendar=world.calendars["weekly"].calendar_id,
    )
    fred.refresh_from_db()
    assert (fred.first_name, fred.date_of_birth) == ("Frederick", datetime.date(1991, 2, 3))
    assert fred.payroll_calendar == world.calendars["weekly"]
    assert fred.updated_at > before
    control.update_employee(fred, payroll_calendar=None)
    fred.refresh_from_db()
    assert fred.payroll_calendar is None
    control.terminate_employee(str(fred.employee_id), termination_date=datetime.date(2026, 3, 31))
    fred.refresh_from_db()
    assert (fred.status, fred.termination_date) == ("TERMINATED", datetime.date(2026, 3, 31))


def test_helpers_refuse_nonsense(world):
    with pytest.raises(control.ControlError):
        control.update_employee(world.employees["ada"].employee_id, shoe_size=9)
    with pytest.raises(control.ControlError):
        control.terminate_employee("00000000-0000-0000-0000-000000000000")
    with pytest.raises(control.ControlError):
        control.add_fault("teapot")
    with pytest.raises(control.ControlError):
        control.add_fault("500", count=0)


def test_terminated_employee_is_visible_through_the_api(world):
    api = XeroApi(world)
    control.terminate_employee(world.employees["ada"].employee_id)
    (ada,) = api.get(f"Employees/{world.employees['ada'].employee_id}").json()["Employees"]
    assert ada["Status"] == "TERMINATED"
    assert "TerminationDate" in ada


def test_clear_faults(world):
    control.add_fault("500", count=3)
    control.add_fault("503")
    assert control.clear_faults() == 2
    assert XeroApi(world).get("Employees").status_code == 200


def test_page_lists_requests_and_needs_no_timeclamp_login(world, page):
    XeroApi(world).get("Employees")
    response = page.get(CONTROL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/xero-sandbox/api/payroll.xro/1.0/Employees" in html
    assert world.org.name in html
    assert "Ada" in html
    log = page.get(CONTROL + "log")
    assert log.status_code == 200
    assert "/payroll.xro/1.0/Employees" in log.content.decode()


def _csrf(page) -> str:
    page.get(CONTROL)
    return page.cookies[django_settings.CSRF_COOKIE_NAME].value


def test_page_forms(world, page):
    token = _csrf(page)
    response = page.post(
        CONTROL,
        {
            "csrfmiddlewaretoken": token,
            "action": "add_fault",
            "kind": "503",
            "count": "2",
            "path_contains": "/Timesheets",
        },
    )
    assert response.status_code == 302
    rule = FaultRule.objects.get()
    assert (rule.kind, rule.remaining, rule.path_contains) == ("503", 2, "/Timesheets")
    fred = world.employees["fred"]
    page.post(
        CONTROL,
        {
            "csrfmiddlewaretoken": token,
            "action": "update_employee",
            "employee_id": str(fred.employee_id),
            "last_name": "Friday",
            "payroll_calendar": "none",
        },
    )
    fred.refresh_from_db()
    assert (fred.last_name, fred.payroll_calendar, fred.first_name) == ("Friday", None, "Fred")
    page.post(
        CONTROL,
        {"csrfmiddlewaretoken": token, "action": "terminate_employee", "employee_id": str(fred.employee_id)},
    )
    fred.refresh_from_db()
    assert fred.status == "TERMINATED"
    page.post(
        CONTROL,
        {
            "csrfmiddlewaretoken": token,
            "action": "remove_connection",
            "tenant_id": world.tenant_id,
            "user_email": world.user.email,
        },
    )
    assert not Connection.objects.filter(organisation=world.org, deleted_at__isnull=True).exists()
    page.post(
        CONTROL, {"csrfmiddlewaretoken": token, "action": "revoke_grant", "user_email": world.user.email}
    )
    assert Grant.objects.get().revoked_at is not None
    bad = page.post(CONTROL, {"csrfmiddlewaretoken": token, "action": "add_fault", "kind": "nope"})
    assert bad.status_code == 400


def test_page_forms_keep_csrf_protection(page):
    assert page.post(CONTROL, {"action": "clear_faults"}).status_code == 403


def test_json_api_for_scripts(world, page):
    def call(**data):
        response = page.post(CONTROL + "api", json.dumps(data), content_type="application/json")
        return response.status_code, response.json()

    status, body = call(action="add_fault", kind="hang", hang_seconds=0.01, method="get")
    assert status == 200
    assert body["ok"]
    assert body["fault"]["method"] == "GET"
    assert call(action="clear_faults") == (200, {"ok": True, "deleted": 1})
    status, body = call(
        action="update_employee",
        employee_id=str(world.employees["ada"].employee_id),
        fields={"middle_names": "Augusta"},
    )
    assert status == 200
    assert Employee.objects.get(pk=world.employees["ada"].pk).middle_names == "Augusta"
    XeroApi(world).get("Employees")
    status, body = call(action="requests_log", path_contains="Employees")
    assert [r["status"] for r in body["requests"]] == [200]
    assert call(action="reset_limits")[0] == 200
    assert not RequestLog.objects.filter(counted=True).exists()
    assert call(action="teapot")[0] == 400
    assert page.post(CONTROL + "api", b"[1]", content_type="application/json").status_code == 400
    state = page.get(CONTROL + "api").json()
    assert state["faults"] == []
    assert state["requests"]


def test_control_is_off_when_the_sandbox_is_off(settings, page):
    settings.XERO_SANDBOX = False
    assert page.get(CONTROL).status_code == 404
    assert page.post(CONTROL + "api", b"{}", content_type="application/json").status_code == 404
