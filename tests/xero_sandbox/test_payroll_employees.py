"""Payroll AU v1 Employees: list (summary) vs detail, paging, where, If-Modified-Since, and
POST /Employees ("Create in Xero") with Xero's required fields (xero-api-notes.md §2.2)."""

import datetime

import pytest
from django.utils import timezone

from xero_sandbox.control import api as control
from xero_sandbox.models import Employee

from .payroll_support import XeroApi, build_world, ms

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def api(world):
    return XeroApi(world)


def test_list_is_a_summary_in_the_envelope(api, world):
    response = api.get("Employees")
    assert response.status_code == 200
    body = response.json()
    assert body["Status"] == "OK"
    employees = {e["FirstName"]: e for e in body["Employees"]}
    assert set(employees) == {"Ada", "Fred", "Mona", "Nina", "Terry"}
    ada = employees["Ada"]
    assert ada["EmployeeID"] == str(world.employees["ada"].employee_id)
    assert ada["MiddleNames"] == "King"
    assert ada["LastName"] == "Lovelace"
    assert ada["DateOfBirth"] == "/Date(631152000000+0000)/"  # 1990-01-01T00:00Z
    assert ada["Status"] == "ACTIVE"
    assert ada["PayrollCalendarID"] == str(world.calendars["weekly"].calendar_id)
    assert ada["OrdinaryEarningsRateID"] == str(world.rates["ordinary"].earnings_rate_id)
    assert "PayTemplate" not in ada
    assert "MiddleNames" not in employees["Fred"]  # empty fields are left out, not null
    assert "PayrollCalendarID" not in employees["Nina"]
    assert employees["Terry"]["Status"] == "TERMINATED"
    assert employees["Terry"]["TerminationDate"] == ms(datetime.date(2026, 1, 30))


def test_detail_has_the_pay_template(api, world):
    response = api.get(f"Employees/{world.employees['ada'].employee_id}")
    assert response.status_code == 200
    (employee,) = response.json()["Employees"]
    assert employee["PayTemplate"]["EarningsLines"][0]["EarningsRateID"] == str(
        world.rates["ordinary"].earnings_rate_id
    )


def test_unknown_employee_is_404(api):
    assert api.get("Employees/8d1d7bbf-0000-4000-8000-000000000000").status_code == 404


def test_where_status(api):
    active = api.get("Employees", params={"where": 'Status=="ACTIVE"'}).json()["Employees"]
    assert {e["FirstName"] for e in active} == {"Ada", "Fred", "Mona", "Nina"}
    terminated = api.get("Employees", params={"where": 'Status!="ACTIVE"'}).json()["Employees"]
    assert [e["FirstName"] for e in terminated] == ["Terry"]


def test_single_equals_is_a_query_parse_exception(api):
    response = api.get("Employees", params={"where": 'Status="ACTIVE"'})
    assert response.status_code == 400
    assert response.json()["Type"] == "QueryParseException"


def test_where_unknown_field(api):
    response = api.get("Employees", params={"where": 'Shoe=="42"'})
    assert response.status_code == 400
    assert response.json()["Message"] == "No property or field 'Shoe' exists in type 'Employee' (at index 0)"


def test_where_combines_and_or_and_parentheses(api, world):
    where = f'(FirstName=="Ada" OR FirstName=="Terry") AND PayrollCalendarID==Guid("{world.calendars["weekly"].calendar_id}")'
    found = api.get("Employees", params={"where": where}).json()["Employees"]
    assert sorted(e["FirstName"] for e in found) == ["Ada", "Terry"]


def test_order_by_last_name_descending(api):
    found = api.get("Employees", params={"order": "LastName DESC"}).json()["Employees"]
    assert [e["LastName"] for e in found] == ["Terminated", "Nocalendar", "Month", "Lovelace", "Fortnight"]


def test_paging(api, world):
    Employee.objects.bulk_create(
        Employee(
            organisation=world.org,
            first_name=f"P{n:03}",
            last_name="Person",
            date_of_birth=datetime.date(2000, 1, 1),
        )
        for n in range(200)
    )
    sizes = [len(api.get("Employees", params={"page": p}).json()["Employees"]) for p in (1, 2, 3, 4)]
    assert sizes == [100, 100, 5, 0]
    assert len(api.get("Employees", params={"page": 0}).json()["Employees"]) == 100
    assert api.get("Employees", params={"page": "nonsense"}).status_code == 400


