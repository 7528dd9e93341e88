"""XeroClient against recorded, spec-shaped answers (responses): headers, paging, errors, dates."""

import datetime
import json
from decimal import Decimal

import pytest
import requests
import responses

from integrations.xero import (
    XeroAuthError,
    XeroBadResponse,
    XeroClient,
    XeroForbidden,
    XeroRateLimited,
    XeroUnavailable,
    XeroValidationError,
)
from integrations.xero.types import TimesheetDraft, TimesheetLine, format_ms_date, parse_ms_date

API = "https://api.xero.test"
PAYROLL = f"{API}/payroll.xro/1.0"
TENANT = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"


def envelope(**collections):
    return {
        "Id": "x",
        "Status": "OK",
        "ProviderName": "Timeclamp",
        "DateTimeUTC": "/Date(1573621523465)/",
        **collections,
    }


def employee(n, **extra):
    return {
        "EmployeeID": f"00000000-0000-0000-0000-{n:012d}",
        "FirstName": f"First{n}",
        "LastName": "Smith",
        "DateOfBirth": "/Date(572313600000+0000)/",
        "Status": "ACTIVE",
        **extra,
    }


@pytest.fixture
def client():
    return XeroClient(access_token="xero_test_tok_access", tenant_id=TENANT, api_url=API, timeout=3)


@responses.activate
def test_every_call_sends_token_tenant_and_accept(client):
    responses.get(f"{PAYROLL}/PayrollCalendars", json=envelope(PayrollCalendars=[]))
    client.list_payroll_calendars()
    sent = responses.calls[0].request.headers
    assert sent["Authorization"] == "Bearer xero_test_tok_access"
    assert sent["Xero-Tenant-Id"] == TENANT
    assert sent["Accept"] == "application/json"


@responses.activate
def test_iter_employees_reads_every_page_until_a_short_one(client):
    page1 = [employee(n) for n in range(100)]
    page2 = [employee(n) for n in range(100, 130)]
    responses.get(
        f"{PAYROLL}/Employees",
        json=envelope(Employees=page1),
        match=[responses.matchers.query_param_matcher({"page": "1"})],
    )
    responses.get(
        f"{PAYROLL}/Employees",
        json=envelope(Employees=page2),
        match=[responses.matchers.query_param_matcher({"page": "2"})],
    )
    employees = list(client.iter_employees())
    assert len(employees) == 130
    assert client.calls == 2
    assert employees[0].date_of_birth == datetime.date(1988, 2, 20)


@responses.activate
def test_incremental_read_sends_if_modified_since(client):
    responses.get(f"{PAYROLL}/Employees", json=envelope(Employees=[]))
    since = datetime.datetime(2026, 12, 1, 3, 4, 5, tzinfo=datetime.UTC)
    assert list(client.iter_employees(modified_since=since)) == []
    assert responses.calls[0].request.headers["If-Modified-Since"] == "Tue, 01 Dec 2026 03:04:05 GMT"


@responses.activate
def test_employee_with_nulls_and_missing_fields_is_read_not_crashed(client):
    responses.get(
        f"{PAYROLL}/Employees",
        json=envelope(Employees=[{"EmployeeID": "e1", "FirstName": None, "DateOfBirth": None}]),
    )
    (emp,) = client.list_employees()
    assert (emp.first_name, emp.last_name, emp.date_of_birth, emp.status) == ("", "", None, "ACTIVE")


@responses.activate
def test_post_timesheets_sends_a_bare_array_with_idempotency_key(client):
    responses.post(
        f"{PAYROLL}/Timesheets",
        json=envelope(
            Timesheets=[
                {
                    "TimesheetID": "t1",
                    "EmployeeID": "e1",
                    "StartDate": "/Date(1772409600000+0000)/",
                    "EndDate": "/Date(1772928000000+0000)/",
                    "Status": "DRAFT",
                    "Hours": 7.5,
                    "TimesheetLines": [{"EarningsRateID": "r1", "NumberOfUnits": [7.5, 0, 0, 0, 0, 0, 0]}],
                }
            ]
        ),
    )
    draft = TimesheetDraft(
        employee_id="e1",
        start_date=datetime.date(2026, 3, 2),
        end_date=datetime.date(2026, 3, 8),
        status="DRAFT",
        lines=(TimesheetLine("r1", (Decimal("7.5"),) + (Decimal(0),) * 6),),
    )
    (sheet,) = client.post_timesheets([draft], idempotency_key="push-1-batch-abc")
    request = responses.calls[0].request
    body = json.loads(request.body)
    assert isinstance(body, list)
    assert body[0]["StartDate"] == "/Date(1772409600000+0000)/"
    assert body[0]["TimesheetLines"][0]["NumberOfUnits"] == [7.5, 0, 0, 0, 0, 0, 0]
    assert request.headers["Idempotency-Key"] == "push-1-batch-abc"
    assert sheet.timesheet_id == "t1"
    assert sheet.start_date == datetime.date(2026, 3, 2)


