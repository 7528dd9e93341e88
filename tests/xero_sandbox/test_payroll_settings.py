"""PayrollCalendars, PayItems (current earnings rates only) and Settings (xero-api-notes.md §2.3-2.5)."""

import uuid

import pytest

from .payroll_support import MONTH_START, WEEK_START, XeroApi, build_world, ms

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def api(world):
    return XeroApi(world)


def test_payroll_calendars(api, world):
    response = api.get("PayrollCalendars")
    assert response.status_code == 200
    calendars = {c["Name"]: c for c in response.json()["PayrollCalendars"]}
    assert set(calendars) == {"Weekly", "Fortnightly", "Monthly"}
    weekly = calendars["Weekly"]
    assert weekly["PayrollCalendarID"] == str(world.calendars["weekly"].calendar_id)
    assert weekly["CalendarType"] == "WEEKLY"
    assert weekly["StartDate"] == ms(WEEK_START)
    assert calendars["Monthly"]["StartDate"] == ms(MONTH_START)
    assert calendars["Fortnightly"]["CalendarType"] == "FORTNIGHTLY"


def test_payroll_calendar_by_id(api, world):
    calendar = world.calendars["fortnightly"]
    (found,) = api.get(f"PayrollCalendars/{calendar.calendar_id}").json()["PayrollCalendars"]
    assert found["Name"] == "Fortnightly"
    assert api.get(f"PayrollCalendars/{uuid.uuid4()}").status_code == 404


def test_payroll_calendars_where(api):
    found = api.get("PayrollCalendars", params={"where": 'CalendarType=="MONTHLY"'}).json()[
        "PayrollCalendars"
    ]
    assert [c["Name"] for c in found] == ["Monthly"]


def test_pay_items_lists_only_current_earnings_rates(api, world):
    response = api.get("PayItems")
    assert response.status_code == 200
    pay_items = response.json()["PayItems"]
    assert pay_items["DeductionTypes"] == pay_items["LeaveTypes"] == pay_items["ReimbursementTypes"] == []
    rates = {r["EarningsRateID"]: r for r in pay_items["EarningsRates"]}
    assert set(rates) == {
        str(world.rates["ordinary"].earnings_rate_id),
        str(world.rates["overtime"].earnings_rate_id),
    }
    ordinary = rates[str(world.rates["ordinary"].earnings_rate_id)]
    assert ordinary["Name"] == "Ordinary Hours"
    assert ordinary["EarningsType"] == "ORDINARYTIMEEARNINGS"
    assert ordinary["RateType"] == "RATEPERUNIT"
    assert ordinary["TypeOfUnits"] == "Hours"
    assert ordinary["RatePerUnit"] == "30"
    assert ordinary["CurrentRecord"] is True
    overtime = rates[str(world.rates["overtime"].earnings_rate_id)]
    assert overtime["EarningsType"] == "OVERTIMEEARNINGS"
    assert overtime["IsExemptFromSuper"] is True


def test_settings(api):
    response = api.get("Settings")
    assert response.status_code == 200
    settings = response.json()["Settings"]
    timesheets = settings["TrackingCategories"]["TimesheetCategories"]
    uuid.UUID(timesheets["TrackingCategoryID"])
    assert timesheets["TrackingCategoryName"]
    assert {a["Type"] for a in settings["Accounts"]} >= {"WAGESEXPENSE", "WAGESPAYABLELIABILITY"}
    assert api.get("Settings").json()["Settings"] == settings  # stable ids


def test_settings_need_the_settings_scope(api, world):
    token = world.token(["payroll.settings.read"])
    assert api.get("Settings", token=token).status_code == 200
    assert api.get("PayrollCalendars", token=token).status_code == 200
    assert api.get("Employees", token=token).status_code == 401
