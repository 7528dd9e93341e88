import datetime
import re
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from staff.models import AuditEvent, Role
from tests.factories import MembershipFactory, StaffMemberFactory
from timesheets.models import TimeEntry, TimeEntryReopening
from timesheets.selectors import TEAM_PER_PAGE

from .conftest import MONDAY, SYDNEY, TODAY, at, make_entry

Status = TimeEntry.Status
DASH = "\u2013"  # the en dash between times and dates on the pages
pytestmark = pytest.mark.usefixtures("now")


def url(organization, path: str = "") -> str:
    return f"/o/{organization.slug}/timesheets/{path}"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def entry_form(**overrides) -> dict:
    return {
        "work_date": "2026-03-03",
        "start_time": "09:00",
        "end_time": "17:30",
        "break_minutes": "30",
        "notes": "",
    } | overrides


@pytest.fixture
def manager_client(manager_member) -> Client:
    client = Client()
    client.force_login(manager_member.user)
    return client


@pytest.fixture
def staff_client(staff_login) -> Client:
    client = Client()
    client.force_login(staff_login.user)
    return client


class _Controls(HTMLParser):
    """Collects form controls, labels, inline styles and inline scripts of a page."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.inline_styles = 0
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.inline_styles += 1
        if tag == "script" and "src" not in attrs:
            self.inline_scripts += 1
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit"}:
            self.controls.append(attrs)


def assert_accessible_and_csp_clean(response) -> None:
    parser = _Controls()
    parser.feed(response.content.decode())
    assert parser.inline_styles == 0, "inline style or event handler attribute"
    assert parser.inline_scripts == 0, "inline <script>"
    unlabelled = [c for c in parser.controls if c.get("id") not in parser.label_for]
    assert not unlabelled, f"controls without a <label>: {unlabelled}"
    ids = re.findall(r'\sid="([^"]+)"', response.content.decode())
    assert len(ids) == len(set(ids)), "duplicate element ids"


# --- week page ---------------------------------------------------------------------------------
def test_week_shows_the_staff_members_own_week(staff_client, organization, person):
    make_entry(person, MONDAY, (9, 0), (17, 0), break_minutes=30)
    make_entry(
        person,
        MONDAY + datetime.timedelta(days=1),
        (9, 0),
        (12, 15),
        break_minutes=0,
        status=Status.SUBMITTED,
    )
    response = staff_client.get(url(organization))
    assert response.status_code == 200
    content = response.content.decode()
    assert f"Week of Mon 2 Mar {DASH} Sun 8 Mar 2026" in content
    assert f"9:00 am {DASH} 5:00 pm" in content
    assert "7 h 30 m" in content
    assert "10 h 45 m" in content  # week total
    assert "badge-submitted" in content
    assert "Clock in" in content
    assert "Submit week (1 entry)" in content
    assert_accessible_and_csp_clean(response)


def test_week_navigation_by_iso_week(staff_client, organization, person):
    make_entry(person, datetime.date(2026, 2, 24))
    response = staff_client.get(url(organization, "?week=2026-W09"))
    content = response.content.decode()
    assert f"Week of Mon 23 Feb {DASH} Sun 1 Mar 2026" in content
    assert "?week=2026-W08" in content
    assert "?week=2026-W10" in content
    assert "Tue 24 Feb" in content


def test_week_with_a_bad_week_parameter_shows_this_week_and_says_so(staff_client, organization, person):
    response = staff_client.get(url(organization, "?week=2026-W99"))
    assert response.status_code == 200
    assert "Week of Mon 2 Mar" in response.content.decode()
    assert any("is not a week" in m for m in messages_of(response))


def test_week_shows_clocked_in_since(staff_client, organization, person):
    make_entry(person, TODAY, (9, 2), None)
    response = staff_client.get(url(organization))
    content = response.content.decode()
    assert "Clocked in since <strong>9:02 am</strong>" in content
    assert "Clock out" in content


def test_week_for_a_login_without_a_staff_record_explains_what_to_do(client, organization):
    membership = MembershipFactory(organization=organization, role=Role.STAFF)
    client.force_login(membership.user)
    response = client.get(url(organization))
    assert response.status_code == 200
    assert "isn't linked to a staff record" in response.content.decode()


def test_week_for_a_manager_without_a_staff_record_is_a_picker(manager_client, organization, colleague):
    response = manager_client.get(url(organization))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Whose week?" in content
    assert f"staff/{colleague.pk}/?week=2026-W10" in content
    assert_accessible_and_csp_clean(response)


def test_week_picker_with_no_staff_says_what_to_do(manager_client, organization):
    response = manager_client.get(url(organization))
    assert "No staff yet" in response.content.decode()


def test_week_picker_redirects_to_the_chosen_person(manager_client, organization, colleague):
    response = manager_client.get(url(organization, f"?staff_member={colleague.pk}&week=2026-W09"))
    assert response.status_code == 302
    assert response["Location"] == url(organization, f"staff/{colleague.pk}/?week=2026-W09")


def test_staff_week_for_a_manager_has_approve_controls(manager_client, organization, colleague):
    make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    make_entry(colleague, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)
    response = manager_client.get(url(organization, f"staff/{colleague.pk}/"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Approve all submitted (1)" in content
    assert 'name="entry"' in content
    assert "Reopen" in content
    assert "Clock in" not in content  # not their own record
    assert_accessible_and_csp_clean(response)


def test_staff_week_of_ones_own_record_by_id(staff_client, organization, person):
    assert staff_client.get(url(organization, f"staff/{person.pk}/")).status_code == 200


# --- staff cannot reach other people's time ----------------------------------------------------
def test_staff_get_404_for_other_peoples_weeks_and_entries(staff_client, organization, colleague):
    entry = make_entry(colleague, MONDAY)
    approved = make_entry(colleague, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)
    for path in [
        f"staff/{colleague.pk}/",
        f"staff/{colleague.pk}/entries/add/",
        f"entries/{entry.pk}/edit/",
        f"entries/{entry.pk}/delete/",
        f"entries/{approved.pk}/reopen/",
        "team/",
    ]:
        assert staff_client.get(url(organization, path)).status_code == 404, path
    for path in [
        f"staff/{colleague.pk}/entries/add/",
        f"entries/{entry.pk}/edit/",
        f"entries/{entry.pk}/delete/",
        f"entries/{approved.pk}/reopen/",
    ]:
        assert (
            staff_client.post(url(organization, path), entry_form() | {"reason": "x"}).status_code == 404
        ), path
    assert staff_client.post(url(organization, "entries/approve/"), {"entry": [entry.pk]}).status_code == 404
    assert (
        staff_client.post(
            url(organization, "submit/"), {"week": "2026-W10", "staff_member": colleague.pk}
        ).status_code
        == 404
    )
    assert TimeEntry.objects.filter(staff_member=colleague).count() == 2
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert not AuditEvent.objects.filter(action__startswith="time_entr").exists()


def test_missing_entries_are_404(manager_client, organization):
    assert manager_client.get(url(organization, "entries/999999/edit/")).status_code == 404
    assert manager_client.get(url(organization, "staff/999999/")).status_code == 404


# --- add / edit / delete -----------------------------------------------------------------------
def test_entry_create_saves_and_redirects_to_the_week(staff_client, organization, person):
    response = staff_client.post(
        url(organization, f"staff/{person.pk}/entries/add/"), entry_form(notes="Close")
    )
    assert response.status_code == 302
    assert response["Location"] == url(organization, "?week=2026-W10")
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.notes, entry.work_date) == (480, "Close", datetime.date(2026, 3, 3))
    assert entry.start_at == at(datetime.date(2026, 3, 3), 9)
    assert messages_of(response) == ["Added Tue 3 Mar: 8 h."]


def test_entry_create_accepts_australian_typed_times(staff_client, organization, person):
    response = staff_client.post(
        url(organization, f"staff/{person.pk}/entries/add/"),
        entry_form(start_time="9:15 am", end_time="5:45pm"),
    )
    assert response.status_code == 302
    assert TimeEntry.objects.get().minutes == 480


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "08:00"}, "The finish time must be after the start time."),
        ({"end_time": "09:00"}, "The finish time must be after the start time."),
        ({"break_minutes": "-10"}, "A break can&#x27;t be negative."),
        ({"break_minutes": "600"}, "A break can be at most 8 h"),
        ({"end_time": "10:00", "break_minutes": "60"}, "The break must be shorter than the shift (1 h)."),
        ({"work_date": "2026-03-06"}, "is too far ahead"),
        ({"work_date": "2023-12-01"}, "started on Mon 1 Jan 2024"),
        ({"end_time": "09:30", "ends_next_day": "on"}, "at most 24 hours"),
        ({"start_time": "nine"}, "Enter a valid time."),
    ],
)
def test_entry_create_shows_field_errors_and_saves_nothing(
    staff_client, organization, person, overrides, message
):
    response = staff_client.post(
        url(organization, f"staff/{person.pk}/entries/add/"), entry_form(**overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'class="field has-error"' in response.content.decode()
    assert TimeEntry.objects.count() == 0


def test_entry_create_rejects_an_overlap(staff_client, organization, person):
    make_entry(person, datetime.date(2026, 3, 3), (8, 0), (10, 0))
    response = staff_client.post(url(organization, f"staff/{person.pk}/entries/add/"), entry_form())
    assert response.status_code == 200
    assert "This overlaps another entry: Tue 3 Mar, 8:00 am to 10:00 am." in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_entry_create_with_htmx_returns_a_fragment_then_a_client_redirect(staff_client, organization, person):
    add = url(organization, f"staff/{person.pk}/entries/add/")
    fragment = staff_client.get(f"{add}?date=2026-03-03", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b'value="2026-03-03"' in fragment.content
    invalid = staff_client.post(add, entry_form(end_time="08:00"), HTTP_HX_REQUEST="true")
    assert invalid.status_code == 200
    assert b"<html" not in invalid.content
    assert b"must be after the start time" in invalid.content
    saved = staff_client.post(add, entry_form(), HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    assert saved["HX-Redirect"] == url(organization, "?week=2026-W10")
    assert TimeEntry.objects.count() == 1


def test_entry_create_page_works_without_javascript(staff_client, organization, person):
    response = staff_client.get(url(organization, f"staff/{person.pk}/entries/add/?date=2026-03-03"))
    assert response.status_code == 200
    assert b"<html" in response.content
    assert_accessible_and_csp_clean(response)


def test_managers_add_time_for_anyone(manager_client, organization, colleague):
    response = manager_client.post(url(organization, f"staff/{colleague.pk}/entries/add/"), entry_form())
    assert response["Location"] == url(organization, f"staff/{colleague.pk}/?week=2026-W10")
    assert TimeEntry.objects.get().staff_member == colleague


def test_entry_edit_prefills_and_saves(staff_client, organization, person):
    entry = make_entry(person, datetime.date(2026, 3, 3), (22, 0), (23, 30), break_minutes=0)
    edit = url(organization, f"entries/{entry.pk}/edit/")
    page = staff_client.get(edit)
    assert page.status_code == 200
    assert b'value="22:00"' in page.content
    assert_accessible_and_csp_clean(page)
    response = staff_client.post(
        edit, entry_form(start_time="22:00", end_time="06:00", ends_next_day="on", break_minutes="0")
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes == 8 * 60
    next_page = staff_client.get(url(organization))
    assert "(next day)" in next_page.content.decode()
    edit_again = staff_client.get(edit)
    assert b'name="ends_next_day" id="id_edit-' in edit_again.content
    assert b"checked" in edit_again.content


def test_entry_edit_of_a_submitted_entry_by_staff_says_it_is_back_in_draft(
    staff_client, organization, person
):
    entry = make_entry(person, datetime.date(2026, 3, 3), status=Status.SUBMITTED)
    response = staff_client.post(url(organization, f"entries/{entry.pk}/edit/"), entry_form(end_time="18:00"))
    assert "back in draft" in messages_of(response)[0]
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_entry_edit_of_an_approved_entry_is_refused(staff_client, organization, person):
    entry = make_entry(person, datetime.date(2026, 3, 3), status=Status.APPROVED)
    response = staff_client.post(url(organization, f"entries/{entry.pk}/edit/"), entry_form(end_time="23:00"))
    assert response.status_code == 302
    assert "approved" in messages_of(response)[0]
    entry.refresh_from_db()
    assert entry.minutes == 450


def test_entry_delete_confirm_page_and_post(staff_client, organization, person):
    entry = make_entry(person, datetime.date(2026, 3, 3))
    delete = url(organization, f"entries/{entry.pk}/delete/")
    page = staff_client.get(delete)
    assert page.status_code == 200
    assert b"Delete this entry?" in page.content
    response = staff_client.post(delete)
    assert response.status_code == 302
    assert not TimeEntry.objects.exists()
    assert messages_of(response) == ["Deleted the entry for Tue 3 Mar."]


def test_entry_delete_of_an_approved_entry_is_refused(staff_client, organization, person):
    entry = make_entry(person, datetime.date(2026, 3, 3), status=Status.APPROVED)
    response = staff_client.post(url(organization, f"entries/{entry.pk}/delete/"))
    assert response.status_code == 302
    assert "approved" in messages_of(response)[0]
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


# --- clock, submit -----------------------------------------------------------------------------
def test_clock_in_then_out(staff_client, organization, person, time_machine):
    time_machine.move_to(at(TODAY, 9, 2), tick=False)
    response = staff_client.post(url(organization, "clock/"), {"action": "in"})
    assert response["Location"] == url(organization)
    assert messages_of(response) == ["Clocked in at 9:02 am."]
    assert TimeEntry.objects.get().is_open
    again = staff_client.post(url(organization, "clock/"), {"action": "in"})
    assert messages_of(again)[-1] == "You were already clocked in."
    time_machine.move_to(at(TODAY, 17, 32), tick=False)
    out = staff_client.post(url(organization, "clock/"), {"action": "out", "break_minutes": "30"})
    assert messages_of(out)[-1] == "Clocked out. 8 h recorded."
    entry = TimeEntry.objects.get()
    assert (entry.is_open, entry.minutes, entry.break_minutes) == (False, 480, 30)


def test_clock_out_errors_are_shown(staff_client, organization, person, time_machine):
    time_machine.move_to(at(TODAY, 9, 0), tick=False)
    staff_client.post(url(organization, "clock/"), {"action": "in"})
    time_machine.move_to(at(TODAY, 9, 30), tick=False)
    response = staff_client.post(url(organization, "clock/"), {"action": "out", "break_minutes": "45"})
    assert "shorter than the shift" in messages_of(response)[-1]
    assert TimeEntry.objects.get().is_open


def test_clock_without_a_staff_record(client, organization):
    membership = MembershipFactory(organization=organization, role=Role.STAFF)
    client.force_login(membership.user)
    response = client.post(url(organization, "clock/"), {"action": "in"})
    assert response.status_code == 302
    assert "not linked to a staff record" in messages_of(response)[0]
    assert not TimeEntry.objects.exists()


def test_clock_only_accepts_post(staff_client, organization, person):
    assert staff_client.get(url(organization, "clock/")).status_code == 405


def test_submit_week(staff_client, organization, person):
    make_entry(person, MONDAY)
    make_entry(person, MONDAY + datetime.timedelta(days=1))
    response = staff_client.post(url(organization, "submit/"), {"week": "2026-W10"})
    assert response["Location"] == url(organization, "?week=2026-W10")
    assert messages_of(response) == ["Submitted 2 entries for approval."]
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {Status.SUBMITTED}


def test_submit_week_with_nothing_to_submit(staff_client, organization, person):
    response = staff_client.post(url(organization, "submit/"), {"week": "2026-W10"})
    assert "Nothing to submit" in messages_of(response)[0]


def test_manager_submits_for_someone_without_a_login(manager_client, organization, colleague):
    make_entry(colleague, MONDAY)
    response = manager_client.post(
        url(organization, "submit/"), {"week": "2026-W10", "staff_member": colleague.pk}
    )
    assert response["Location"] == url(organization, f"staff/{colleague.pk}/?week=2026-W10")
    assert TimeEntry.objects.get().status == Status.SUBMITTED


# --- approve, reopen ---------------------------------------------------------------------------
def test_approve_everything_submitted_in_a_period(manager_client, organization, colleague, person):
    make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    make_entry(person, MONDAY, status=Status.SUBMITTED)
    make_entry(person, MONDAY + datetime.timedelta(days=1))
    response = manager_client.post(
        url(organization, "entries/approve/"),
        {
            "scope": "period",
            "start": "2026-03-02",
            "end": "2026-03-08",
            "next": url(organization, "team/?week=2026-W10"),
        },
    )
    assert response["Location"] == url(organization, "team/?week=2026-W10")
    assert messages_of(response) == [
        "Approved 2 entries. Skipped 1 entry: 1 still in draft (not submitted yet)."
    ]
    assert TimeEntry.objects.filter(status=Status.APPROVED).count() == 2


def test_approve_ticked_people(manager_client, organization, colleague, person):
    theirs = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    mine = make_entry(person, MONDAY, status=Status.SUBMITTED)
    manager_client.post(
        url(organization, "entries/approve/"),
        {"scope": "selected", "staff_member": [colleague.pk], "start": "2026-03-02", "end": "2026-03-08"},
    )
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.status, mine.status) == (Status.APPROVED, Status.SUBMITTED)


def test_approve_ticked_people_needs_someone_ticked(manager_client, organization):
    response = manager_client.post(
        url(organization, "entries/approve/"),
        {"scope": "selected", "start": "2026-03-02", "end": "2026-03-08"},
    )
    assert "Tick at least one person" in messages_of(response)[0]


def test_approve_ticked_entries_and_ignore_unsafe_next(manager_client, organization, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.SUBMITTED)
    response = manager_client.post(
        url(organization, "entries/approve/"),
        {"scope": "entries", "entry": [entry.pk], "next": "https://evil.example/"},
    )
    assert response["Location"] == url(organization, "team/")
    assert messages_of(response) == ["Approved 1 entry."]
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED


def test_approve_requires_post(manager_client, organization):
    assert manager_client.get(url(organization, "entries/approve/")).status_code == 405


def test_reopen_with_a_reason(manager_client, organization, colleague, manager_member):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED)
    reopen = url(organization, f"entries/{entry.pk}/reopen/")
    page = manager_client.get(reopen)
    assert page.status_code == 200
    assert_accessible_and_csp_clean(page)
    missing = manager_client.post(reopen, {"reason": "   "})
    assert missing.status_code == 200
    assert b"has-error" in missing.content
    entry.refresh_from_db()
    assert entry.status == Status.APPROVED
    response = manager_client.post(reopen, {"reason": "Finish was 4:30 pm"})
    assert response["Location"] == url(organization, f"staff/{colleague.pk}/?week=2026-W10")
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    reopening = TimeEntryReopening.objects.get()
    assert (reopening.reason, reopening.reopened_by) == ("Finish was 4:30 pm", manager_member.user)
    week = manager_client.get(url(organization, f"staff/{colleague.pk}/"))
    assert "Reopened 4 Mar: Finish was 4:30 pm" in week.content.decode()


def test_reopen_of_an_entry_that_is_not_approved_redirects(manager_client, organization, colleague):
    entry = make_entry(colleague, MONDAY)
    response = manager_client.get(url(organization, f"entries/{entry.pk}/reopen/"))
    assert response.status_code == 302


# --- team page ---------------------------------------------------------------------------------
def test_team_week_shows_everyone_with_daily_totals(manager_client, organization, colleague, person):
    make_entry(colleague, MONDAY, (9, 0), (17, 0), break_minutes=30, status=Status.SUBMITTED)
    make_entry(person, MONDAY, (9, 0), (12, 0), break_minutes=0)
    response = manager_client.get(url(organization, "team/"))
    assert response.status_code == 200
    content = response.content.decode()
    assert f"Mon 2 Mar {DASH} Sun 8 Mar 2026" in content
    assert colleague.display_name in content
    assert person.display_name in content
    assert "10 h 30 m" in content  # Monday's column total and the period total
    assert "Approve all submitted in this period (1)" in content
    assert f"staff/{colleague.pk}/?week=2026-W10" in content
    assert content.count('name="staff_member"') == 2
    assert_accessible_and_csp_clean(response)


def test_team_custom_range_up_to_62_days(manager_client, organization, colleague):
    make_entry(colleague, datetime.date(2026, 2, 10), status=Status.APPROVED)
    response = manager_client.get(url(organization, "team/?start=2026-02-01&end=2026-03-04"))
    content = response.content.decode()
    assert f"Sun 1 Feb {DASH} Wed 4 Mar 2026 · 32 days" in content
    assert "Approved hours" in content  # per-person totals instead of day columns
    assert "Tue 10 Feb" not in content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-01-01&end=2026-03-31", "at most 62 days"),
        ("start=2026-03-10&end=2026-03-01", "end date is before the start date"),
        ("start=2026-03-10", "both a start and an end date"),
        ("start=not-a-date&end=2026-03-01", "Enter a valid date"),
        ("week=2026-W77", "That week is not valid"),
    ],
)
def test_team_bad_period_is_explained_and_falls_back_to_this_week(
    manager_client, organization, query, message
):
    response = manager_client.get(url(organization, f"team/?{query}"))
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert f"Mon 2 Mar {DASH} Sun 8 Mar 2026" in content


def test_team_with_no_staff_says_what_to_do(manager_client, organization):
    response = manager_client.get(url(organization, "team/"))
    assert "No staff yet" in response.content.decode()


def _many_staff_with_submitted_time(organization, count: int) -> None:
    for n in range(count):
        member = StaffMemberFactory(organization=organization)
        make_entry(member, MONDAY + datetime.timedelta(days=n % 7), status=Status.SUBMITTED)
        make_entry(member, MONDAY + datetime.timedelta(days=(n + 3) % 7))


@pytest.mark.parametrize("staff_count", [5, 60])
def test_team_page_query_count_does_not_grow_with_staff(
    manager_client, organization, staff_count, django_assert_max_num_queries
):
    _many_staff_with_submitted_time(organization, staff_count)
    with django_assert_max_num_queries(10):
        response = manager_client.get(url(organization, "team/"))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('name="staff_member" value=') == min(staff_count, TEAM_PER_PAGE)
    assert f"Approve all submitted in this period ({staff_count})" in content


@pytest.mark.parametrize("staff_count", [5, 60])
def test_approve_query_count_does_not_grow_with_staff(
    manager_client, organization, staff_count, django_assert_max_num_queries
):
    _many_staff_with_submitted_time(organization, staff_count)
    with django_assert_max_num_queries(10):
        response = manager_client.post(
            url(organization, "entries/approve/"),
            {"scope": "period", "start": "2026-03-02", "end": "2026-03-08"},
        )
    assert response.status_code == 302
    assert TimeEntry.objects.filter(status=Status.APPROVED).count() == staff_count


def test_week_page_query_count_does_not_grow_with_entries(
    staff_client, organization, person, django_assert_max_num_queries
):
    for n in range(7):
        make_entry(person, MONDAY + datetime.timedelta(days=n), (6, 0), (10, 0), status=Status.APPROVED)
        make_entry(person, MONDAY + datetime.timedelta(days=n), (12, 0), (16, 0))
    with django_assert_max_num_queries(12):
        response = staff_client.get(url(organization))
    assert response.content.decode().count("badge-approved") >= 7


def test_times_are_shown_in_the_organisations_zone(staff_client, organization, person):
    """Perth is UTC+8 with no daylight saving: the same instant reads three hours earlier than Sydney."""
    organization.timezone = "Australia/Perth"
    organization.save()
    make_entry(person, MONDAY, (9, 0), (17, 0))  # Sydney wall-clock -> 6:00 am in Perth
    response = staff_client.get(url(organization, "?week=2026-W10"))
    assert f"6:00 am {DASH} 2:00 pm" in response.content.decode()
    assert SYDNEY.key == "Australia/Sydney"


# --- team pages --------------------------------------------------------------------------------
def _team_of(organization, count: int) -> list:
    """``count`` people named Person 001.. so that page order is predictable, each with one
    submitted 7 h 30 m entry on Monday."""
    people = []
    for n in range(count):
        member = StaffMemberFactory(organization=organization, first_name="Pat", last_name=f"Person {n:03d}")
        make_entry(member, MONDAY, status=Status.SUBMITTED)
        people.append(member)
    return people


def test_team_page_lists_50_people_a_page_with_page_links_and_whole_team_totals(manager_client, organization):
    people = _team_of(organization, TEAM_PER_PAGE + 5)
    first = manager_client.get(url(organization, "team/"))
    content = first.content.decode()
    assert content.count('name="staff_member" value=') == TEAM_PER_PAGE
    assert people[0].display_name in content
    assert people[-1].display_name not in content
    assert "People 1–50 of 55" in content
    assert 'href="/o/demo-cafe/timesheets/team/?week=2026-W10&amp;page=2"' in content
    assert '<span class="visually-hidden">Page </span>1</span>' in content  # the current page
    # the totals row, the counts and the period approval are the whole team's, not the page's
    assert "412 h 30 m" in content  # 55 x 7 h 30 m
    assert "Approve all submitted in this period (55)" in content
    assert "all 55 people" in content
    assert_accessible_and_csp_clean(first)

    second = manager_client.get(url(organization, "team/?week=2026-W10&page=2"))
    content = second.content.decode()
    assert content.count('name="staff_member" value=') == 5
    assert people[-1].display_name in content
    assert people[0].display_name not in content
    assert "People 51–55 of 55" in content
    assert "412 h 30 m" in content
    assert 'name="next" value="/o/demo-cafe/timesheets/team/?week=2026-W10&amp;page=2"' in content
    assert_accessible_and_csp_clean(second)


def test_team_page_with_one_page_has_no_page_links(manager_client, organization):
    _team_of(organization, 3)
    content = manager_client.get(url(organization, "team/")).content.decode()
    assert "team-pager" not in content
    assert "Total</th>" in content


def test_team_page_beyond_the_last_shows_the_last(manager_client, organization):
    people = _team_of(organization, TEAM_PER_PAGE + 1)
    content = manager_client.get(url(organization, "team/?week=2026-W10&page=7")).content.decode()
    assert people[-1].display_name in content
    assert "People 51–51 of 51" in content


def test_team_page_custom_range_keeps_the_range_in_page_links(manager_client, organization):
    _team_of(organization, TEAM_PER_PAGE + 1)
    content = manager_client.get(url(organization, "team/?start=2026-03-01&end=2026-03-10")).content.decode()
    assert "?start=2026-03-01&amp;end=2026-03-10&amp;page=2" in content


def test_approving_the_period_approves_entries_on_every_page(manager_client, organization, manager_member):
    people = _team_of(organization, TEAM_PER_PAGE + 5)
    page_two = url(organization, "team/?week=2026-W10&page=2")
    response = manager_client.post(
        url(organization, "entries/approve/"),
        {"scope": "period", "start": "2026-03-02", "end": "2026-03-08", "next": page_two},
    )
    assert response["Location"] == page_two
    assert messages_of(response) == ["Approved 55 entries."]
    assert set(TimeEntry.objects.values_list("status", flat=True)) == {Status.APPROVED}
    assert TimeEntry.objects.get(staff_member=people[0]).approved_by == manager_member.user  # page 1
    assert TimeEntry.objects.get(staff_member=people[-1]).approved_by == manager_member.user  # page 2
    assert AuditEvent.objects.filter(action="time_entries.approved").count() == 1
    again = manager_client.post(
        url(organization, "entries/approve/"),
        {"scope": "period", "start": "2026-03-02", "end": "2026-03-08", "next": page_two},
    )
    assert messages_of(again)[-1] == "Nothing was approved. Skipped 55 entries: 55 already approved."


def test_approving_ticked_people_only_approves_them(manager_client, organization):
    people = _team_of(organization, TEAM_PER_PAGE + 5)
    response = manager_client.post(
        url(organization, "entries/approve/"),
        {"scope": "selected", "staff_member": [people[-1].pk], "start": "2026-03-02", "end": "2026-03-08"},
    )
    assert messages_of(response) == ["Approved 1 entry."]
    assert TimeEntry.objects.filter(status=Status.APPROVED).get().staff_member == people[-1]


# --- sent to Xero ------------------------------------------------------------------------------
SENT = datetime.datetime(2026, 3, 3, 22, 15, tzinfo=datetime.UTC)  # Wed 4 Mar, 9:15 am in Sydney


def test_week_shows_sent_to_xero_on_pushed_entries(manager_client, organization, colleague):
    make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=SENT)
    make_entry(colleague, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)
    response = manager_client.get(url(organization, f"staff/{colleague.pk}/?week=2026-W10"))
    content = response.content.decode()
    assert content.count("Sent to Xero Wed 4 Mar<") == 1
    assert 'title="Sent to Xero Payroll Wed 4 Mar 2026, 9:15 am"' in content
    assert_accessible_and_csp_clean(response)


def test_team_shows_sent_to_xero(manager_client, organization, colleague, person):
    make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=SENT)
    make_entry(person, MONDAY, status=Status.APPROVED, pushed_at=SENT)
    make_entry(person, MONDAY + datetime.timedelta(days=1), status=Status.APPROVED)
    content = manager_client.get(url(organization, "team/")).content.decode()
    assert "Sent to Xero Wed 4 Mar</span>" in content
    assert "1 of 2 sent to Xero Wed 4 Mar</span>" in content


def test_reopen_page_warns_when_the_entry_was_sent_to_xero(manager_client, organization, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED, pushed_at=SENT)
    reopen = url(organization, f"entries/{entry.pk}/reopen/")
    page = manager_client.get(reopen)
    assert (
        "This entry was sent to Xero Payroll on Wed 4 Mar 2026: after you correct and approve it again, "
        "push the period again to update the draft in Xero."
    ) in page.content.decode()
    assert_accessible_and_csp_clean(page)
    response = manager_client.post(reopen, {"reason": "Finish was 4:30 pm"})
    assert "push the period to Xero Payroll again" in messages_of(response)[0]
    entry.refresh_from_db()
    assert (entry.status, entry.pushed_at) == (Status.DRAFT, None)
    assert TimeEntryReopening.objects.get().entry_pushed_at == SENT


def test_reopen_page_of_an_entry_not_sent_has_no_xero_warning(manager_client, organization, colleague):
    entry = make_entry(colleague, MONDAY, status=Status.APPROVED)
    content = manager_client.get(url(organization, f"entries/{entry.pk}/reopen/")).content.decode()
    assert "sent to Xero Payroll" not in content
    response = manager_client.post(url(organization, f"entries/{entry.pk}/reopen/"), {"reason": "typo"})
    assert "Xero" not in messages_of(response)[0]
