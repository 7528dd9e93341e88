"""Issue 7: the whole journey in a real browser (see conftest.py for what every page is checked for).

1. A new visitor signs up, creates an organisation, adds staff by hand and by CSV import.
2. Staff clock in and out and submit their week; a manager approves it, reopens one entry with a
   reason, approves again. (On a 390 px wide phone.)
3. The admin connects Xero: Settings > Integrations, "Connect Xero Organisation", the sandbox's sign-in
   and consent pages, back to a connected card.
4. The admin works through the match report: confirms a suggestion, links one employee by hand,
   creates one in Xero.
5. A manager sends a pay period to Xero from Timesheets > $Payroll and reads the result per employee;
   the timesheets are then in the sandbox's API.
6. Xero access is revoked; the next action says "Reconnect required"; the admin reconnects and the
   retry of the failed employees succeeds.
7. A staff member cannot reach Settings or another staff member's timesheets; a member of another
   organisation cannot reach anything of this one (404s, in the browser).
"""

import datetime
import os
import re
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from .conftest import PASSWORD, PHONE, wait_for_worker_idle

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, databases=["default", "xero_sandbox"]),
]

ADMIN = "admin@demo-cafe.test"
MANAGER = "manager@demo-cafe.test"
STAFF = "staff@demo-cafe.test"
ORG = "/o/demo-cafe"


def seed() -> None:
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", force=True, stdout=devnull)
        call_command("sandbox_seed", stdout=devnull)


# --- 1 ---------------------------------------------------------------------------------------------
STAFF_CSV = b"""first_name,last_name,date_of_birth,email,employee_code,start_date
Mia,Kowalski,14/02/1998,mia@example.com,HB002,01/07/2025
Jack,O'Connor,1991-11-30,jack@example.com,HB003,
Ava,Nguyen,03/05/2001,,HB004,15/01/2026
"""


def test_journey_1_sign_up_and_add_staff(journey):
    visitor = journey.person("visitor")
    page = visitor.page
    visitor.goto("/")
    assert "/accounts/login/" in page.url  # not signed in: the front door is the login page
    visitor.go(page.get_by_role("link", name="Start free"))
    visitor.screen("sign up")

    page.get_by_label("Your name").fill("Sam Rivera")
    page.get_by_label("Work email").fill("sam@harbourbakery.test")
    page.get_by_label("Password").fill("flour-and-salt-2026")
    page.get_by_label("Business name").fill("Harbourside Bakehouse")
    page.get_by_label("Time zone").select_option("Australia/Hobart")
    visitor.go(page.get_by_role("button", name="Create account"))
    page.wait_for_url("**/o/harbourside-bakehouse/staff/")
    assert "Harbourside Bakehouse is ready" in visitor.message()
    expect(page.get_by_role("heading", name="Add the people you pay")).to_be_visible()
    visitor.screen("empty staff list")
    # A first look around the empty organisation: every page says what to do first.
    main = page.get_by_role("navigation", name="Main")
    visitor.go(main.get_by_role("link", name="Timesheets", exact=True))
    visitor.screen("timesheets before any staff")
    main.get_by_role("link", name="Timesheets", exact=True).hover()
    visitor.go(main.get_by_role("link", name="$Payroll"))
    expect(page.get_by_role("heading", name="Connect Xero to send timesheets")).to_be_visible()
    visitor.screen("payroll before xero")
    visitor.go(main.get_by_role("link", name="Staff", exact=True))

    visitor.go(page.get_by_role("link", name="Add staff member").first)
    visitor.screen("add staff member")
    page.get_by_label("First name").fill("Olivia")
    page.get_by_label("Last name").fill("Bennett")
    page.get_by_label("Date of birth").fill("1996-08-21")
    page.get_by_label("Employee code").fill("HB001")
    visitor.go(page.get_by_role("button", name="Add staff member", exact=True))
    assert "Olivia Bennett added to your staff" in visitor.message()
    expect(page.get_by_role("link", name="Olivia Bennett").first).to_be_visible()

    visitor.go(page.get_by_role("link", name="Import from CSV"))
    visitor.screen("import staff")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the template").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": STAFF_CSV}]
    )
    visitor.go(page.get_by_role("button", name="Check the file"))
    expect(page.get_by_text("3 rows ready to import")).to_be_visible()
    expect(page.get_by_role("cell", name="14 Feb 1998")).to_be_visible()  # day-first dates read right
    visitor.screen("import preview")
    visitor.go(page.get_by_role("button", name="Import 3 staff members").first)
    page.wait_for_url("**/o/harbourside-bakehouse/staff/")
    assert "3" in visitor.message()
    assert page.locator(".staff-count").inner_text().startswith("4 current staff members")
    visitor.screen("staff list")

    # Ava has left: archiving asks first, then says what happened.
    visitor.go(page.get_by_role("button", name="Archive Ava Nguyen"))
    assert visitor.dialogs[-1].startswith("Archive Ava Nguyen?")
    assert "Ava Nguyen" in visitor.message()
    assert page.locator(".staff-count").inner_text().startswith("3 current staff members")

    # A second shop: a new organisation from the account menu, then the switcher lists both.
    page.get_by_role("group").locator("summary").click()
    visitor.go(page.get_by_role("link", name="+ New organisation"))
    page.get_by_label("Business name").fill("Harbourside Bakehouse Newtown")
    visitor.go(page.get_by_role("button", name="Create organisation"))
    assert "Harbourside Bakehouse Newtown created" in visitor.message()
    page.get_by_role("group").locator("summary").click()
    expect(
        page.locator(".menu-panel").get_by_role("link", name="Harbourside Bakehouse Admin")
    ).to_be_visible()


