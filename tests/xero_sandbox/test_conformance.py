"""The sandbox against Xero's own OpenAPI spec (shared/xero-openapi/xero-payroll-au.yaml).

Every response of every Payroll AU v1 operation the sandbox serves is validated, and every request it
accepts. Requests the spec rejects must be refused by the sandbox too. Skips, with the reason, when the
shared/ folder beside the repository is absent.
"""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from openapi_core.testing import MockRequest

from xero_sandbox.identity import control as identity_control
from xero_sandbox.management.commands.sandbox_seed import SANDBOX_EMAIL
from xero_sandbox.models import Organisation, Timesheet

from . import openapi
from .payroll_support import WEEK_START, XeroApi, build_world, ms, week_timesheet

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

OPERATIONS = {
    ("GET", "/Employees"),
    ("POST", "/Employees"),
    ("GET", "/Employees/{EmployeeID}"),
    ("POST", "/Employees/{EmployeeID}"),
    ("GET", "/PayrollCalendars"),
    ("GET", "/PayrollCalendars/{PayrollCalendarID}"),
    ("GET", "/PayItems"),
    ("GET", "/Settings"),
    ("GET", "/Timesheets"),
    ("POST", "/Timesheets"),
    ("GET", "/Timesheets/{TimesheetID}"),
    ("POST", "/Timesheets/{TimesheetID}"),
}


@pytest.fixture
def spec():
    return openapi.require_spec()


@pytest.fixture
def world():
    return build_world()


class RecordingApi(XeroApi):
    """Fails the test on any exchange the spec cannot check, and records which operations ran."""

    def __init__(self, world):
        super().__init__(world)
        self.operations = set()

    def request(self, method, path, **kwargs):
        before = self.validated
        response = super().request(method, path, **kwargs)
        assert self.validated == before + 1, f"{method} {path} -> {response.status_code} was not validated"
        template = "/" + path.split("?")[0]
        parts = template.split("/")
        if len(parts) == 3:
            parts[2] = {"Employees": "{EmployeeID}", "PayrollCalendars": "{PayrollCalendarID}"}.get(
                parts[1], "{TimesheetID}"
            )
        self.operations.add((method, "/".join(parts)))
        return response


def test_spec_is_found_and_loads(spec):
    assert openapi.spec_path() is not None
    assert openapi.documented_statuses(
        spec, "POST", "https://x/xero-sandbox/api/payroll.xro/1.0/Timesheets"
    ) >= {"200"}


def test_every_operation_validates_against_the_spec(spec, world):
    api = RecordingApi(world)
    ada, rate = world.employees["ada"], world.rates["ordinary"]

    # Employees
    assert api.get("Employees").status_code == 200
    assert (
        api.get("Employees", params={"where": 'Status=="ACTIVE"', "page": 1, "order": "LastName"}).status_code
        == 200
    )
    assert (
        api.get("Employees", headers={"If-Modified-Since": "2020-02-06T12:17:43.202-08:00"}).status_code
        == 200
    )
    assert api.get(f"Employees/{ada.employee_id}").status_code == 200
    created = api.post(
        "Employees",
        [
            {
                "FirstName": "Albus",
                "LastName": "Dumbledore",
                "DateOfBirth": "/Date(321494400000+0000)/",
                "Gender": "M",
            }
        ],
    )
    assert created.status_code == 200
    new_id = created.json()["Employees"][0]["EmployeeID"]
    update = [
        {
            "FirstName": "Albus",
            "LastName": "Dumbledore",
            "DateOfBirth": "/Date(321494400000+0000)/",
            "MiddleNames": "Percival",
        }
    ]
    assert api.post(f"Employees/{new_id}", update).status_code == 200
    assert api.get("Employees", params={"where": 'Status="ACTIVE"'}).status_code == 400  # APIException

    # Settings side
    assert api.get("PayrollCalendars").status_code == 200
    assert api.get(f"PayrollCalendars/{world.calendars['weekly'].calendar_id}").status_code == 200
    assert api.get("PayItems").status_code == 200
    assert api.get("Settings").status_code == 200

    # Timesheets
    created = api.post(
        "Timesheets",
        [week_timesheet(ada, rate), week_timesheet(ada, rate, start=WEEK_START + datetime.timedelta(days=7))],
    )
    assert created.status_code == 200
    timesheet_id = created.json()["Timesheets"][0]["TimesheetID"]
    assert api.post("Timesheets", [week_timesheet(ada, rate)]).status_code == 400  # duplicate, documented 400
    update = week_timesheet(ada, rate, TimesheetID=timesheet_id, Status="APPROVED", units=[1] * 7)
    assert api.post(f"Timesheets/{timesheet_id}", [update]).status_code == 200
    assert api.get("Timesheets").status_code == 200
    assert (
        api.get(
            "Timesheets",
            params={"where": f'EmployeeID==Guid("{ada.employee_id}") AND StartDate>=DateTime(2026,03,02)'},
        ).status_code
        == 200
    )
    assert api.get(f"Timesheets/{timesheet_id}").status_code == 200
    assert api.get("Timesheets", params={"where": "Nope==1"}).status_code == 400

    assert api.operations >= OPERATIONS
    assert api.validated == 18  # every call above


