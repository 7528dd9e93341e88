"""Payroll AU v1 Timesheets: bare-array POST, create/update, Xero's validation rules, the list's
paging and where filters, and the single-object GET (xero-api-notes.md §2.6, §2.7, §8)."""

import datetime

import pytest

from xero_sandbox.models import Timesheet

from .payroll_support import MONTH_START, WEEK_START, XeroApi, build_world, ms, week_timesheet

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

EXISTS = "This timesheet already exists, please provide the timesheet ID"
NOT_A_PERIOD = "Provided period doesn't correspond with a pay period"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def api(world):
    return XeroApi(world)


def _errors(response, index=0):
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["Type"] == "ValidationException"
    assert body["ErrorNumber"] == 10
    return [e["Message"] for e in body["Timesheets"][index]["ValidationErrors"]]


def ada(world, **kwargs):
    return week_timesheet(world.employees["ada"], world.rates["ordinary"], **kwargs)


# --- create ---------------------------------------------------------------------------------------


def test_create_returns_the_envelope_with_computed_hours(api, world):
    response = api.post("Timesheets", [ada(world, units=[7.5, 8, 8, 8, 6.25, 0, 0])])
    assert response.status_code == 200
    body = response.json()
    assert body["Status"] == "OK"
    assert set(body) == {"Id", "Status", "ProviderName", "DateTimeUTC", "Timesheets"}
    assert body["DateTimeUTC"].startswith("/Date(")
    assert "+" not in body["DateTimeUTC"]
    (sheet,) = body["Timesheets"]
    assert sheet["EmployeeID"] == str(world.employees["ada"].employee_id)
    assert sheet["StartDate"] == "/Date(1772409600000+0000)/"  # 2026-03-02T00:00Z
    assert sheet["EndDate"] == ms(WEEK_START + 6 * DAY)
    assert sheet["Status"] == "DRAFT"
    assert sheet["Hours"] == 37.75
    assert sheet["TimesheetLines"][0]["NumberOfUnits"] == [7.5, 8, 8, 8, 6.25, 0, 0]
    assert sheet["UpdatedDateUTC"].endswith("+0000)/")
    stored = Timesheet.objects.get(timesheet_id=sheet["TimesheetID"])
    assert (stored.start_date, stored.end_date) == (WEEK_START, WEEK_START + 6 * DAY)


def test_many_timesheets_in_one_post(api, world):
    sheets = [ada(world), ada(world, start=WEEK_START + 7 * DAY), ada(world, start=WEEK_START - 7 * DAY)]
    response = api.post("Timesheets", sheets)
    assert response.status_code == 200
    assert len(response.json()["Timesheets"]) == 3
    assert Timesheet.objects.count() == 3


def test_object_body_is_rejected_with_xeros_deserialisation_message(api, world):
    response = api.post("Timesheets", {"Timesheets": [ada(world)]})
    assert response.status_code == 400
    message = response.json()["Message"]
    assert "Cannot deserialize the current JSON object" in message
    assert "because the type requires a JSON array" in message
    assert not Timesheet.objects.exists()


def test_invalid_json_is_400(api):
    response = api.request("POST", "Timesheets", data=b"[{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["Type"] == "PostDataInvalidException"


@pytest.mark.parametrize("status", ["DRAFT", "APPROVED"])
def test_draft_and_approved_are_accepted_on_create(api, world, status):
    response = api.post("Timesheets", [ada(world, Status=status)])
    assert response.json()["Timesheets"][0]["Status"] == status


@pytest.mark.parametrize("status", ["PROCESSED", "REJECTED", "REQUESTED"])
def test_other_statuses_are_rejected_on_create(api, world, status):
    assert "Timesheet status must be DRAFT or APPROVED" in _errors(
        api.post("Timesheets", [ada(world, Status=status)])
    )


def test_status_defaults_to_draft(api, world):
    sheet = ada(world)
    del sheet["Status"]
    assert api.post("Timesheets", [sheet]).json()["Timesheets"][0]["Status"] == "DRAFT"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-02", "2026-03-08"),
        ("2026-03-02T00:00:00", "2026-03-08T00:00:00"),
        ("/Date(1772409600000)/", "/Date(1772928000000)/"),
    ],
)
def test_dates_are_accepted_as_ms_json_or_iso(api, world, start, end):
    response = api.post("Timesheets", [ada(world, StartDate=start, EndDate=end)])
    assert response.status_code == 200, response.text
    assert response.json()["Timesheets"][0]["StartDate"] == ms(WEEK_START)


