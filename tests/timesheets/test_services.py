import datetime

import pytest
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from staff.models import AuditEvent, StaffMember
from tests.factories import OrganizationFactory, StaffMemberFactory
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy import organization_scope, unscoped
from timesheets.models import TimeEntry, TimeEntryReopening
from timesheets.services import (
    TimeEntryInvalid,
    TimesheetLocked,
    TimesheetPermissionDenied,
    time_entries_approve,
    time_entries_mark_pushed,
    time_entries_submit,
    time_entry_clock_in,
    time_entry_clock_out,
    time_entry_create,
    time_entry_delete,
    time_entry_reopen,
    time_entry_update,
)

from .conftest import MONDAY, SYDNEY, TODAY, at, make_entry

Status = TimeEntry.Status
UTC = datetime.UTC
pytestmark = pytest.mark.usefixtures("now")


def t(hour: int, minute: int = 0) -> datetime.time:
    return datetime.time(hour, minute)


def create(organization, actor, staff_member, **overrides) -> TimeEntry:
    values = {
        "work_date": TODAY - datetime.timedelta(days=1),
        "start_time": t(9),
        "end_time": t(17, 30),
        "break_minutes": 30,
        "notes": "",
        "ends_next_day": False,
    } | overrides
    return time_entry_create(organization=organization, actor=actor, staff_member=staff_member, **values)


def field_errors(exc_info) -> dict:
    return exc_info.value.extra["fields"]


# --- create ------------------------------------------------------------------------------------
def test_time_entry_create_stores_aware_utc_times_and_worked_minutes(organization, staff_login, person):
    entry = create(organization, staff_login.user, person, notes="  opened up  ")
    entry.refresh_from_db()
    assert entry.work_date == datetime.date(2026, 3, 3)
    assert entry.start_at == datetime.datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # 9 am AEDT = UTC+11
    assert entry.end_at == datetime.datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
    assert entry.break_minutes == 30
    assert entry.minutes == 8 * 60
    assert entry.status == Status.DRAFT
    assert entry.notes == "opened up"
    assert entry.created_by == staff_login.user


def test_time_entry_create_writes_an_audit_row(organization, staff_login, person):
    entry = create(organization, staff_login.user, person)
    event = AuditEvent.objects.get(action="time_entry.created")
    assert event.actor == staff_login.user
    assert event.target_id == str(entry.pk)
    assert "9:00 am-5:30 pm (8 h)" in event.summary
    assert event.data["minutes"] == 480


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"end_time": t(9)}, "end_time", "must be after the start time"),
        ({"end_time": t(8)}, "end_time", "Finishes next day"),
        ({"end_time": t(9, 30), "ends_next_day": True}, "end_time", "at most 24 hours"),
        ({"end_time": None}, "end_time", "Enter the finish time"),
        ({"start_time": None}, "start_time", "Enter the start time"),
        ({"break_minutes": -5}, "break_minutes", "can't be negative"),
        ({"end_time": t(12), "break_minutes": 180}, "break_minutes", "shorter than the shift (3 h)"),
        ({"end_time": t(22), "break_minutes": 481}, "break_minutes", "at most 8 h"),
        ({"work_date": TODAY + datetime.timedelta(days=2)}, "work_date", "too far ahead"),
        ({"work_date": datetime.date(2023, 12, 31)}, "work_date", "started on Mon 1 Jan 2024"),
        ({"work_date": None}, "work_date", "Enter the date"),
    ],
    ids=[
        "end-equals-start",
        "end-before-start",
        "over-24-hours",
        "no-end",
        "no-start",
        "negative-break",
        "break-longer-than-shift",
        "break-over-8-hours",
        "too-far-ahead",
        "before-start-date",
        "no-date",
    ],
)
def test_time_entry_create_rejects_bad_input_and_saves_nothing(
    organization, staff_login, person, overrides, field, fragment
):
    with pytest.raises(TimeEntryInvalid) as exc_info:
        create(organization, staff_login.user, person, **overrides)
    assert fragment in " ".join(field_errors(exc_info)[field])
    assert TimeEntry.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="time_entry").exists()


def test_time_entry_create_rejects_a_time_skipped_by_daylight_saving(
    organization, staff_login, person, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 10, 5, 9, tzinfo=SYDNEY), tick=False)
    with pytest.raises(TimeEntryInvalid) as exc_info:
        create(
            organization, staff_login.user, person, work_date=datetime.date(2026, 10, 4), start_time=t(2, 30)
        )
    assert field_errors(exc_info)["start_time"] == [
        "Start time 2:30 am didn't happen on Sun 4 Oct: clocks went forward an hour for daylight saving. "
        "Did you mean 3:30 am?"
    ]
    assert TimeEntry.objects.count() == 0


def test_time_entry_create_allows_tomorrow(organization, staff_login, person):
    entry = create(organization, staff_login.user, person, work_date=TODAY + datetime.timedelta(days=1))
    assert entry.work_date == datetime.date(2026, 3, 5)