# --- 2 ---------------------------------------------------------------------------------------------
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


def last_wednesday_9am() -> datetime.datetime:
    """Wednesday of last week, 9 am in Sydney: a fixed weekday with days before it in its week, and
    in the past, so the browser's cookies (stamped by the server's clock) are never already expired."""
    today = datetime.datetime.now(SYDNEY).date()
    wednesday = today - datetime.timedelta(days=today.weekday() + 7 - 2)
    return datetime.datetime.combine(wednesday, datetime.time(9, 0), tzinfo=SYDNEY)


def test_journey_2_clock_in_submit_approve_reopen_on_a_phone(journey):
    start = last_wednesday_9am()
    tuesday = start.date() - datetime.timedelta(days=1)
    with time_machine.travel(start, tick=True) as clock:
        seed()
        # Liam (staff@) on his phone: clock in at 9, clock out at 1:30 pm after a 30-minute break.
        liam = journey.person("staff", viewport=PHONE)
        page = liam.page
        liam.login(STAFF)
        expect(page.get_by_role("heading", name="Liam Thompson")).to_be_visible()
        expect(page.get_by_text("You are not clocked in.")).to_be_visible()
        liam.screen("my week on a phone")
        liam.go(page.get_by_role("button", name="Clock in"))
        assert "Clocked in at 9:00" in liam.message()
        expect(page.get_by_text("Clocked in since")).to_be_visible()
        liam.screen("clocked in")
        journey.tour(liam, "phone-clocked-in")

        clock.shift(datetime.timedelta(hours=4, minutes=30))
        page.locator(".clock-card").get_by_label("Unpaid break (minutes)").fill("30")
        liam.go(page.get_by_role("button", name="Clock out"))
        assert "Clocked out. 4 h recorded." in liam.message()

        # He forgot to clock in yesterday: he adds the shift by hand.
        add = page.locator("#add")
        add.get_by_label("Date", exact=True).fill(tuesday.isoformat())
        add.get_by_label("Start", exact=True).fill("08:30")
        add.get_by_label("Finish", exact=True).fill("16:45")
        add.get_by_label("Unpaid break (minutes)").fill("45")
        add.get_by_label("Notes").fill("Forgot to clock in")
        liam.go(add.get_by_role("button", name="Add entry"))
        assert "7 h 30 m" in liam.message()
        assert page.locator(".week-total").inner_text() == "11 h 30 m"
        liam.go(page.get_by_role("button", name="Submit week (2 entries)"))
        assert "submitted" in liam.message().lower()
        liam.screen("week submitted")

        # The manager, also on a phone: approves the week, reopens one entry, approves again.
        manager = journey.person("manager", viewport=PHONE)
        page = manager.page
        manager.login(MANAGER)
        manager.go(page.get_by_role("link", name="Team view for this week"))
        assert page.locator(".stat-submitted strong").inner_text() == "2"
        manager.screen("team week on a phone")
        manager.go(page.get_by_role("button", name="Approve all submitted in this period (2)"))
        assert "approved" in manager.message().lower()

        manager.go(page.get_by_role("link", name="Liam Thompson"))
        assert page.locator(".badge-approved").count() >= 2
        manager.go(page.get_by_role("link", name="Reopen").first)
        manager.screen("reopen an entry")
        page.get_by_label("Why reopen this entry?").fill("The break was 30 minutes, not 45.")
        manager.go(page.get_by_role("button", name="Reopen as draft"))
        assert "reopened" in manager.message().lower()
        expect(page.get_by_text("The break was 30 minutes, not 45.")).to_be_visible()
        manager.go(page.get_by_role("button", name="Submit week (1 entry)"))
        assert "submitted" in manager.message().lower()
        manager.go(page.get_by_role("button", name="Approve all submitted (1)"))
        assert "approved" in manager.message().lower()
        assert page.locator(".badge-submitted").count() + page.locator(".badge-draft").count() == 2  # legend
        manager.screen("approved again")