def test_local_midnight_in_sydney_lands_on_the_previous_day(api, world):
    """The classic bug: 2026-03-02 00:00 AEDT is 2026-03-01 13:00 UTC."""
    local_midnight = datetime.datetime(2026, 3, 1, 13, tzinfo=datetime.UTC)
    start = f"/Date({int(local_midnight.timestamp()) * 1000}+1100)/"
    end_moment = local_midnight + 6 * DAY
    end = f"/Date({int(end_moment.timestamp()) * 1000}+1100)/"
    assert _errors(api.post("Timesheets", [ada(world, StartDate=start, EndDate=end)])) == [NOT_A_PERIOD]


# --- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize("weeks", [-52, -1, 0, 1, 3])
def test_weekly_periods_in_both_directions(api, world, weeks):
    assert api.post("Timesheets", [ada(world, start=WEEK_START + weeks * 7 * DAY)]).status_code == 200


@pytest.mark.parametrize(("shift", "days"), [(1, 7), (-1, 7), (0, 6), (0, 8), (0, 14)])
def test_weekly_misaligned_periods_are_rejected(api, world, shift, days):
    sheet = ada(world, start=WEEK_START + shift * DAY, days=days)
    assert NOT_A_PERIOD in _errors(api.post("Timesheets", [sheet]))


def test_fortnightly_needs_14_day_periods_and_14_values(api, world):
    fred, rate = world.employees["fred"], world.rates["ordinary"]
    ok = week_timesheet(fred, rate, start=WEEK_START - 14 * DAY, days=14, units=[8] * 10 + [0] * 4)
    response = api.post("Timesheets", [ok])
    assert response.status_code == 200
    assert response.json()["Timesheets"][0]["Hours"] == 80
    one_week = week_timesheet(fred, rate, start=WEEK_START, days=7)
    assert NOT_A_PERIOD in _errors(api.post("Timesheets", [one_week]))
    odd_fortnight = week_timesheet(fred, rate, start=WEEK_START + 7 * DAY, days=14, units=[1] * 14)
    assert NOT_A_PERIOD in _errors(api.post("Timesheets", [odd_fortnight]))


def test_monthly_periods(api, world):
    mona, rate = world.employees["mona"], world.rates["ordinary"]
    march = week_timesheet(mona, rate, start=MONTH_START, days=31, units=[1] * 31)
    assert api.post("Timesheets", [march]).status_code == 200
    february = week_timesheet(mona, rate, start=datetime.date(2026, 2, 1), days=28, units=[1] * 28)
    assert api.post("Timesheets", [february]).status_code == 200
    thirty_days = week_timesheet(mona, rate, start=datetime.date(2026, 4, 1), days=31, units=[1] * 31)
    assert NOT_A_PERIOD in _errors(api.post("Timesheets", [thirty_days]))
    mid_month = week_timesheet(mona, rate, start=datetime.date(2026, 4, 15), days=30, units=[1] * 30)
    assert NOT_A_PERIOD in _errors(api.post("Timesheets", [mid_month]))


@pytest.mark.parametrize("count", [6, 8, 14])
def test_number_of_units_needs_one_value_per_day(api, world, count):
    messages = _errors(api.post("Timesheets", [ada(world, units=[1] * count)]))
    assert messages == ["NumberOfUnits must have 7 values, one for each day of the timesheet period"]