def test_time_entry_create_rejects_dates_more_than_a_year_back(organization, staff_login, person):
    person.start_date = None
    person.save()
    with pytest.raises(TimeEntryInvalid) as exc_info:
        create(organization, staff_login.user, person, work_date=datetime.date(2024, 6, 1))
    assert "more than a year old" in field_errors(exc_info)["work_date"][0]


@pytest.mark.parametrize(
    ("start", "end", "next_day"),
    [
        ((16, 0), (18, 0), False),
        ((8, 0), (9, 30), False),
        ((10, 0), (12, 0), False),
        ((20, 0), (10, 0), True),
    ],
    ids=["overlaps-end", "overlaps-start", "inside", "overnight-covers"],
)
def test_time_entry_create_rejects_overlapping_entries(
    organization, staff_login, person, start, end, next_day
):
    day = TODAY - datetime.timedelta(days=1)
    make_entry(person, day - datetime.timedelta(days=1 if next_day else 0), (9, 0), (17, 0))
    if next_day:
        make_entry(person, day, (9, 0), (17, 0))
    before = TimeEntry.objects.count()
    with pytest.raises(TimeEntryInvalid) as exc_info:
        create(
            organization,
            staff_login.user,
            person,
            work_date=day - datetime.timedelta(days=1) if next_day else day,
            start_time=t(*start),
            end_time=t(*end),
            ends_next_day=next_day,
            break_minutes=0,
        )
    assert "overlaps another entry" in field_errors(exc_info)["start_time"][0]
    assert TimeEntry.objects.count() == before


def test_time_entry_create_allows_back_to_back_entries_and_other_peoples_times(
    organization, staff_login, person, colleague
):
    day = TODAY - datetime.timedelta(days=1)
    make_entry(person, day, (9, 0), (13, 0))
    make_entry(colleague, day, (13, 0), (17, 0))
    entry = create(organization, staff_login.user, person, start_time=t(13), end_time=t(17), break_minutes=0)
    assert entry.minutes == 240


def test_time_entry_create_rejects_overlap_with_a_running_shift(organization, staff_login, person):
    make_entry(person, TODAY, (8, 0), None)
    with pytest.raises(TimeEntryInvalid) as exc_info:
        create(
            organization,
            staff_login.user,
            person,
            work_date=TODAY,
            start_time=t(9),
            end_time=t(9, 45),
            break_minutes=0,
        )
    assert "still running" in field_errors(exc_info)["start_time"][0]


def test_time_entry_create_overnight_shift_with_next_day_finish(organization, staff_login, person):
    entry = create(
        organization,
        staff_login.user,
        person,
        start_time=t(22),
        end_time=t(6),
        ends_next_day=True,
        break_minutes=30,
    )
    assert entry.minutes == 7 * 60 + 30
    assert entry.work_date == datetime.date(2026, 3, 3)
    assert entry.end_at.astimezone(SYDNEY).date() == datetime.date(2026, 3, 4)


def test_time_entry_create_counts_real_hours_when_clocks_go_back(
    organization, staff_login, person, time_machine
):
    """Sun 5 Apr 2026: 3:00 am AEDT becomes 2:00 am AEST. Midnight to 6 am is seven hours of work."""
    time_machine.move_to(datetime.datetime(2026, 4, 6, 9, tzinfo=SYDNEY), tick=False)
    entry = create(
        organization,
        staff_login.user,
        person,
        work_date=datetime.date(2026, 4, 5),
        start_time=t(0),
        end_time=t(6),
        break_minutes=0,
    )
    assert entry.minutes == 7 * 60
    assert entry.start_at == datetime.datetime(2026, 4, 4, 13, 0, tzinfo=UTC)  # still AEDT, UTC+11
    assert entry.end_at == datetime.datetime(2026, 4, 4, 20, 0, tzinfo=UTC)  # AEST, UTC+10


def test_time_entry_create_counts_real_hours_when_clocks_go_forward(
    organization, staff_login, person, time_machine
):
    """Sun 4 Oct 2026: 2:00 am AEST becomes 3:00 am AEDT. Midnight to 6 am is five hours of work."""
    time_machine.move_to(datetime.datetime(2026, 10, 5, 9, tzinfo=SYDNEY), tick=False)
    entry = create(
        organization,
        staff_login.user,
        person,
        work_date=datetime.date(2026, 10, 4),
        start_time=t(0),
        end_time=t(6),
        break_minutes=0,
    )
    assert entry.minutes == 5 * 60


def test_time_entry_create_reads_the_repeated_hour_sensibly(organization, staff_login, person, time_machine):
    """In the hour that happens twice, a start is the first 2:xx am; a finish that would otherwise be
    before the start is the second one."""
    time_machine.move_to(datetime.datetime(2026, 4, 6, 9, tzinfo=SYDNEY), tick=False)
    day = datetime.date(2026, 4, 5)
    first = create(
        organization,
        staff_login.user,
        person,
        work_date=day,
        start_time=t(1),
        end_time=t(2, 30),
        break_minutes=0,
    )
    assert first.minutes == 90  # 1:00 AEDT to 2:30 AEDT
    second = create(
        organization,
        staff_login.user,
        person,
        work_date=day,
        start_time=t(2, 45),
        end_time=t(2, 15),
        break_minutes=0,
    )
    assert second.minutes == 30  # 2:45 AEDT to the second 2:15 (AEST)