# --- 3 ---------------------------------------------------------------------------------------------
XERO_USER = "xero@demo-cafe.test"
XERO_ORG = "Demo Cafe Pty Ltd (AU)"


def open_integrations(admin) -> None:
    """Settings > Integrations, through the menus, starting from the organisation picker."""
    page = admin.page
    admin.goto("/")
    admin.go(page.get_by_role("link", name="Demo Cafe Pty Ltd"))
    admin.go(page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings", exact=True))
    admin.go(page.get_by_role("navigation", name="Settings").get_by_role("link", name="Integrations"))


def sign_in_and_allow(admin, *, screens: bool) -> None:
    """On the sandbox's Xero pages: sign in (unless still signed in), pick the organisation, allow."""
    page = admin.page
    assert "/xero-sandbox/login/" in page.url
    if page.get_by_label("Email address").count():
        if screens:
            admin.screen("xero sign in")
        page.get_by_label("Email address").fill(XERO_USER)
        page.get_by_label("Password").fill(PASSWORD)
        admin.go(page.get_by_role("button", name="Log in"))
    expect(page.get_by_role("heading", name="wants access to your Xero data")).to_be_visible()
    page.get_by_label(XERO_ORG).check()
    if screens:
        admin.screen("xero consent")
    admin.go(page.get_by_role("button", name="Allow access"))


def connect_xero(admin, *, screens: bool = False) -> None:
    page = admin.page
    open_integrations(admin)
    if screens:
        admin.screen("integrations not connected")
    admin.go(page.get_by_role("button", name="Connect Xero Organisation"))
    sign_in_and_allow(admin, screens=screens)
    page.wait_for_url("**/o/demo-cafe/settings/integrations/")
    assert f"Connected to {XERO_ORG}" in admin.message()
    card = page.locator(".xero-card").first
    expect(card.locator(".badge", has_text="Connected")).to_be_visible()
    expect(card.get_by_text(XERO_ORG)).to_be_visible()


def test_journey_3_connect_xero(journey):
    seed()
    admin = journey.person("admin")
    admin.login(ADMIN)
    expect(admin.page.get_by_role("heading", name="Your organisations")).to_be_visible()
    connect_xero(admin, screens=True)
    admin.screen("xero connected")


# --- 4 ---------------------------------------------------------------------------------------------
def open_matching(admin) -> None:
    page = admin.page
    # The first check runs in the worker right after connecting (the page would follow its progress
    # and reload when it ends): let it finish first.
    wait_for_worker_idle()
    admin.go(page.get_by_role("navigation", name="Settings").get_by_role("link", name="Staff matching"))
    expect(page.get_by_text("Last checked")).to_be_visible()


def match_card(page, name: str):
    return page.locator("article.match").filter(has=page.get_by_role("heading", name=name, exact=True))


def test_journey_4_match_staff_to_xero_employees(journey):
    seed()
    admin = journey.person("admin")
    page = admin.page
    admin.login(ADMIN)
    connect_xero(admin)
    open_matching(admin)
    admin.go(page.get_by_role("link", name="Needs attention"))
    admin.screen("match report")
    journey.tour(admin, "staff-matching")

    # Confirm a close match: the accent differs ("Chloé" in Xero).
    chloe = match_card(page, "Chloe Martin")
    assert "differ only in accents" in chloe.inner_text()
    admin.go(chloe.get_by_role("button", name="Confirm"))
    assert "Chloe Martin" in admin.message()
    expect(match_card(page, "Chloe Martin")).to_have_count(0)  # no longer needs attention

    # Link by hand: Thomas is "Tom" in Xero.
    thomas = match_card(page, "Thomas White")
    thomas.get_by_label("Search Xero employees for Thomas White").fill("Tom")
    assert thomas.get_by_label("Xero employee for Thomas White").input_value()
    thomas.get_by_label("Xero employee for Thomas White").select_option(label="Tom White (30 May 2006)")
    admin.go(thomas.get_by_role("button", name="Link", exact=True))
    assert "Thomas White" in admin.message()
    expect(match_card(page, "Thomas White")).to_have_count(0)

    # A new starter who is not in Xero yet: add her, then create her in Xero from the report.
    admin.goto(f"{ORG}/staff/new/")
    page.get_by_label("First name").fill("Olivia")
    page.get_by_label("Last name").fill("Bennett")
    page.get_by_label("Date of birth").fill("1996-08-21")
    admin.go(page.get_by_role("button", name="Add staff member", exact=True))
    admin.goto(f"{ORG}/settings/integrations/staff-matching/?outcome=problems")
    admin.go(match_card(page, "Olivia Bennett").get_by_role("link", name="Create in Xero"))
    expect(page.get_by_role("heading", name="Create Olivia Bennett in Xero")).to_be_visible()
    expect(page.locator(".facts dd").nth(2)).to_have_text("21 Aug 1996")  # not /Date(...)/
    admin.screen("create in xero")
    admin.go(page.get_by_role("button", name="Create in Xero"))
    assert "Olivia Bennett" in admin.message()
    admin.goto(f"{ORG}/settings/integrations/staff-matching/?outcome=all")
    olivia = match_card(page, "Olivia Bennett")
    expect(olivia.locator(".record").nth(1).get_by_text("Bennett")).to_be_visible()  # linked to Xero's record
    admin.screen("match report after")


# --- 5 ---------------------------------------------------------------------------------------------
def connected_world(journey):
    """Demo data, Xero connected by the admin and the first staff matching done (the worker)."""
    seed()
    admin = journey.person("admin")
    admin.login(ADMIN)
    connect_xero(admin)
    wait_for_worker_idle()
    return admin


def oldest_demo_week() -> tuple[datetime.date, datetime.date]:
    from staff.demo import demo_weeks

    monday = demo_weeks(today=datetime.datetime.now(SYDNEY).date())[0]  # approved by the manager
    return monday, monday + datetime.timedelta(days=6)


def open_payroll(person) -> None:
    page = person.page
    main = page.get_by_role("navigation", name="Main")
    main.get_by_role("link", name="Timesheets", exact=True).hover()
    person.go(main.get_by_role("link", name="$Payroll"))


def choose(person, field: str, **option) -> None:
    """Pick in a select that submits its form on change (data-autosubmit)."""
    with person.page.expect_navigation():
        person.page.get_by_label(field).select_option(**option)
    person.page.wait_for_load_state()


def pick_period(person, start: datetime.date, end: datetime.date) -> None:
    page = person.page
    if page.get_by_label("Payroll calendar").locator("option:checked").inner_text() != "Weekly":
        choose(person, "Payroll calendar", label="Weekly")
    choose(person, "Pay period", value=f"{start.isoformat()}_{end.isoformat()}")


def share_to_payroll(person) -> None:
    page = person.page
    page.get_by_role("group").filter(has_text="Share").locator("summary").click()
    person.go(page.get_by_role("button", name="$Payroll", exact=True))
    assert "to Xero Payroll" in person.message()


def wait_for_push_to_finish(person) -> None:
    """The progress bar polls every second; when the push ends the page reloads with the results."""
    page = person.page
    page.locator("#push-progress:not([hx-get])").wait_for(timeout=30_000)
    page.wait_for_load_state()


def preview_row(page, name: str):
    return page.locator("tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def result_row(page, name: str):
    return page.locator("tr").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def sandbox_timesheets(person, start: datetime.date) -> list[dict]:
    """GET Timesheets from the sandbox's Payroll API with Timeclamp's own access token."""
    from django.conf import settings

    from integrations.models import XeroConnection
    from staff.models import Organization
    from timeclamp.tenancy import organization_scope

    organization = Organization.objects.get(slug="demo-cafe")
    with organization_scope(organization):
        connection = XeroConnection.objects.get(organization=organization)
    response = person.page.request.get(
        f"{settings.XERO_API_URL}/payroll.xro/1.0/Timesheets",
        headers={
            "Authorization": f"Bearer {connection.access_token}",
            "Xero-tenant-id": connection.tenant_id,
            "Accept": "application/json",
        },
    )
    assert response.ok, response.text()
    return response.json()["Timesheets"]


def test_journey_5_send_a_pay_period_to_xero(journey, settings):
    from xero_sandbox.control.api import terminate_employee
    from xero_sandbox.models import Employee as SandboxEmployee

    connected_world(journey)
    start, end = oldest_demo_week()
    manager = journey.person("manager")
    page = manager.page
    manager.login(MANAGER)
    open_payroll(manager)
    # The calendars come from Xero; the fortnightly one pays three people.
    choose(manager, "Payroll calendar", label="Fortnightly")
    expect(preview_row(page, "Ethan Brown")).to_contain_text("Paid on the Weekly calendar")
    expect(preview_row(page, "Hamish Campbell")).not_to_contain_text("Blocked")
    pick_period(manager, start, end)
    expect(page.get_by_role("rowheader", name="Ethan Brown")).to_be_visible()
    stats = page.locator(".stats").inner_text()
    assert "to send" in stats
    assert "blocked" in stats
    manager.screen("payroll preview")

    # While the manager reads the preview, someone in Xero terminates Ethan Brown by mistake: Xero
    # will refuse his timesheet. The sandbox also answers slowly, so the progress can be watched.
    ethan = SandboxEmployee.objects.get(first_name="Ethan", last_name="Brown")
    terminate_employee(ethan.employee_id)
    settings.XERO_SANDBOX_LIMITS = {**settings.XERO_SANDBOX_LIMITS, "latency_ms": 1200}
    share_to_payroll(manager)
    expect(page.get_by_role("heading", name="Push to Xero Payroll")).to_be_visible()
    page.locator("#push-progress[hx-get]").wait_for()  # still going: the bar is live
    page.screenshot(path=str(journey.next_shot("push in progress")), full_page=True)
    wait_for_push_to_finish(manager)
    settings.XERO_SANDBOX_LIMITS = {**settings.XERO_SANDBOX_LIMITS, "latency_ms": 0}

    assert page.locator("#push-progress progress").get_attribute("value") == "100"
    assert page.locator("#push-progress .badge").inner_text() == "Done with failures"
    failed = result_row(page, "Ethan Brown")
    assert failed.locator(".badge").inner_text() == "Failed"
    assert "terminated" in failed.inner_text().lower()
    sent_rows = page.locator("tr.item-sent")
    sent = sent_rows.count()
    assert sent >= 10
    manager.screen("push results")
    journey.tour(manager, "payroll-push-results")

    in_xero = sandbox_timesheets(manager, start)
    assert len(in_xero) == sent
    assert all(sheet["Status"] == "DRAFT" for sheet in in_xero)
    sent_ids = {row.locator("code").inner_text() for row in sent_rows.all()}
    assert {sheet["TimesheetID"] for sheet in in_xero} == sent_ids


# --- 6 ---------------------------------------------------------------------------------------------
def push_with_one_failure(journey) -> tuple:
    """Journey 5 without its screens: the oldest week sent, Ethan Brown refused by Xero."""
    from xero_sandbox.control.api import terminate_employee
    from xero_sandbox.models import Employee as SandboxEmployee

    admin = connected_world(journey)
    start, end = oldest_demo_week()
    open_payroll(admin)
    pick_period(admin, start, end)
    terminate_employee(SandboxEmployee.objects.get(first_name="Ethan", last_name="Brown").employee_id)
    share_to_payroll(admin)
    wait_for_push_to_finish(admin)
    assert result_row(admin.page, "Ethan Brown").locator(".badge").inner_text() == "Failed"
    return admin, start


def on_sandbox_control(person, action: str, **fields) -> None:
    """Submit one of the sandbox control page's forms (the page stands in for Xero's own screens)."""
    page = person.page
    form = page.locator(f"form:has(input[name=action][value={action}])")
    for label, value in fields.items():
        field = form.get_by_label(label)  # labels wrap their control here
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    person.go(form.get_by_role("button").first)
    assert page.get_by_role("status").inner_text() == f"Done: {action}"


def test_journey_6_revoked_access_reconnect_and_retry(journey):
    admin, start = push_with_one_failure(journey)
    failed_push_url = admin.page.url

    # In Xero: the bookkeeper reinstates Ethan, and someone removes Timeclamp's access.
    from xero_sandbox.models import Employee as SandboxEmployee

    ethan = SandboxEmployee.objects.get(first_name="Ethan", last_name="Brown")
    xero = journey.person("xero")
    xero.goto("/xero-sandbox/control/")
    on_sandbox_control(xero, "update_employee", Employee=str(ethan.employee_id), Status="ACTIVE")
    on_sandbox_control(xero, "revoke_grant")
    expect(xero.page.get_by_text("revoked").first).to_be_visible()
    xero.page.screenshot(path=str(journey.next_shot("xero access revoked")), full_page=True)

    # The admin's next action, retrying Ethan, meets the revocation: "Reconnect required".
    page = admin.page
    admin.goto(failed_push_url.removeprefix(journey.url))
    admin.go(page.get_by_role("button", name="Retry failed"))
    wait_for_push_to_finish(admin)
    banner = page.get_by_role("alert").filter(has_text="Reconnect required")
    expect(banner).to_be_visible()
    assert page.locator("#push-progress .badge").inner_text() == "Reconnect required"
    admin.screen("reconnect required")

    admin.go(banner.get_by_role("link", name="Open Settings > Integrations"))
    card = page.locator(".xero-card").first
    expect(card.locator(".badge", has_text="Reconnect required")).to_be_visible()
    admin.screen("integrations reconnect")
    admin.go(card.get_by_role("button", name="Reconnect Xero"))
    sign_in_and_allow(admin, screens=False)
    page.wait_for_url("**/o/demo-cafe/settings/integrations/")
    assert f"Connected to {XERO_ORG}" in admin.message()
    expect(page.get_by_role("alert").filter(has_text="Reconnect required")).to_have_count(0)

    # Back to the push that stopped, and again: only what Xero lacks is sent, Ethan included.
    open_payroll(admin)
    pick_period(admin, start, start + datetime.timedelta(days=6))
    admin.go(page.get_by_role("link", name=re.compile(r"^Reconnect required, ")))
    admin.go(page.get_by_role("button", name="Retry failed"))
    assert "Retrying" in admin.message()
    wait_for_push_to_finish(admin)
    assert page.locator("#push-progress .badge").inner_text() == "Done"
    assert result_row(page, "Ethan Brown").locator(".badge").inner_text() == "Sent"
    admin.screen("retry succeeded")
    in_xero = sandbox_timesheets(admin, start)
    with_timesheet = page.locator("tr.item-sent code, tr.item-updated code")
    assert {sheet["TimesheetID"] for sheet in in_xero} == {code.inner_text() for code in with_timesheet.all()}
    assert len({sheet["EmployeeID"] for sheet in in_xero}) == len(in_xero)  # nobody has two


# --- 7 ---------------------------------------------------------------------------------------------
def demo_ids() -> dict[str, int]:
    from staff.models import Organization, StaffMember
    from timeclamp.tenancy import organization_scope
    from timesheets.models import TimeEntry

    organization = Organization.objects.get(slug="demo-cafe")
    with organization_scope(organization):
        ethan = StaffMember.objects.get(organization=organization, first_name="Ethan", last_name="Brown")
        liam = StaffMember.objects.get(organization=organization, first_name="Liam", last_name="Thompson")
        return {
            "ethan": ethan.pk,
            "liam": liam.pk,
            "ethan_entry": TimeEntry.objects.filter(organization=organization, staff_member=ethan).first().pk,
        }


def assert_not_found(person, path: str) -> None:
    person.expect_status(404, path)
    response = person.goto(path)
    assert response.status == 404, f"{person.name} reached {path} ({response.status})"
    expect(person.page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_journey_7_nobody_reaches_what_is_not_theirs(journey):
    from staff.services import organization_create, user_signup

    seed()
    ids = demo_ids()

    # A staff member: their own week only. No Staff, Team, $Payroll or Settings in the menu either.
    liam = journey.person("staff")
    page = liam.page
    liam.login(STAFF)
    main = page.get_by_role("navigation", name="Main")
    assert [link.inner_text() for link in main.get_by_role("link").all()] == ["Timesheets"]
    for path in (
        f"{ORG}/settings/",
        f"{ORG}/settings/members/",
        f"{ORG}/settings/integrations/",
        f"{ORG}/staff/",
        f"{ORG}/timesheets/team/",
        f"{ORG}/timesheets/payroll/",
        f"{ORG}/timesheets/staff/{ids['ethan']}/",
        f"{ORG}/timesheets/entries/{ids['ethan_entry']}/edit/",
    ):
        assert_not_found(liam, path)
    liam.screen("staff meets a 404")
    liam.goto(f"{ORG}/timesheets/?staff_member={ids['ethan']}")
    expect(page.get_by_role("heading", name="Liam Thompson")).to_be_visible()  # never someone else's week

    # Someone from another business: nothing of Demo Cafe, not even that it exists.
    other = user_signup(email="owner@otherbakery.test", password=PASSWORD, full_name="Pat Other")
    organization_create(
        name="Other Bakery", slug="other-bakery", timezone_name="Australia/Perth", created_by=other
    )
    outsider = journey.person("outsider")
    page = outsider.page
    outsider.login("owner@otherbakery.test")
    assert "/o/other-bakery/" in page.url
    page.get_by_role("group").locator("summary").click()
    assert "Demo Cafe" not in page.locator(".menu-panel").inner_text()
    for path in (
        f"{ORG}/",
        f"{ORG}/timesheets/",
        f"{ORG}/timesheets/team/",
        f"{ORG}/timesheets/payroll/",
        f"{ORG}/timesheets/staff/{ids['liam']}/",
        f"{ORG}/timesheets/entries/{ids['ethan_entry']}/reopen/",
        f"{ORG}/staff/",
        f"{ORG}/staff/{ids['liam']}/edit/",
        f"{ORG}/settings/",
        f"{ORG}/settings/integrations/",
        f"{ORG}/settings/integrations/staff-matching/",
        "/o/no-such-business/",
    ):
        assert_not_found(outsider, path)
    outsider.screen("outsider meets a 404")