def test_number_of_units_must_be_numbers(api, world):
    messages = _errors(api.post("Timesheets", [ada(world, units=[1, 2, "x", 4, 5, 6, 7])]))
    assert "NumberOfUnits must only contain numbers" in messages


# --- employee and earnings rate -------------------------------------------------------------------


def test_unknown_employee(api, world):
    sheet = ada(world, EmployeeID="00000000-0000-0000-0000-000000000001")
    assert _errors(api.post("Timesheets", [sheet])) == ["The employee could not be found"]


def test_employee_of_another_organisation_is_unknown(api, world):
    sheet = week_timesheet(world.other_employee, world.rates["ordinary"])
    assert "The employee could not be found" in _errors(api.post("Timesheets", [sheet]))


def test_terminated_employee(api, world):
    sheet = week_timesheet(world.employees["terry"], world.rates["ordinary"])
    assert _errors(api.post("Timesheets", [sheet])) == [
        "Timesheets cannot be created for a terminated employee"
    ]


def test_employee_without_a_pay_calendar(api, world):
    sheet = week_timesheet(world.employees["nina"], world.rates["ordinary"])
    (message,) = _errors(api.post("Timesheets", [sheet]))
    assert "pay run calendar" in message


def test_earnings_rate_must_exist_and_be_current(api, world):
    unknown = ada(world)
    unknown["TimesheetLines"][0]["EarningsRateID"] = "00000000-0000-0000-0000-000000000002"
    assert _errors(api.post("Timesheets", [unknown])) == [
        "The earnings rate 00000000-0000-0000-0000-000000000002 could not be found"
    ]
    superseded = week_timesheet(world.employees["ada"], world.rates["old"])
    (message,) = _errors(api.post("Timesheets", [superseded]))
    assert message.endswith("is not current")


def test_several_lines_and_tracking_items(api, world):
    sheet = ada(world)
    sheet["TimesheetLines"].append(
        {
            "EarningsRateID": str(world.rates["overtime"].earnings_rate_id),
            "TrackingItemID": "af5e9ce2-2349-4136-be99-3561b189f473",
            "NumberOfUnits": [0, 0, 2, 0, 1.5, 0, 0],
        }
    )
    response = api.post("Timesheets", [sheet])
    assert response.status_code == 200
    saved = response.json()["Timesheets"][0]
    assert saved["Hours"] == 43.5
    assert saved["TimesheetLines"][1]["TrackingItemID"] == "af5e9ce2-2349-4136-be99-3561b189f473"


# --- duplicates, updates, locked statuses ----------------------------------------------------------


def test_second_timesheet_for_the_same_period_is_the_duplicate_error(api, world):
    assert api.post("Timesheets", [ada(world)]).status_code == 200
    assert _errors(api.post("Timesheets", [ada(world)])) == [EXISTS]
    assert Timesheet.objects.count() == 1


def test_duplicate_inside_one_batch(api, world):
    response = api.post("Timesheets", [ada(world), ada(world)])
    assert _errors(response, 0) == []
    assert _errors(response, 1) == [EXISTS]
    assert not Timesheet.objects.exists()


def test_update_with_timesheet_id_in_post_timesheets(api, world):
    created = api.post("Timesheets", [ada(world)]).json()["Timesheets"][0]
    update = ada(world, TimesheetID=created["TimesheetID"], units=[4, 4, 4, 4, 4, 0, 0])
    response = api.post("Timesheets", [update])
    assert response.status_code == 200
    assert response.json()["Timesheets"][0]["TimesheetID"] == created["TimesheetID"]
    assert response.json()["Timesheets"][0]["Hours"] == 20
    assert Timesheet.objects.count() == 1


