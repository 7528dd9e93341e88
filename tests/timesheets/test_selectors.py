import datetime

import pytest
from django.utils import timezone

from tests.factories import OrganizationFactory, StaffMemberFactory
from timeclamp.tenancy import unscoped
from timesheets.models import TimeEntry
from timesheets.selectors import (
    TEAM_PER_PAGE,
    iso_week,
    iso_week_parse,
    period_changed_since_push,
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
from timesheets.services import time_entries_mark_pushed, time_entry_create, time_entry_reopen

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
    """People count, one page of people, the team aggregate, the page's aggregate."""
    for n in range(staff_count):
        member = StaffMemberFactory(organization=organization)
        make_entry(member, MONDAY + datetime.timedelta(days=n % 7), status=Status.SUBMITTED)
    with django_assert_max_num_queries(4):
        sheet = timesheet_team_get(
            organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=6)
        )
        assert len(sheet.rows) == min(staff_count, TEAM_PER_PAGE)
        assert sheet.totals.counts["submitted"] == staff_count  # the whole team, not the page
        assert sheet.people_count == staff_count


# --- team pages --------------------------------------------------------------------------------
def _people(organization, last_names: list[str]):
    return [StaffMemberFactory(organization=organization, first_name="Pat", last_name=n) for n in last_names]


def test_timesheet_team_get_pages_people_by_name_and_totals_cover_everyone(organization):
    ann, bob, cat = _people(organization, ["adams", "Baker", "cole"])  # case-insensitive order
    make_entry(ann, MONDAY, status=Status.SUBMITTED)  # 450
    make_entry(bob, MONDAY, (9, 0), (12, 0), break_minutes=0)  # 180
    make_entry(cat, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)  # 450
    end = MONDAY + datetime.timedelta(days=6)
    first = timesheet_team_get(organization=organization, start=MONDAY, end=end, page=1, per_page=2)
    second = timesheet_team_get(organization=organization, start=MONDAY, end=end, page="2", per_page=2)
    assert [r.staff_member for r in first.rows] == [ann, bob]
    assert [r.staff_member for r in second.rows] == [cat]
    assert first.people_count == second.people_count == 3
    assert (first.page.number, first.page.paginator.num_pages) == (1, 2)
    for sheet in (first, second):  # the totals row and counts are the whole team's on every page
        assert sheet.day_totals[:2] == [(MONDAY, 630), (MONDAY + datetime.timedelta(days=1), 450)]
        assert sheet.totals.minutes == 1080
        assert sheet.totals.approved_minutes == 450
        assert sheet.totals.counts == {"draft": 1, "submitted": 1, "approved": 1}
    assert second.rows[0].cells[1] == (MONDAY + datetime.timedelta(days=1), 450)
    assert second.rows[0].approved_minutes == 450


@pytest.mark.parametrize(("page", "number"), [("99", 2), ("junk", 1), (None, 1), ("0", 2)])
def test_timesheet_team_get_out_of_range_pages_fall_back(organization, page, number):
    _people(organization, ["A", "B", "C"])
    sheet = timesheet_team_get(organization=organization, start=MONDAY, end=MONDAY, page=page, per_page=2)
    assert sheet.page.number == number


def test_timesheet_team_get_pages_include_archived_people_with_time(organization, person):
    archived = StaffMemberFactory(
        organization=organization, last_name="Aardvark", archived_at=timezone.now(), is_active=False
    )
    make_entry(archived, MONDAY)
    sheet = timesheet_team_get(organization=organization, start=MONDAY, end=MONDAY, per_page=1)
    assert [r.staff_member for r in sheet.rows] == [archived]
    assert sheet.people_count == 2
    later = timesheet_team_get(
        organization=organization,
        start=MONDAY + datetime.timedelta(days=7),
        end=MONDAY + datetime.timedelta(days=7),
        per_page=1,
    )
    assert [r.staff_member for r in later.rows] == [person]  # no time that week: hidden


def test_timesheet_team_get_long_period_rows_have_totals_but_no_day_cells(organization, person):
    make_entry(person, MONDAY, status=Status.APPROVED)
    make_entry(person, MONDAY + datetime.timedelta(days=20))
    sheet = timesheet_team_get(
        organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=27)
    )
    (row,) = sheet.rows
    assert row.cells == []
    assert (row.minutes, row.approved_minutes, row.entry_count) == (900, 450, 2)
    assert sheet.day_totals[0] == (MONDAY, 450)