@pytest.mark.parametrize(
    "day", [datetime.date(1900, 1, 1), datetime.date(1988, 2, 20), datetime.date(2026, 10, 4)]
)
def test_dates_round_trip_as_utc_midnight(day):
    assert parse_ms_date(format_ms_date(day)) == day
    assert parse_ms_date("/Date(1547769600000)/") == datetime.date(2019, 1, 18)


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (
            401,
            {"Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: token expired"},
            {},
            XeroAuthError,
        ),
        (
            403,
            {"Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"},
            {},
            XeroForbidden,
        ),
        (500, {"Message": "An error occurred"}, {}, XeroUnavailable),
        (503, None, {}, XeroUnavailable),
    ],
)
def test_error_statuses_map_to_typed_errors(client, status, body, headers, error):
    if body is None:
        responses.get(
            f"{PAYROLL}/PayItems", body="The Xero API is currently offline for maintenance", status=status
        )
    else:
        responses.get(f"{PAYROLL}/PayItems", json=body, status=status, headers=headers)
    with pytest.raises(error):
        client.list_earnings_rates()


@responses.activate
def test_429_carries_retry_after_and_which_limit(client):
    responses.get(
        f"{PAYROLL}/PayItems", status=429, headers={"Retry-After": "7", "X-Rate-Limit-Problem": "Day"}
    )
    with pytest.raises(XeroRateLimited) as info:
        client.list_earnings_rates()
    assert info.value.retry_after == 7.0
    assert info.value.problem == "day"


@responses.activate
def test_400_collects_every_validation_message(client):
    responses.post(
        f"{PAYROLL}/Timesheets",
        status=400,
        json={
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Timesheets": [
                {
                    "EmployeeID": "e1",
                    "ValidationErrors": [
                        {"Message": "This timesheet already exists, please provide the timesheet ID"}
                    ],
                }
            ],
        },
    )
    with pytest.raises(XeroValidationError) as info:
        client.post_timesheets([])
    assert info.value.messages == ["This timesheet already exists, please provide the timesheet ID"]
    assert info.value.items[0]["element"]["EmployeeID"] == "e1"


@responses.activate
def test_non_json_success_is_a_bad_response(client):
    responses.get(f"{PAYROLL}/PayrollCalendars", body="<html>proxy</html>", status=200)
    with pytest.raises(XeroBadResponse):
        client.list_payroll_calendars()


@responses.activate
def test_timeout_on_a_post_leaves_the_outcome_unknown(client):
    responses.post(f"{PAYROLL}/Timesheets", body=requests.ReadTimeout("slow"))
    with pytest.raises(XeroUnavailable) as info:
        client.post_timesheets([])
    assert info.value.outcome_unknown
    responses.get(f"{PAYROLL}/PayrollCalendars", body=requests.ConnectionError("reset"))
    with pytest.raises(XeroUnavailable) as info:
        client.list_payroll_calendars()
    assert not info.value.outcome_unknown


@responses.activate
def test_rate_limit_headers_are_remembered(client):
    responses.get(
        f"{PAYROLL}/PayrollCalendars",
        json=envelope(PayrollCalendars=[]),
        headers={
            "X-MinLimit-Remaining": "58",
            "X-DayLimit-Remaining": "4990",
            "X-AppMinLimit-Remaining": "9999",
        },
    )
    client.list_payroll_calendars()
    assert (client.rate_limits.minute_remaining, client.rate_limits.day_remaining) == (58, 4990)


def test_repr_never_shows_the_token(client):
    assert "xero_test_tok" not in repr(client)