def test_update_through_timesheets_id_path_replaces_the_lines(api, world):
    created = api.post("Timesheets", [ada(world)]).json()["Timesheets"][0]
    update = ada(world, Status="APPROVED")
    update["TimesheetLines"] = [
        {"EarningsRateID": str(world.rates["overtime"].earnings_rate_id), "NumberOfUnits": [1] * 7}
    ]
    response = api.post(f"Timesheets/{created['TimesheetID']}", [update])
    assert response.status_code == 200
    saved = response.json()["Timesheets"][0]
    assert saved["Status"] == "APPROVED"
    assert saved["Hours"] == 7
    assert [line["EarningsRateID"] for line in saved["TimesheetLines"]] == [
        str(world.rates["overtime"].earnings_rate_id)
    ]


def test_update_path_with_another_id_in_the_body(api, world):
    first = api.post("Timesheets", [ada(world)]).json()["Timesheets"][0]["TimesheetID"]
    second = api.post("Timesheets", [ada(world, start=WEEK_START + 7 * DAY)]).json()["Timesheets"][0][
        "TimesheetID"
    ]
    body = [ada(world, TimesheetID=second)]
    assert "does not match" in _errors(api.post(f"Timesheets/{first}", body))[0]


def test_update_of_unknown_timesheet(api, world):
    assert api.post("Timesheets/00000000-0000-0000-0000-000000000003", [ada(world)]).status_code == 404
    body = [ada(world, TimesheetID="00000000-0000-0000-0000-000000000003")]
    assert _errors(api.post("Timesheets", body)) == ["The timesheet could not be found"]


@pytest.mark.parametrize("locked", ["APPROVED", "PROCESSED"])
def test_approved_and_processed_timesheets_cannot_change(api, world, locked):
    created = api.post("Timesheets", [ada(world)]).json()["Timesheets"][0]
    Timesheet.objects.filter(timesheet_id=created["TimesheetID"]).update(status=locked)
    for path in ("Timesheets", f"Timesheets/{created['TimesheetID']}"):
        update = ada(world, TimesheetID=created["TimesheetID"], Status="DRAFT", units=[1] * 7)
        assert f"A timesheet with status {locked} cannot be updated" in _errors(api.post(path, [update]))
    assert Timesheet.objects.get().hours == 40


def test_a_batch_with_one_bad_element_saves_nothing(api, world):
    good = ada(world)
    bad = week_timesheet(world.employees["nina"], world.rates["ordinary"])
    response = api.post("Timesheets", [good, bad])
    assert response.status_code == 400
    elements = response.json()["Timesheets"]
    assert elements[0]["ValidationErrors"] == []
    assert elements[0]["EmployeeID"] == good["EmployeeID"]
    assert elements[1]["ValidationErrors"]
    assert not Timesheet.objects.exists()


# --- reading --------------------------------------------------------------------------------------


def _seed_sheets(api, world, weeks=3):
    ids = []
    for n in range(weeks):
        response = api.post("Timesheets", [ada(world, start=WEEK_START + n * 7 * DAY)])
        ids.append(response.json()["Timesheets"][0]["TimesheetID"])
    fred = week_timesheet(world.employees["fred"], world.rates["ordinary"], days=14, units=[1] * 14)
    ids.append(api.post("Timesheets", [fred]).json()["Timesheets"][0]["TimesheetID"])
    return ids


def test_get_one_uses_the_singular_key(api, world):
    created = api.post("Timesheets", [ada(world)]).json()["Timesheets"][0]
    response = api.get(f"Timesheets/{created['TimesheetID']}")
    assert response.status_code == 200
    body = response.json()
    assert "Timesheets" not in body
    assert body["Timesheet"] == created


def test_get_unknown_timesheet_is_404(api):
    assert api.get("Timesheets/5c8b6f3e-0000-4000-8000-000000000000").status_code == 404
    assert api.get("Timesheets/not-a-guid").status_code == 404


def test_list_includes_lines(api, world):
    _seed_sheets(api, world)
    sheets = api.get("Timesheets").json()["Timesheets"]
    assert len(sheets) == 4
    assert all(sheet["TimesheetLines"] for sheet in sheets)