def test_time_entry_create_staff_cannot_record_for_someone_else(organization, staff_login, colleague):
    with pytest.raises(StaffMember.DoesNotExist):
        create(organization, staff_login.user, colleague)
    assert TimeEntry.objects.count() == 0


def test_time_entry_create_managers_record_for_anyone(organization, manager_member, colleague):
    entry = create(organization, manager_member.user, colleague)
    assert entry.staff_member == colleague
    assert entry.created_by == manager_member.user


def test_time_entry_create_refuses_another_organisations_staff_member(organization, manager_member):
    foreign = StaffMemberFactory(organization=OrganizationFactory())
    with pytest.raises(StaffMember.DoesNotExist):
        create(organization, manager_member.user, foreign)


def test_time_entry_create_refuses_archived_staff(organization, manager_member, colleague):
    colleague.archived_at = colleague.created_at
    colleague.save()
    with pytest.raises(TimeEntryInvalid, match="archived"):
        create(organization, manager_member.user, colleague)


# --- update / delete ---------------------------------------------------------------------------
def test_time_entry_update_changes_times_and_records_before_and_after(organization, staff_login, person):
    entry = make_entry(person, TODAY - datetime.timedelta(days=1))
    updated = time_entry_update(
        organization=organization,
        actor=staff_login.user,
        entry=entry,
        work_date=entry.work_date,
        start_time=t(8),
        end_time=t(16),
        break_minutes=60,
        notes="early start",
    )
    updated.refresh_from_db()
    assert updated.minutes == 7 * 60
    assert updated.notes == "early start"
    event = AuditEvent.objects.get(action="time_entry.updated")
    assert set(event.data["changed"]) >= {"start_at", "end_at", "break_minutes", "minutes", "notes"}
    assert event.data["before"]["minutes"] == 450


def test_time_entry_update_does_not_overlap_with_itself(organization, staff_login, person):
    entry = make_entry(person, TODAY - datetime.timedelta(days=1), (9, 0), (17, 0))
    updated = time_entry_update(
        organization=organization,
        actor=staff_login.user,
        entry=entry,
        work_date=entry.work_date,
        start_time=t(9, 30),
        end_time=t(17),
        break_minutes=0,
    )
    assert updated.minutes == 450


def test_time_entry_update_rejects_bad_input_and_keeps_the_row(organization, staff_login, person):
    entry = make_entry(person, TODAY - datetime.timedelta(days=1))
    with pytest.raises(TimeEntryInvalid):
        time_entry_update(
            organization=organization,
            actor=staff_login.user,
            entry=entry,
            work_date=entry.work_date,
            start_time=t(17),
            end_time=t(9),
        )
    entry.refresh_from_db()
    assert entry.minutes == 450


@pytest.mark.parametrize("action", ["update", "delete"])
def test_approved_entries_are_read_only(organization, manager_member, colleague, action):
    entry = make_entry(colleague, TODAY - datetime.timedelta(days=1), status=Status.APPROVED)
    if action == "update":

        def attempt():
            time_entry_update(
                organization=organization,
                actor=manager_member.user,
                entry=entry,
                work_date=entry.work_date,
                start_time=t(10),
                end_time=t(12),
            )
    else:

        def attempt():
            time_entry_delete(organization=organization, actor=manager_member.user, entry=entry)

    with pytest.raises(TimesheetLocked, match="approved"):
        attempt()
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    assert entry.minutes == 450
    assert issubclass(TimesheetLocked, ApplicationError)


def test_time_entry_update_by_staff_sends_a_submitted_entry_back_to_draft(organization, staff_login, person):
    entry = make_entry(person, TODAY - datetime.timedelta(days=1), status=Status.SUBMITTED)
    time_entry_update(
        organization=organization,
        actor=staff_login.user,
        entry=entry,
        work_date=entry.work_date,
        start_time=t(9),
        end_time=t(18),
        break_minutes=30,
    )
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert entry.submitted_at is None


def test_time_entry_update_by_a_manager_keeps_it_submitted(organization, manager_member, colleague):
    entry = make_entry(colleague, TODAY - datetime.timedelta(days=1), status=Status.SUBMITTED)
    time_entry_update(
        organization=organization,
        actor=manager_member.user,
        entry=entry,
        work_date=entry.work_date,
        start_time=t(9),
        end_time=t(18),
        break_minutes=30,
    )
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert entry.minutes == 510


def test_time_entry_update_staff_cannot_touch_someone_elses_entry(organization, staff_login, colleague):
    entry = make_entry(colleague, TODAY - datetime.timedelta(days=1))
    with pytest.raises(TimeEntry.DoesNotExist):
        time_entry_update(
            organization=organization,
            actor=staff_login.user,
            entry=entry,
            work_date=entry.work_date,
            start_time=t(10),
            end_time=t(11),
        )
    with pytest.raises(TimeEntry.DoesNotExist):
        time_entry_delete(organization=organization, actor=staff_login.user, entry=entry)
    entry.refresh_from_db()
    assert entry.minutes == 450