def test_seeded_data_validates_through_a_real_token(spec):
    """The seeded organisations, reached the way Timeclamp reaches them: a token from the identity
    side's consent flow, then every list and every employee."""
    call_command("sandbox_seed", stdout=io.StringIO())
    organisations = list(Organisation.objects.all())
    token = identity_control.token_set_for_tests(
        user=SANDBOX_EMAIL,
        organisations=organisations,
        scopes=[
            "openid",
            "offline_access",
            "payroll.employees",
            "payroll.timesheets",
            "payroll.settings.read",
        ],
    )["access_token"]
    for organisation in organisations:
        api = XeroApi(_SeededWorld(token, organisation))
        for path in ("Employees", "PayrollCalendars", "PayItems", "Settings", "Timesheets"):
            assert api.get(path).status_code == 200, path
        for employee in api.get("Employees").json()["Employees"]:
            assert api.get(f"Employees/{employee['EmployeeID']}").status_code == 200
        assert api.validated > 5


class _SeededWorld:
    def __init__(self, token, organisation):
        self._token, self.tenant_id = token, str(organisation.tenant_id)

    def token(self, scopes=None):
        return self._token


# --- the spec and the sandbox refuse the same requests ---------------------------------------------


def _spec_rejects(spec, method, path, *, headers, body=None) -> bool:
    request = MockRequest(
        "https://xero-sandbox.test",
        method.lower(),
        f"/xero-sandbox/api/payroll.xro/1.0/{path}",
        headers=headers,
        data=json.dumps(body).encode() if body is not None else None,
        content_type="application/json",
    )
    try:
        spec.validate_request(request)
    except Exception:  # any validation error counts as "rejected"
        return True
    return False


def test_requests_the_spec_rejects_are_refused(spec, world):
    api = XeroApi(world, validate=False)
    good = {"Authorization": f"Bearer {api.token}", "Xero-Tenant-Id": world.tenant_id}
    sheet = week_timesheet(world.employees["ada"], world.rates["ordinary"])
    cases = [
        ("POST", "Timesheets", good, {"Timesheets": [sheet]}),
        ("POST", "Timesheets", good, [{**sheet, "Status": "NOPE"}]),
        ("POST", "Timesheets", good, [{**sheet, "EmployeeID": "not-a-guid"}]),
        ("POST", "Timesheets", good, [{k: v for k, v in sheet.items() if k != "StartDate"}]),
        ("POST", "Employees", good, [{"FirstName": "No", "LastName": "Birthday"}]),
        ("GET", "Employees", {"Authorization": good["Authorization"]}, None),
        ("GET", "Employees", {"Xero-Tenant-Id": world.tenant_id}, None),
        ("GET", "Employees?page=x", good, None),
    ]
    for method, path, headers, body in cases:
        assert _spec_rejects(spec, method, path, headers=headers, body=body), (method, path, body)
        response = api.session.request(
            method, api.url(path), headers={**headers, "Accept": "application/json"}, json=body, timeout=5
        )
        assert response.status_code >= 400, (method, path, body, response.status_code)
    assert not Timesheet.objects.exists()


def test_a_spec_valid_timesheet_is_accepted(spec, world):
    """The spec's own createTimesheet example shape, with this world's ids."""
    api = XeroApi(world)
    body = [
        {
            "EmployeeID": str(world.employees["ada"].employee_id),
            "StartDate": ms(WEEK_START),
            "EndDate": ms(WEEK_START + datetime.timedelta(days=6)),
            "Status": "DRAFT",
            "TimesheetLines": [
                {
                    "EarningsRateID": str(world.rates["ordinary"].earnings_rate_id),
                    "TrackingItemID": "af5e9ce2-2349-4136-be99-3561b189f473",
                    "NumberOfUnits": [2.0, 10.0, 0.0, 0.0, 5.0, 0.0, 5.0],
                }
            ],
        }
    ]
    assert not _spec_rejects(spec, "POST", "Timesheets", headers=api.headers(), body=body)
    response = api.post("Timesheets", body)
    assert response.status_code == 200
    assert response.json()["Timesheets"][0]["Hours"] == 22
    assert api.validated == 1