def test_timesheet_team_totals_count_people_clocked_in(organization, person, colleague):
    make_entry(person, TODAY, (8, 0), None)
    make_entry(colleague, TODAY, (6, 0), (9, 0))
    sheet = timesheet_team_get(
        organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=6)
    )
    assert sheet.totals.clocked_in == 1
    assert {r.staff_member: r.clocked_in for r in sheet.rows} == {person: True, colleague: False}


def test_timesheet_totals_for_period_of_some_people_without_days(organization, person, colleague):
    make_entry(person, MONDAY)
    make_entry(colleague, MONDAY, status=Status.APPROVED)
    totals = timesheet_totals_for_period(
        organization=organization, start=MONDAY, end=MONDAY, staff_member_ids=[colleague.pk], per_day=False
    )
    assert totals.by_person == {colleague.pk: 450}
    assert totals.approved_by_person == {colleague.pk: 450}
    assert totals.by_person_day == {}


def test_timesheet_totals_for_period_of_some_people_stays_in_the_organisation(organization, person):
    with unscoped():
        foreign = StaffMemberFactory(organization=OrganizationFactory())
        make_entry(foreign, MONDAY)
    totals = timesheet_totals_for_period(
        organization=organization, start=MONDAY, end=MONDAY, staff_member_ids=[person.pk, foreign.pk]
    )
    assert totals.by_person == {}


def test_team_rows_say_what_was_sent_to_xero(organization, person, colleague):
    sent = timezone.now() - datetime.timedelta(days=1)
    make_entry(person, MONDAY, status=Status.APPROVED, pushed_at=sent - datetime.timedelta(hours=2))
    make_entry(person, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED, pushed_at=sent)
    make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=sent)
    make_entry(colleague, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)
    sheet = timesheet_team_get(
        organization=organization, start=MONDAY, end=MONDAY + datetime.timedelta(days=6)
    )
    rows = {r.staff_member: r for r in sheet.rows}
    assert (rows[person].pushed, rows[person].pushed_at, rows[person].all_pushed) == (2, sent, True)
    assert (rows[colleague].pushed, rows[colleague].all_pushed) == (1, False)


# --- changed since sent to Xero ----------------------------------------------------------------
WEEK_END = MONDAY + datetime.timedelta(days=6)


def _changed(organization, *people) -> set[int]:
    return period_changed_since_push(
        organization=organization, staff_member_ids=[p.pk for p in people], start=MONDAY, end=WEEK_END
    )


def test_period_changed_since_push_nothing_changed(organization, person, colleague):
    sent = timezone.now()
    make_entry(person, MONDAY, status=Status.APPROVED, pushed_at=sent)
    make_entry(person, MONDAY + datetime.timedelta(days=1), status=Status.SUBMITTED)  # not approved yet
    make_entry(colleague, MONDAY, status=Status.APPROVED)  # never pushed: a first push, not a change
    assert _changed(organization, person, colleague) == set()


def test_period_changed_since_push_new_approved_hours_after_a_push(organization, person, colleague):
    sent = timezone.now()
    make_entry(person, MONDAY, status=Status.APPROVED, pushed_at=sent)
    make_entry(person, MONDAY + datetime.timedelta(days=2), status=Status.APPROVED)
    make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=sent)
    assert _changed(organization, person, colleague) == {person.pk}
    assert _changed(organization, colleague) == set()  # only the people asked about


def test_period_changed_since_push_reopened_corrected_and_approved_again(
    organization, manager_member, colleague
):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=timezone.now())
    time_entry_reopen(organization=organization, actor=manager_member.user, entry=entry, reason="typo")
    assert _changed(organization, colleague) == set()  # a draft again: nothing approved to push yet
    TimeEntry.objects.filter(pk=entry.pk).update(status=Status.APPROVED)
    assert _changed(organization, colleague) == {colleague.pk}
    time_entries_mark_pushed(
        organization=organization,
        staff_member_ids=[colleague.pk],
        start=MONDAY,
        end=WEEK_END,
        at=timezone.now(),
    )
    assert _changed(organization, colleague) == set()  # pushed again


def test_period_changed_since_push_looks_only_at_the_period_and_organisation(organization, person):
    sent = timezone.now()
    make_entry(person, MONDAY, status=Status.APPROVED, pushed_at=sent)
    make_entry(person, MONDAY + datetime.timedelta(days=7), status=Status.APPROVED)  # next week
    assert _changed(organization, person) == set()
    with unscoped():
        foreign = StaffMemberFactory(organization=OrganizationFactory())
        make_entry(foreign, MONDAY, status=Status.APPROVED, pushed_at=sent)
        make_entry(foreign, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)
    assert _changed(organization, foreign) == set()


def test_period_changed_since_push_is_one_query(organization, person, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert _changed(organization) == set()
    with django_assert_num_queries(1):
        _changed(organization, person)