def test_time_entry_update_can_close_a_running_shift_or_leave_it_open(organization, staff_login, person):
    entry = make_entry(person, TODAY, (8, 0), None)
    time_entry_update(
        organization=organization,
        actor=staff_login.user,
        entry=entry,
        work_date=TODAY,
        start_time=t(7, 45),
        end_time=None,
        break_minutes=0,
    )
    entry.refresh_from_db()
    assert entry.is_open
    assert entry.start_at == at(TODAY, 7, 45)
    time_entry_update(
        organization=organization,
        actor=staff_login.user,
        entry=entry,
        work_date=TODAY,
        start_time=t(7, 45),
        end_time=t(9, 45),
        break_minutes=0,
    )
    entry.refresh_from_db()
    assert not entry.is_open
    assert entry.minutes == 120


def test_time_entry_delete_removes_it_and_keeps_a_snapshot_in_the_audit_log(
    organization, staff_login, person
):
    entry = make_entry(person, TODAY - datetime.timedelta(days=1))
    pk = entry.pk
    time_entry_delete(organization=organization, actor=staff_login.user, entry=entry)
    assert not TimeEntry.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="time_entry.deleted")
    assert event.target_id == str(pk)
    assert event.data["minutes"] == 450


# --- clock in / out ----------------------------------------------------------------------------
def test_clock_in_opens_an_entry_for_today(organization, staff_login, person, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 4, 9, 2, 41, tzinfo=SYDNEY), tick=False)
    entry = time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    assert entry.is_open
    assert entry.work_date == TODAY
    assert entry.start_at == at(TODAY, 9, 2)
    assert entry.status == Status.DRAFT
    assert AuditEvent.objects.filter(action="time_entry.clocked_in", target_id=str(entry.pk)).exists()


def test_clock_in_twice_is_refused(organization, staff_login, person):
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    with pytest.raises(ApplicationError, match="already clocked in since 10:00 am"):
        time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    assert TimeEntry.objects.count() == 1


def test_the_database_allows_one_open_entry_per_person(organization, person):
    make_entry(person, TODAY, (8, 0), None)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(person, TODAY, (9, 0), None)


def test_clock_out_computes_minutes_with_the_break(organization, staff_login, person, time_machine):
    time_machine.move_to(at(TODAY, 9, 2), tick=False)
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    time_machine.move_to(datetime.datetime(2026, 3, 4, 17, 47, 30, tzinfo=SYDNEY), tick=False)
    entry = time_entry_clock_out(
        organization=organization, actor=staff_login.user, staff_member=person, break_minutes=45
    )
    entry.refresh_from_db()
    assert entry.end_at == at(TODAY, 17, 47)
    assert entry.minutes == 8 * 60
    assert entry.break_minutes == 45
    assert AuditEvent.objects.filter(action="time_entry.clocked_out").exists()


def test_clock_out_across_midnight_keeps_the_start_date(organization, staff_login, person, time_machine):
    time_machine.move_to(at(TODAY, 22, 0), tick=False)
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    time_machine.move_to(at(TODAY + datetime.timedelta(days=1), 6, 0), tick=False)
    entry = time_entry_clock_out(organization=organization, actor=staff_login.user, staff_member=person)
    assert entry.work_date == TODAY
    assert entry.minutes == 8 * 60


def test_clock_out_within_the_same_minute_records_nothing(organization, staff_login, person, time_machine):
    time_machine.move_to(at(TODAY, 9, 0), tick=False)
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    time_machine.move_to(datetime.datetime(2026, 3, 4, 9, 0, 40, tzinfo=SYDNEY), tick=False)
    assert (
        time_entry_clock_out(organization=organization, actor=staff_login.user, staff_member=person) is None
    )
    assert TimeEntry.objects.count() == 0
    assert AuditEvent.objects.filter(action="time_entry.clock_cancelled").exists()


def test_clock_out_after_more_than_a_day_asks_for_an_edit(organization, staff_login, person, time_machine):
    time_machine.move_to(at(TODAY, 9, 0), tick=False)
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    time_machine.move_to(at(TODAY + datetime.timedelta(days=1), 9, 1), tick=False)
    with pytest.raises(ApplicationError, match="more than 24 hours"):
        time_entry_clock_out(organization=organization, actor=staff_login.user, staff_member=person)
    assert TimeEntry.objects.get().is_open


def test_clock_out_rejects_a_break_as_long_as_the_shift(organization, staff_login, person, time_machine):
    time_machine.move_to(at(TODAY, 9, 0), tick=False)
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    time_machine.move_to(at(TODAY, 10, 0), tick=False)
    with pytest.raises(TimeEntryInvalid) as exc_info:
        time_entry_clock_out(
            organization=organization, actor=staff_login.user, staff_member=person, break_minutes=60
        )
    assert "shorter than the shift" in field_errors(exc_info)["break_minutes"][0]
    assert TimeEntry.objects.get().is_open