@pytest.mark.parametrize(
    "where",
    [
        'EmployeeID==Guid("{ada}")',
        'EmployeeID=="{ada}"',
        'employeeid == GUID("{ada}")',
    ],
)
def test_where_employee_id(api, world, where):
    _seed_sheets(api, world)
    ada_id = str(world.employees["ada"].employee_id)
    sheets = api.get("Timesheets", params={"where": where.format(ada=ada_id)}).json()["Timesheets"]
    assert len(sheets) == 3
    assert {s["EmployeeID"] for s in sheets} == {ada_id}


def test_where_dates_and_status(api, world):
    ids = _seed_sheets(api, world)
    Timesheet.objects.filter(timesheet_id=ids[1]).update(status="APPROVED")

    def get(where):
        return [s["TimesheetID"] for s in api.get("Timesheets", params={"where": where}).json()["Timesheets"]]

    assert get("StartDate==DateTime(2026,03,09)") == [ids[1]]
    assert get("StartDate>=DateTime(2026,03,09) AND EndDate<=DateTime(2026,03,22)") == ids[1:3]
    assert get('Status=="APPROVED"') == [ids[1]]
    assert get(f'Status=="DRAFT" && EmployeeID==Guid("{world.employees["fred"].employee_id}")') == [ids[3]]
    assert get("StartDate<DateTime(2026,03,02)") == []


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        ('Status="DRAFT"', "'='"),
        ('Nope=="x"', "No property or field 'Nope' exists in type 'Timesheet'"),
        ('StartDate>="2026-03-02"', "Operator '>=' incompatible with operand types 'DateTime' and 'String'"),
        ("StartDate>=DateTime(2026,13,40)", "DateTime"),
        ('Status=="DRAFT" AND', "Expression expected"),
        ('Status=="DRAFT', "Unterminated string literal"),
    ],
)
def test_where_parse_errors_are_query_parse_exceptions(api, where, fragment):
    response = api.get("Timesheets", params={"where": where})
    assert response.status_code == 400
    body = response.json()
    assert body["Type"] == "QueryParseException"
    assert body["ErrorNumber"] == 16
    assert fragment in body["Message"]


def test_order(api, world):
    ids = _seed_sheets(api, world)
    newest_first = api.get("Timesheets", params={"order": "StartDate DESC, Hours"}).json()["Timesheets"]
    assert [s["TimesheetID"] for s in newest_first] == [ids[2], ids[1], ids[3], ids[0]]


def test_paging_100_per_page(api, world):
    employee = world.employees["ada"]
    Timesheet.objects.bulk_create(
        Timesheet(
            organisation=world.org,
            employee=employee,
            start_date=WEEK_START + n * 7 * DAY,
            end_date=WEEK_START + (n * 7 + 6) * DAY,
            lines=[],
        )
        for n in range(230)
    )
    pages = [api.get("Timesheets", params={"page": p}).json()["Timesheets"] for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [100, 100, 30, 0]
    assert api.get("Timesheets").json()["Timesheets"] == pages[0]
    seen = [s["TimesheetID"] for page in pages for s in page]
    assert len(set(seen)) == 230


def test_if_modified_since(api, world):
    ids = _seed_sheets(api, world, weeks=2)
    cutoff = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)
    Timesheet.objects.update(updated_at=cutoff - datetime.timedelta(days=1))
    Timesheet.objects.filter(timesheet_id=ids[1]).update(updated_at=cutoff + datetime.timedelta(seconds=5))
    for header in ("2026-06-01T12:00:00Z", "2026-06-01T22:00:00+10:00", "Mon, 01 Jun 2026 12:00:00 GMT"):
        # The spec types the header as date-time; RFC 1123 (HTTP's own form) is what many clients send.
        rfc1123 = "GMT" in header
        response = api.get("Timesheets", headers={"If-Modified-Since": header}, check_request=not rfc1123)
        sheets = response.json()["Timesheets"]
        assert [s["TimesheetID"] for s in sheets] == [ids[1]], header
