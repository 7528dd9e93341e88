import datetime

import pytest
from django.utils import timezone

from tests.factories import OrganizationFactory, StaffMemberFactory
from timeclamp.tenancy import unscoped
from timesheets.models import TimeEntry
from timesheets.selectors import (
    iso_week,
    iso_week_parse,
    period_days,
    time_entry_get,
    time_entry_list,
    time_entry_open_get,
    timesheet_team_get,
    timesheet_totals_for_period,
    timesheet_week_get,
    week_days,
    week_start,
)
from timesheets.services import time_entry_create

from .conftest import MONDAY, SYDNEY, TODAY, make_entry

Status = TimeEntry.Status
pytestmark = pytest.mark.usefixtures("now")


# --- week helpers ------------------------------------------------------------------------------
def test_week_start_is_monday():
    assert week_start(datetime.date(2026, 3, 8)) == MONDAY  # Sunday
    assert week_start(MONDAY) == MONDAY
    assert week_days(MONDAY)[-1] == datetime.date(2026, 3, 8)
    assert len(period_days(MONDAY, datetime.date(2026, 3, 15))) == 14


@pytest.mark.parametrize(
    ("value", "monday"),
    [
        ("2026-W10", datetime.date(2026, 3, 2)),
        ("2026-w10", datetime.date(2026, 3, 2)),
        ("2026-W01", datetime.date(2025, 12, 29)),
        ("2026-W53", datetime.date(2026, 12, 28)),
        ("2025-W53", None),
        ("2026-W00", None),
        ("1999-W10", None),
        ("2026-10", None),
        ("junk", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_week_parse(value, monday):
    assert iso_week_parse(value) == monday


def test_iso_week_round_trips():
    for day in period_days(datetime.date(2025, 12, 20), datetime.date(2026, 1, 10)):
        assert iso_week_parse(iso_week(day)) == week_start(day)


# --- entries -----------------------------------------------------------------------------------
def test_time_entry_list_filters_by_period_person_and_status(organization, person, colleague):
    first = make_entry(person, MONDAY)
    second = make_entry(person, MONDAY + datetime.timedelta(days=2), status=Status.SUBMITTED)
    make_entry(person, MONDAY + datetime.timedelta(days=7))
    theirs = make_entry(colleague, MONDAY)
    end = MONDAY + datetime.timedelta(days=6)
    assert list(time_entry_list(organization=organization, start=MONDAY, end=end)) in (
        [first, theirs, second],
        [theirs, first, second],
    )
    assert list(time_entry_list(organization=organization, staff_member=person, start=MONDAY, end=end)) == [
        first,
        second,
    ]
    assert list(
        time_entry_list(organization=organization, start=MONDAY, end=end, status=Status.SUBMITTED)
    ) == [second]


def test_time_entry_get_is_scoped_to_the_organisation(organization, person):
    entry = make_entry(person, MONDAY)
    assert time_entry_get(organization=organization, pk=entry.pk) == entry
    with unscoped():
        foreign = make_entry(StaffMemberFactory(organization=OrganizationFactory()), MONDAY)
    with pytest.raises(TimeEntry.DoesNotExist):
        time_entry_get(organization=organization, pk=foreign.pk)


def test_time_entry_open_get(organization, person):
    assert time_entry_open_get(organization=organization, staff_member=person) is None
    running = make_entry(person, TODAY, (8, 0), None)
    assert time_entry_open_get(organization=organization, staff_member=person) == running


# --- a week ------------------------------------------------------------------------------------
def test_timesheet_week_get_groups_entries_by_day(organization, person):
    make_entry(person, MONDAY, (9, 0), (17, 0), break_minutes=30)
    make_entry(person, MONDAY, (18, 0), (20, 0), break_minutes=0, status=Status.SUBMITTED)
    make_entry(person, MONDAY + datetime.timedelta(days=4), (9, 0), (12, 0), break_minutes=0)
    sheet = timesheet_week_get(organization=organization, staff_member=person, start=TODAY)
    assert sheet.start == MONDAY
    assert [d.day for d in sheet.days] == week_days(MONDAY)
    assert [d.minutes for d in sheet.days] == [450 + 120, 0, 0, 0, 180, 0, 0]
    assert sheet.minutes == 750
    assert sheet.counts == {"draft": 2, "submitted": 1, "approved": 0}
    assert sheet.submittable == 2
    assert [d.is_today for d in sheet.days].index(True) == 2
    assert (sheet.week, sheet.previous_week, sheet.next_week) == ("2026-W10", "2026-W09", "2026-W11")


def test_timesheet_week_get_finds_a_shift_still_running_from_last_week(organization, person, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 9, 1, 0, tzinfo=SYDNEY), tick=False)  # Mon 1 am
    running = make_entry(person, datetime.date(2026, 3, 8), (22, 0), None)
    sheet = timesheet_week_get(
        organization=organization, staff_member=person, start=datetime.date(2026, 3, 9)
    )
    assert sheet.open_entry == running
    assert sheet.minutes == 0


def test_timesheet_week_get_query_count_does_not_grow_with_entries(
    organization, person, django_assert_max_num_queries
):
    for n in range(7):
        make_entry(person, MONDAY + datetime.timedelta(days=n), (6, 0), (10, 0))
        make_entry(person, MONDAY + datetime.timedelta(days=n), (12, 0), (16, 0))
    with django_assert_max_num_queries(3):
        sheet = timesheet_week_get(organization=organization, staff_member=person, start=MONDAY)
        assert sum(len(d.entries) for d in sheet.days) == 14
        assert all(e.reopenings.all() is not None for d in sheet.days for e in d.entries)


# --- totals ------------------------------------------------------------------------------------
def test_timesheet_totals_for_period_per_person_per_day_in_one_query(
    organization, person, colleague, django_assert_num_queries
):
    make_entry(person, MONDAY, (9, 0), (17, 0), break_minutes=30)  # 450
    make_entry(person, MONDAY, (18, 0), (19, 0), break_minutes=0, status=Status.APPROVED)  # 60
    make_entry(person, MONDAY + datetime.timedelta(days=1), (9, 0), (13, 0), break_minutes=0)  # 240
    make_entry(
        colleague,
        MONDAY + datetime.timedelta(days=1),
        (9, 0),
        (11, 0),
        break_minutes=0,
        status=Status.SUBMITTED,
    )
    make_entry(colleague, MONDAY + datetime.timedelta(days=7), (9, 0), (11, 0))  # outside the period
    with django_assert_num_queries(1):
        totals = timesheet_totals_for_period(
            organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=6)
        )
    assert totals.by_person_day == {
        (person.pk, MONDAY): 510,
        (person.pk, MONDAY + datetime.timedelta(days=1)): 240,
        (colleague.pk, MONDAY + datetime.timedelta(days=1)): 120,
    }
    assert totals.by_person == {person.pk: 750, colleague.pk: 120}
    assert totals.by_day == {MONDAY: 510, MONDAY + datetime.timedelta(days=1): 360}
    assert totals.minutes == 870
    assert totals.counts == {"draft": 2, "submitted": 1, "approved": 1}
    assert totals.counts_by_person[colleague.pk] == {"draft": 0, "submitted": 1, "approved": 0}
    assert totals.approved_by_person == {person.pk: 60}
    assert totals.approved_minutes == 60


def test_timesheet_totals_for_period_on_daylight_saving_days(
    organization, manager_member, person, time_machine
):
    """Midnight to 6 am entered through the service on both changeover Sundays: 7 h when clocks go
    back (5 Apr 2026), 5 h when they go forward (4 Oct 2026)."""
    for day in (datetime.date(2026, 4, 5), datetime.date(2026, 10, 4)):
        time_machine.move_to(datetime.datetime.combine(day, datetime.time(12), tzinfo=SYDNEY), tick=False)
        time_entry_create(
            organization=organization,
            actor=manager_member.user,
            staff_member=person,
            work_date=day,
            start_time=datetime.time(0),
            end_time=datetime.time(6),
            break_minutes=0,
        )
    april = timesheet_totals_for_period(
        organization=organization, start=datetime.date(2026, 4, 4), end=datetime.date(2026, 4, 6)
    )
    assert april.by_person_day == {(person.pk, datetime.date(2026, 4, 5)): 7 * 60}
    october = timesheet_totals_for_period(
        organization=organization, start=datetime.date(2026, 10, 3), end=datetime.date(2026, 10, 5)
    )
    assert october.by_person_day == {(person.pk, datetime.date(2026, 10, 4)): 5 * 60}
    year = timesheet_totals_for_period(
        organization=organization, start=datetime.date(2026, 4, 1), end=datetime.date(2026, 10, 31)
    )
    assert year.minutes == 12 * 60


def test_timesheet_totals_for_period_ignores_other_organisations(organization, person):
    make_entry(person, MONDAY)
    with unscoped():
        make_entry(StaffMemberFactory(organization=OrganizationFactory()), MONDAY)
    totals = timesheet_totals_for_period(organization=organization, start=MONDAY, end=MONDAY)
    assert totals.by_person == {person.pk: 450}


# --- team --------------------------------------------------------------------------------------
def test_timesheet_team_get_one_row_per_active_person_plus_archived_with_hours(
    organization, person, colleague
):
    archived_with_hours = StaffMemberFactory(
        organization=organization, last_name="Zed", archived_at=timezone.now(), is_active=False
    )
    StaffMemberFactory(
        organization=organization, archived_at=timezone.now(), is_active=False
    )  # no hours: hidden
    make_entry(archived_with_hours, MONDAY)
    make_entry(colleague, MONDAY + datetime.timedelta(days=1), status=Status.SUBMITTED)
    sheet = timesheet_team_get(
        organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=6)
    )
    people = {row.staff_member for row in sheet.rows}
    assert people == {person, colleague, archived_with_hours}
    row = next(r for r in sheet.rows if r.staff_member == colleague)
    assert row.cells[1] == (MONDAY + datetime.timedelta(days=1), 450)
    assert row.minutes == 450
    assert row.counts["submitted"] == 1
    assert sheet.daily_columns
    assert sheet.day_totals[0] == (MONDAY, 450)


def test_timesheet_team_get_long_periods_switch_to_per_person_totals(organization, person):
    sheet = timesheet_team_get(
        organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=27)
    )
    assert not sheet.daily_columns


@pytest.mark.parametrize("staff_count", [5, 60])
def test_timesheet_team_get_query_count_does_not_grow_with_staff(
    organization, staff_count, django_assert_max_num_queries
):
    for n in range(staff_count):
        member = StaffMemberFactory(organization=organization)
        make_entry(member, MONDAY + datetime.timedelta(days=n % 7), status=Status.SUBMITTED)
    with django_assert_max_num_queries(2):
        sheet = timesheet_team_get(
            organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=6)
        )
        assert len(sheet.rows) == staff_count
        assert sheet.totals.counts["submitted"] == staff_count