def test_clock_out_when_not_clocked_in(organization, staff_login, person):
    with pytest.raises(ApplicationError, match="not clocked in"):
        time_entry_clock_out(organization=organization, actor=staff_login.user, staff_member=person)


def test_clock_in_refused_while_an_entry_covers_now(organization, staff_login, person):
    make_entry(person, TODAY, (8, 0), (12, 0))
    with pytest.raises(ApplicationError, match="already covers this time"):
        time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    assert TimeEntry.objects.count() == 1


def test_clock_in_is_not_blocked_by_tomorrows_shift(organization, staff_login, person):
    make_entry(person, TODAY + datetime.timedelta(days=1), (9, 0), (17, 0))
    entry = time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    assert entry.is_open


def test_clock_in_staff_cannot_clock_in_someone_else(organization, staff_login, colleague):
    with pytest.raises(StaffMember.DoesNotExist):
        time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=colleague)


# --- submit ------------------------------------------------------------------------------------
def test_time_entries_submit_sends_the_weeks_finished_drafts(organization, staff_login, person):
    monday_entry = make_entry(person, MONDAY)
    tuesday_entry = make_entry(person, MONDAY + datetime.timedelta(days=1))
    approved = make_entry(person, MONDAY - datetime.timedelta(days=3), status=Status.APPROVED)
    last_week = make_entry(person, MONDAY - datetime.timedelta(days=1))
    running = make_entry(person, TODAY, (8, 0), None)
    result = time_entries_submit(
        organization=organization, actor=staff_login.user, staff_member=person, week_start=MONDAY
    )
    assert (result.submitted, result.skipped_open) == (2, 1)
    assert "Submitted 2 entries" in result.message
    assert "still clocked in" in result.message
    for entry, status in [
        (monday_entry, Status.SUBMITTED),
        (tuesday_entry, Status.SUBMITTED),
        (approved, Status.APPROVED),
        (last_week, Status.DRAFT),
        (running, Status.DRAFT),
    ]:
        entry.refresh_from_db()
        assert entry.status == status
    monday_entry.refresh_from_db()
    assert monday_entry.submitted_at is not None
    assert AuditEvent.objects.filter(action="time_entries.submitted").count() == 1


def test_time_entries_submit_with_nothing_to_submit(organization, staff_login, person):
    make_entry(person, MONDAY, status=Status.SUBMITTED)
    with pytest.raises(ApplicationError, match="Nothing to submit for the week of Mon 2 Mar"):
        time_entries_submit(
            organization=organization, actor=staff_login.user, staff_member=person, week_start=MONDAY
        )


def test_time_entries_submit_staff_cannot_submit_for_someone_else(organization, staff_login, colleague):
    make_entry(colleague, MONDAY)
    with pytest.raises(StaffMember.DoesNotExist):
        time_entries_submit(
            organization=organization, actor=staff_login.user, staff_member=colleague, week_start=MONDAY
        )


def test_time_entries_submit_managers_submit_for_people_without_a_login(
    organization, manager_member, colleague
):
    make_entry(colleague, MONDAY)
    result = time_entries_submit(
        organization=organization, actor=manager_member.user, staff_member=colleague, week_start=MONDAY
    )
    assert result.submitted == 1


# --- approve -----------------------------------------------------------------------------------
def test_time_entries_approve_selected_ids_approves_submitted_and_explains_skips(
    organization, manager_member, colleague
):
    submitted = [
        make_entry(colleague, MONDAY + datetime.timedelta(days=n), status=Status.SUBMITTED) for n in range(2)
    ]
    draft = make_entry(colleague, MONDAY - datetime.timedelta(days=1))
    approved = make_entry(colleague, MONDAY - datetime.timedelta(days=2), status=Status.APPROVED)
    result = time_entries_approve(
        organization=organization,
        actor=manager_member.user,
        entry_ids=[e.pk for e in [*submitted, draft, approved]] + [999_999],
    )
    assert (result.approved, result.skipped_draft, result.skipped_approved, result.skipped_missing) == (
        2,
        1,
        1,
        1,
    )
    assert result.message == (
        "Approved 2 entries. Skipped 3 entries: 1 still in draft (not submitted yet), 1 already approved, "
        "1 not found (deleted meanwhile)."
    )
    for entry in submitted:
        entry.refresh_from_db()
        assert entry.status == Status.APPROVED
        assert entry.approved_by == manager_member.user
        assert entry.approved_at is not None
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    event = AuditEvent.objects.get(action="time_entries.approved")
    assert sorted(event.data["entry_ids"]) == sorted(e.pk for e in submitted)