def test_if_modified_since_sees_control_page_edits(api, world):
    since = timezone.now() - datetime.timedelta(minutes=1)
    Employee.objects.update(updated_at=since - datetime.timedelta(days=2))
    assert api.get("Employees", headers={"If-Modified-Since": since.isoformat()}).json()["Employees"] == []
    control.update_employee(world.employees["fred"].employee_id, middle_names="Frederick")
    changed = api.get("Employees", headers={"If-Modified-Since": since.isoformat()}).json()["Employees"]
    assert [(e["FirstName"], e["MiddleNames"]) for e in changed] == [("Fred", "Frederick")]


# --- POST /Employees -------------------------------------------------------------------------------


def test_create_employee(api, world):
    body = [
        {
            "FirstName": "Albus",
            "MiddleNames": "Percival",
            "LastName": "Dumbledore",
            "DateOfBirth": "/Date(321494400000+0000)/",
            "StartDate": "2026-03-02",
            "Email": "albus@example.test",
            "Gender": "M",
            "PayrollCalendarID": str(world.calendars["weekly"].calendar_id),
            "OrdinaryEarningsRateID": str(world.rates["ordinary"].earnings_rate_id),
        }
    ]
    response = api.post("Employees", body)
    assert response.status_code == 200, response.text
    (created,) = response.json()["Employees"]
    assert created["Status"] == "ACTIVE"
    assert created["DateOfBirth"] == "/Date(321494400000+0000)/"  # 1980-03-10T00:00Z
    assert created["StartDate"] == ms(datetime.date(2026, 3, 2))
    stored = Employee.objects.get(employee_id=created["EmployeeID"])
    assert (stored.first_name, stored.date_of_birth) == ("Albus", datetime.date(1980, 3, 10))
    assert stored.payroll_calendar == world.calendars["weekly"]
    assert api.get(f"Employees/{created['EmployeeID']}").json()["Employees"][0]["FirstName"] == "Albus"


def test_dates_that_are_not_utc_midnight_are_read_as_their_utc_date(api):
    # The spec's own example, 1980-03-10T08:00Z: stored as 1980-03-10, answered at UTC midnight.
    body = [{"FirstName": "Albus", "LastName": "Dumbledore", "DateOfBirth": "/Date(321523200000+0000)/"}]
    (created,) = api.post("Employees", body).json()["Employees"]
    assert created["DateOfBirth"] == "/Date(321494400000+0000)/"


def test_create_employee_requires_first_last_and_dob(api):
    response = api.post("Employees", [{"FirstName": " ", "Email": "x@example.test"}])
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "ValidationException"
    messages = [e["Message"] for e in body["Employees"][0]["ValidationErrors"]]
    assert messages == ["FirstName is required", "LastName is required", "DateOfBirth is required"]
    assert Employee.objects.filter(email="x@example.test").count() == 0


def test_create_employee_rejects_bad_values(api):
    body = [
        {
            "FirstName": "A",
            "LastName": "B",
            "DateOfBirth": "31/12/1990",
            "Gender": "X",
            "PayrollCalendarID": "nope",
        }
    ]
    messages = [e["Message"] for e in api.post("Employees", body).json()["Employees"][0]["ValidationErrors"]]
    assert messages == [
        "DateOfBirth is not a valid date",
        "Gender must be one of N, M, F, I",
        "The payroll calendar could not be found",
    ]


def test_create_employee_needs_a_bare_array(api):
    response = api.post("Employees", {"FirstName": "A", "LastName": "B", "DateOfBirth": "1990-01-01"})
    assert response.status_code == 400
    assert "requires a JSON array" in response.json()["Message"]


def test_update_employee_by_path(api, world):
    fred = world.employees["fred"]
    response = api.post(
        f"Employees/{fred.employee_id}",
        [
            {
                "FirstName": "Fred",
                "LastName": "Fortnight",
                "DateOfBirth": "1990-01-01",
                "MiddleNames": "Quincy",
            }
        ],
    )
    assert response.status_code == 200
    fred.refresh_from_db()
    assert fred.middle_names == "Quincy"
    assert Employee.objects.filter(organisation=world.org).count() == 5