def test_time_entries_approve_one_entry(organization, manager_member, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    result = time_entries_approve(organization=organization, actor=manager_member.user, entry_ids=[entry.pk])
    assert result.approved == 1
    assert result.message == "Approved 1 entry."


def test_time_entries_approve_a_period_only_touches_that_period(
    organization, manager_member, colleague, person
):
    inside = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    inside_other = make_entry(person, MONDAY + datetime.timedelta(days=6), status=Status.SUBMITTED)
    outside = make_entry(colleague, MONDAY + datetime.timedelta(days=7), status=Status.SUBMITTED)
    result = time_entries_approve(
        organization=organization,
        actor=manager_member.user,
        start=MONDAY,
        end=MONDAY + datetime.timedelta(days=6),
    )
    assert result.approved == 2
    for entry, status in [
        (inside, Status.APPROVED),
        (inside_other, Status.APPROVED),
        (outside, Status.SUBMITTED),
    ]:
        entry.refresh_from_db()
        assert entry.status == status


def test_time_entries_approve_a_period_for_selected_people(organization, manager_member, colleague, person):
    mine = make_entry(person, MONDAY, status=Status.SUBMITTED)
    theirs = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    result = time_entries_approve(
        organization=organization,
        actor=manager_member.user,
        start=MONDAY,
        end=MONDAY,
        staff_member_ids=[colleague.pk],
    )
    assert result.approved == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (Status.SUBMITTED, Status.APPROVED)


def test_time_entries_approve_with_nothing_submitted(organization, manager_member, colleague):
    make_entry(colleague, MONDAY)
    result = time_entries_approve(
        organization=organization, actor=manager_member.user, start=MONDAY, end=MONDAY
    )
    assert result.approved == 0
    assert result.message == "Nothing was approved. Skipped 1 entry: 1 still in draft (not submitted yet)."
    assert not AuditEvent.objects.filter(action="time_entries.approved").exists()


def test_time_entries_approve_is_for_managers_only(organization, staff_login, person):
    entry = make_entry(person, MONDAY, status=Status.SUBMITTED)
    with pytest.raises(TimesheetPermissionDenied):
        time_entries_approve(organization=organization, actor=staff_login.user, entry_ids=[entry.pk])
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_time_entries_approve_ignores_another_organisations_entries(organization, manager_member):
    other = OrganizationFactory()
    with unscoped():
        foreign = make_entry(StaffMemberFactory(organization=other), MONDAY, status=Status.SUBMITTED)
    result = time_entries_approve(
        organization=organization, actor=manager_member.user, entry_ids=[foreign.pk]
    )
    assert (result.approved, result.skipped_missing) == (0, 1)
    with organization_scope(other):
        foreign.refresh_from_db()
    assert foreign.status == Status.SUBMITTED


def test_time_entries_approve_needs_a_selection(organization, manager_member):
    with pytest.raises(ApplicationError):
        time_entries_approve(organization=organization, actor=manager_member.user, entry_ids=[])
    with pytest.raises(ApplicationError):
        time_entries_approve(organization=organization, actor=manager_member.user)


# --- reopen ------------------------------------------------------------------------------------
def test_time_entry_reopen_records_the_reason_and_returns_to_draft(organization, manager_member, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED)
    entry.approved_by = manager_member.user
    entry.save()
    time_entry_reopen(
        organization=organization, actor=manager_member.user, entry=entry, reason="  Finish was 4:30  pm "
    )
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert entry.approved_by is None
    assert entry.approved_at is None
    reopening = TimeEntryReopening.objects.get()
    assert reopening.reason == "Finish was 4:30 pm"
    assert reopening.reopened_by == manager_member.user
    assert reopening.time_entry == entry
    event = AuditEvent.objects.get(action="time_entry.reopened")
    assert event.data["reason"] == "Finish was 4:30 pm"
    assert "Reason: Finish was 4:30 pm" in event.summary


def test_time_entry_reopen_requires_a_reason(organization, manager_member, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED)
    with pytest.raises(TimeEntryInvalid) as exc_info:
        time_entry_reopen(organization=organization, actor=manager_member.user, entry=entry, reason="   ")
    assert field_errors(exc_info)["reason"]
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    assert TimeEntryReopening.objects.count() == 0


def test_time_entry_reopen_only_approved_entries(organization, manager_member, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    with pytest.raises(ApplicationError, match="Only approved entries"):
        time_entry_reopen(organization=organization, actor=manager_member.user, entry=entry, reason="typo")


def test_time_entry_reopen_is_for_managers_only(organization, staff_login, person):
    entry = make_entry(person, MONDAY, status=Status.APPROVED)
    with pytest.raises(TimesheetPermissionDenied):
        time_entry_reopen(organization=organization, actor=staff_login.user, entry=entry, reason="please")
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED


def test_reopened_entry_can_be_edited_and_the_reason_outlives_it(organization, manager_member, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED)
    time_entry_reopen(organization=organization, actor=manager_member.user, entry=entry, reason="duplicate")
    entry.refresh_from_db()
    time_entry_delete(organization=organization, actor=manager_member.user, entry=entry)
    reopening = TimeEntryReopening.objects.get()
    assert reopening.time_entry is None
    assert reopening.reason == "duplicate"


def test_workflow_draft_to_submitted_to_approved_to_reopened(
    organization, staff_login, person, manager_member
):
    entry = create(organization, staff_login.user, person, work_date=MONDAY)
    time_entries_submit(
        organization=organization, actor=staff_login.user, staff_member=person, week_start=MONDAY
    )
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    time_entries_approve(organization=organization, actor=manager_member.user, entry_ids=[entry.pk])
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    time_entry_reopen(organization=organization, actor=manager_member.user, entry=entry, reason="wrong day")
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert entry.is_editable


# --- approve a period, set-based ---------------------------------------------------------------
def test_time_entries_approve_a_period_writes_one_audit_row_with_counts(
    organization, manager_member, colleague, person
):
    for n in range(3):
        make_entry(colleague, MONDAY + datetime.timedelta(days=n), status=Status.SUBMITTED)
    make_entry(person, MONDAY, status=Status.APPROVED)
    make_entry(person, MONDAY + datetime.timedelta(days=1))
    result = time_entries_approve(
        organization=organization,
        actor=manager_member.user,
        start=MONDAY,
        end=MONDAY + datetime.timedelta(days=6),
    )
    assert (result.approved, result.skipped_draft, result.skipped_approved) == (3, 1, 1)
    event = AuditEvent.objects.get(action="time_entries.approved")
    assert event.summary == "Approved 3 entries for Mon 2 Mar to Sun 8 Mar 2026"
    assert event.data["approved"] == 3
    assert (event.data["skipped_draft"], event.data["skipped_approved"]) == (1, 1)
    assert event.data["start"] == "2026-03-02"
    assert "entry_ids" not in event.data  # counts, not thousands of ids
    approved_at = set(TimeEntry.objects.filter(staff_member=colleague).values_list("approved_at", flat=True))
    assert [moment.isoformat() for moment in approved_at] == [event.data["approved_at"]]


@pytest.mark.parametrize("people", [2, 20])
def test_time_entries_approve_a_period_takes_the_same_queries_for_any_team(
    organization, manager_member, people, django_assert_num_queries
):
    for _ in range(people):
        member = StaffMemberFactory(organization=organization)
        make_entry(member, MONDAY, status=Status.SUBMITTED)
        make_entry(member, MONDAY + datetime.timedelta(days=1))
    # role check, one aggregate, one UPDATE, one audit insert (+ the savepoint pair of the test's atomic)
    with django_assert_num_queries(6):
        result = time_entries_approve(
            organization=organization,
            actor=manager_member.user,
            start=MONDAY,
            end=MONDAY + datetime.timedelta(days=6),
        )
    assert (result.approved, result.skipped_draft) == (people, people)


def test_time_entries_approve_counts_entries_approved_meanwhile_as_already_approved(
    organization, manager_member, colleague, monkeypatch
):
    """Two managers approving at once: the UPDATE only takes what is still submitted."""
    entry = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    real_aggregate = QuerySet.aggregate

    def counted_then_approved_elsewhere(queryset, *args, **kwargs):
        counts = real_aggregate(queryset, *args, **kwargs)
        TimeEntry.objects.filter(pk=entry.pk).update(status=Status.APPROVED)  # the other manager
        return counts

    monkeypatch.setattr(QuerySet, "aggregate", counted_then_approved_elsewhere)
    result = time_entries_approve(
        organization=organization, actor=manager_member.user, start=MONDAY, end=MONDAY
    )
    assert (result.approved, result.skipped_approved) == (0, 1)
    assert not AuditEvent.objects.filter(action="time_entries.approved").exists()


# --- sent to Xero Payroll ----------------------------------------------------------------------
def test_time_entries_mark_pushed_marks_approved_entries_of_those_people_in_the_period(
    organization, person, colleague
):
    approved = make_entry(colleague, MONDAY, status=Status.APPROVED)
    submitted = make_entry(colleague, MONDAY + datetime.timedelta(days=1), status=Status.SUBMITTED)
    next_week = make_entry(colleague, MONDAY + datetime.timedelta(days=7), status=Status.APPROVED)
    someone_else = make_entry(person, MONDAY, status=Status.APPROVED)
    with unscoped():
        foreign = make_entry(
            StaffMemberFactory(organization=OrganizationFactory()), MONDAY, status=Status.APPROVED
        )
    at_ = datetime.datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    marked = time_entries_mark_pushed(
        organization=organization,
        staff_member_ids=[colleague.pk, foreign.staff_member_id],
        start=MONDAY,
        end=MONDAY + datetime.timedelta(days=6),
        at=at_,
    )
    assert marked == 1
    for entry, expected in [
        (approved, at_),
        (submitted, None),
        (next_week, None),
        (someone_else, None),
    ]:
        entry.refresh_from_db()
        assert entry.pushed_at == expected
    assert approved.is_pushed
    with unscoped():
        foreign.refresh_from_db()
    assert foreign.pushed_at is None


def test_time_entries_mark_pushed_again_moves_the_date_forward(
    organization, colleague, django_assert_num_queries
):
    entry = make_entry(
        colleague, MONDAY, status=Status.APPROVED, pushed_at=datetime.datetime(2026, 3, 1, tzinfo=UTC)
    )
    later = datetime.datetime(2026, 3, 9, tzinfo=UTC)
    with django_assert_num_queries(3):  # one UPDATE (inside its savepoint)
        time_entries_mark_pushed(
            organization=organization, staff_member_ids=[colleague.pk], start=MONDAY, end=MONDAY, at=later
        )
    entry.refresh_from_db()
    assert entry.pushed_at == later


def test_time_entries_mark_pushed_input_checks(organization, colleague, django_assert_num_queries):
    with django_assert_num_queries(2):  # nobody to mark: no UPDATE at all
        assert (
            time_entries_mark_pushed(
                organization=organization, staff_member_ids=[], start=MONDAY, end=MONDAY, at=timezone.now()
            )
            == 0
        )
    with pytest.raises(ApplicationError, match="ends before"):
        time_entries_mark_pushed(
            organization=organization,
            staff_member_ids=[colleague.pk],
            start=MONDAY,
            end=MONDAY - datetime.timedelta(days=1),
            at=timezone.now(),
        )
    with pytest.raises(ApplicationError, match="timezone-aware"):
        time_entries_mark_pushed(
            organization=organization,
            staff_member_ids=[colleague.pk],
            start=MONDAY,
            end=MONDAY,
            at=datetime.datetime(2026, 3, 9, 9, 0),  # noqa: DTZ001 - naive on purpose
        )


def test_time_entry_reopen_of_a_pushed_entry_clears_the_mark_and_records_it(
    organization, manager_member, colleague
):
    sent = datetime.datetime(2026, 3, 3, 22, 0, tzinfo=UTC)  # Wed 4 Mar, 9 am in Sydney
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=sent)
    time_entry_reopen(
        organization=organization, actor=manager_member.user, entry=entry, reason="wrong finish"
    )
    entry.refresh_from_db()
    assert (entry.status, entry.pushed_at, entry.is_pushed) == (Status.DRAFT, None, False)
    assert TimeEntryReopening.objects.get().entry_pushed_at == sent
    event = AuditEvent.objects.get(action="time_entry.reopened")
    assert event.data["was_pushed"] is True
    assert event.data["pushed_at"] == sent.isoformat()
    assert "had been sent to Xero Payroll on Wed 4 Mar 2026" in event.summary


def test_time_entry_reopen_of_an_entry_never_pushed(organization, manager_member, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED)
    time_entry_reopen(organization=organization, actor=manager_member.user, entry=entry, reason="typo")
    assert TimeEntryReopening.objects.get().entry_pushed_at is None
    event = AuditEvent.objects.get(action="time_entry.reopened")
    assert (event.data["was_pushed"], event.data["pushed_at"]) == (False, None)
    assert "Xero" not in event.summary


def test_a_day_holds_at_most_24_hours_across_entries(organization, staff_login, person):
    """Two entries that do not overlap but are both dated one day (00:00-23:30, then 23:30 to 23:00
    the next day) would send 47 hours for that day to Xero: the second is refused, with a way out."""
    day = TODAY - datetime.timedelta(days=3)
    create(
        organization,
        staff_login.user,
        person,
        work_date=day,
        start_time=t(0),
        end_time=t(23, 30),
        break_minutes=0,
    )
    with pytest.raises(ApplicationError) as exc_info:
        create(
            organization,
            staff_login.user,
            person,
            work_date=day,
            start_time=t(23, 30),
            end_time=t(23),
            ends_next_day=True,
            break_minutes=0,
        )
    message = field_errors(exc_info)["end_time"][0]
    assert "47 h" in message or "47h" in message
    assert "at most 24 hours" in message
    assert "next day" in message
    assert TimeEntry.objects.filter(staff_member=person, work_date=day).count() == 1


def test_clocking_out_cannot_push_a_day_past_24_hours(organization, staff_login, person, time_machine):
    """The same limit when clocking out: 00:00-16:00 recorded, clocked in at 16:00, out at 08:00 next day."""
    day = datetime.date(2026, 3, 2)
    time_machine.move_to(datetime.datetime(2026, 3, 2, 17, tzinfo=SYDNEY), tick=False)
    create(
        organization,
        staff_login.user,
        person,
        work_date=day,
        start_time=t(0),
        end_time=t(16),
        break_minutes=0,
    )
    time_machine.move_to(datetime.datetime(2026, 3, 2, 16, 0, tzinfo=SYDNEY), tick=False)
    time_entry_clock_in(organization=organization, actor=staff_login.user, staff_member=person)
    time_machine.move_to(datetime.datetime(2026, 3, 3, 8, 0, tzinfo=SYDNEY), tick=False)
    with pytest.raises(ApplicationError, match="at most 24 hours"):
        time_entry_clock_out(organization=organization, actor=staff_login.user, staff_member=person)
    assert TimeEntry.objects.get(staff_member=person, work_date=day, end_at__isnull=True)  # still clocked in


@pytest.mark.parametrize("bad", [1.5, float("nan"), float("inf"), "30", True])
def test_a_break_must_be_whole_minutes(organization, staff_login, person, bad):
    with pytest.raises(ApplicationError) as exc_info:
        create(organization, staff_login.user, person, break_minutes=bad)
    assert "whole minutes" in field_errors(exc_info)["break_minutes"][0]
    assert not TimeEntry.objects.filter(staff_member=person).exists()
