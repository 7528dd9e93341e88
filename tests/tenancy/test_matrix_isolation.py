"""Reliability matrix §8, "Isolation" I1-I3, I8, I9, I11: the figures each row's pass criterion names.

I1 reuses the URL sweep of tests/tenancy/test_isolation.py (its route walker, object builders and
snapshot), for the methods that test leaves out. Rows that talk to Xero run against the in-repo
sandbox in-process, with every request the product sends towards Xero counted at the one seam
(integrations.services.xero_factory.http_session_factory).
"""

import collections
import datetime
import re
import uuid
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.governor import DatabaseGovernor
from integrations.models import (
    PayrollPush,
    XeroConnection,
    XeroEarningsRate,
    XeroEmployee,
    XeroPayrollCalendar,
)
from integrations.periods import period_containing
from integrations.services import xero_factory
from integrations.services.payroll import payroll_push_request
from integrations.services.payroll_setup import payroll_calendars_refresh
from integrations.tasks import payroll_push_execute_task
from staff.models import AuditEvent, Membership, Organization, Role, StaffMember, User
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    StaffMemberFactory,
    TimeEntryFactory,
    UserFactory,
)
from tests.integrations.sandbox_world import connect, make_world
from tests.sandbox_http import XeroTraffic
from tests.tenancy.test_isolation import OBJECT_BUILDERS, _fill, _snapshot, organization_routes
from timeclamp.tenancy import organization_scope, unscoped
from timesheets.models import TimeEntry
from xero_sandbox.models import RequestLog

PASSWORD = "correct horse battery staple"  # the factories' password


# --- the Xero seam, counted -----------------------------------------------------------------------
@pytest.fixture
def world(monkeypatch, tmp_path, settings, django_capture_on_commit_callbacks):
    """Demo Cafe connected to the Xero sandbox (its admin logged in) and Harbour Bakery, a second
    organisation of the same admin, with one object of every kind the forms below take an id of."""
    cafe, client = make_world(monkeypatch, tmp_path, settings)
    traffic = XeroTraffic()
    monkeypatch.setattr(xero_factory, "http_session_factory", traffic.session)
    monkeypatch.setattr(xero_factory, "_governor", DatabaseGovernor(tmp_path / "governor-i.sqlite3"))
    connect(client, cafe, django_capture_on_commit_callbacks)
    with organization_scope(cafe):
        calendars = payroll_calendars_refresh(organization=cafe)
    bakery = Organization.objects.get(slug="harbour-bakery")
    with unscoped():
        b = SimpleNamespace(
            organization=bakery,
            staff=StaffMember.all_organizations.filter(organization=bakery).order_by("pk").first(),
            calendar=XeroPayrollCalendar.all_organizations.create(
                organization=bakery,
                tenant_id=str(uuid.uuid4()),
                calendar_id=str(uuid.uuid4()),
                name="Bakery weekly",
                calendar_type="WEEKLY",
                start_date=calendars[0].start_date,
                payment_date=calendars[0].payment_date,
            ),
            rate=XeroEarningsRate.all_organizations.create(
                organization=bakery, tenant_id="b", earnings_rate_id=str(uuid.uuid4()), name="Bakery overtime"
            ),
            employee=XeroEmployee.all_organizations.create(
                organization=bakery,
                tenant_id="b",
                employee_id=str(uuid.uuid4()),
                first_name="Bea",
                last_name="Qzbakeronly",
            ),
        )
        b.entry = TimeEntryFactory(staff_member=b.staff, status=TimeEntry.Status.SUBMITTED)
        b.user = MembershipFactory(organization=bakery, role=Role.STAFF).user
    traffic.requests.clear()
    with organization_scope(cafe):
        tenant_id = XeroConnection.objects.get(organization=cafe).tenant_id
    return SimpleNamespace(
        cafe=cafe, client=client, traffic=traffic, calendars=calendars, b=b, tenant_id=tenant_id
    )


def _messages(response) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]


def _bakery_snapshot(world) -> list:
    with unscoped():
        return _snapshot(world.b.organization)


# --- I1 -------------------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_i1_put_patch_delete_on_every_organisation_url_with_another_organisations_ids(
    client, method, other_organization
):
    """Every o/<org_slug>/ route (100%: the sweep fails on a route it cannot fill), as an admin of A
    with B's ids in the URL and in a form body. Routes with an id: 0 answers other than 404 or 405.
    Routes without one act on A's own pages: 405 (no page takes these methods). B's and A's snapshots of every organisation-owned table are unchanged."""
    with unscoped():
        org_a = OrganizationFactory(slug="org-a")
        admin_a = MembershipFactory(organization=org_a, role=Role.ADMIN)
        StaffMemberFactory(organization=org_a, user=admin_a.user)
        b_ids = {name: build(other_organization) for name, build in OBJECT_BUILDERS.items()}
        before = (_snapshot(other_organization), _snapshot(org_a))
    client.force_login(admin_a.user)
    body = urlencode({**b_ids, "staff_member": b_ids["staff_member_id"], "entry": b_ids["entry_id"]})
    with_ids, without_ids = {}, {}
    for route, _pattern in organization_routes():
        url = _fill(route, org_a.slug, b_ids)
        response = getattr(client, method)(url, body, content_type="application/x-www-form-urlencoded")
        has_id = any(f":{kind}>" in route for kind in OBJECT_BUILDERS)
        answer = (response.status_code, response.get("Location", ""))
        (with_ids if has_id else without_ids)[url] = answer
    assert len(with_ids) + len(without_ids) == len(organization_routes()) >= 25
    assert len(with_ids) >= 12
    assert {url: a for url, a in with_ids.items() if a[0] not in (404, 405)} == {}
    assert {url: a for url, a in without_ids.items() if a[0] != 405} == {}
    with unscoped():
        assert (_snapshot(other_organization), _snapshot(org_a)) == before


# --- I2 -------------------------------------------------------------------------------------------
@pytest.mark.django_db(databases=["default", "xero_sandbox"])
def test_i2_foreign_ids_in_query_strings_never_show_the_other_organisations_rows(world):
    """B's staff id, name, slug, Xero employee and calendar id in the list filters and query parameters
    of 9 of A's pages: 0 of B's rows on any page (B's staff member, calendar and Xero employee never
    appear), the week picker answers 404 for B's staff id, and no call reaches Xero for B's tenant."""
    cafe, client, b = world.cafe, world.client, world.b
    logged_before = RequestLog.objects.count()
    name = f"{b.staff.first_name} {b.staff.last_name}"
    with organization_scope(cafe):
        assert not StaffMember.objects.filter(
            first_name=b.staff.first_name, last_name=b.staff.last_name
        ).exists()
    base = f"/o/{cafe.slug}"
    pages = {
        "staff list ?q=": (f"{base}/staff/", {"q": b.staff.last_name}),
        "staff list ?organization=": (
            f"{base}/staff/",
            {"organization": b.organization.slug, "archived": "1"},
        ),
        "staff list ?organisation=": (f"{base}/staff/", {"organisation": b.organization.pk}),
        "staff list ?staff_member=": (f"{base}/staff/", {"staff_member": b.staff.pk, "employee": b.staff.pk}),
        "team ?staff_member=": (f"{base}/timesheets/team/", {"staff_member": b.staff.pk}),
        "team ?organization=": (f"{base}/timesheets/team/", {"organization": b.organization.slug}),
        "matching ?outcome=": (
            f"{base}/settings/integrations/staff-matching/",
            {"outcome": "all", "employee": b.employee.employee_id},
        ),
        "payroll ?calendar=": (f"{base}/timesheets/payroll/", {"calendar": b.calendar.calendar_id}),
        "members ?organization=": (f"{base}/settings/members/", {"organization": b.organization.pk}),
    }
    for label, (url, query) in pages.items():
        response = client.get(url, query)
        assert response.status_code == 200, label
        page = response.content.decode()
        assert name not in page, label
        assert b.calendar.name not in page, label
        assert b.employee.last_name not in page, label
    # A manager's week picker with B's staff id: the one-404 rule, not a redirect to B's week.
    response = client.get(f"{base}/timesheets/", {"staff_member": b.staff.pk})
    assert response.status_code == 404
    tenants = set(RequestLog.objects.order_by("pk")[logged_before:].values_list("tenant_id", flat=True))
    assert tenants <= {"", world.tenant_id}


@pytest.mark.django_db(databases=["default", "xero_sandbox"])
def test_i2_foreign_ids_in_request_bodies_create_and_change_nothing(world):
    """B's calendar, earnings rate, Xero employee, staff member, entry and login ids in the bodies of
    A's push form, payroll settings, matching link, approve, submit, staff create and entry create:
    every one refused, 0 rows created in A, B's snapshot unchanged, 0 requests to Xero."""
    cafe, client, b = world.cafe, world.client, world.b
    base = f"/o/{cafe.slug}"
    with organization_scope(cafe):
        a_staff = StaffMember.objects.filter(organization=cafe).order_by("pk").first()
        counts_before = _a_counts(cafe)
    b_before = _bakery_snapshot(world)
    weekly = next(c for c in world.calendars if c.calendar_type == "WEEKLY")
    p = period_containing(calendar_type="WEEKLY", start_date=weekly.start_date, day=cafe.today())
    period = f"{p.start.isoformat()}_{p.end.isoformat()}"
    week = cafe.today().strftime("%G-W%V")

    refused = {}
    response = client.post(
        f"{base}/timesheets/payroll/push/", {"calendar": b.calendar.calendar_id, "period": period}
    )
    refused["push form: B's calendar"] = "/pushes/" not in response["Location"] and bool(_messages(response))
    response = client.post(
        f"{base}/settings/integrations/payroll/",
        {
            "send_as": "DRAFT",
            "overtime_after_hours": "8",
            "overtime_earnings_rate_id": b.rate.earnings_rate_id,
        },
    )
    refused["payroll settings: B's earnings rate"] = any("earnings rate" in m for m in _messages(response))
    response = client.post(
        f"{base}/settings/integrations/staff-matching/{a_staff.pk}/link/",
        {"employee_id": b.employee.employee_id},
    )
    refused["matching link: B's Xero employee"] = response.status_code in (302, 404) and not any(
        "now linked" in m for m in _messages(response)
    )
    response = client.post(f"{base}/timesheets/entries/approve/", {"entry": b.entry.pk})
    refused["approve: B's entry"] = not any(m.startswith("Approved") for m in _messages(response))
    response = client.post(
        f"{base}/timesheets/entries/approve/",
        {
            "scope": "selected",
            "staff_member": b.staff.pk,
            "start": b.entry.work_date,
            "end": b.entry.work_date,
        },
    )
    refused["approve: B's staff member"] = not any(m.startswith("Approved") for m in _messages(response))
    response = client.post(f"{base}/timesheets/submit/", {"week": week, "staff_member": b.staff.pk})
    refused["submit: B's staff member"] = response.status_code == 404
    response = client.post(
        f"{base}/staff/new/",
        {"first_name": "Eve", "last_name": "Intruder", "date_of_birth": "1990-01-01", "user": b.user.pk},
    )
    refused["staff create: B's login"] = response.status_code == 200 and bool(
        response.context["form"].errors.get("user")
    )
    response = client.post(
        f"{base}/timesheets/staff/{a_staff.pk}/entries/add/",
        {
            "work_date": (cafe.today() - datetime.timedelta(days=400)).isoformat(),
            "start_time": "09:00",
            "end_time": "10:00",
            "break_minutes": "0",
            "staff_member": b.staff.pk,
            "organization": b.organization.pk,
        },
    )
    refused["entry create: B's staff member in the body"] = response.status_code == 200

    assert refused == dict.fromkeys(refused, True)
    with organization_scope(cafe):
        assert _a_counts(cafe) == counts_before
    assert _bakery_snapshot(world) == b_before
    with unscoped():
        assert TimeEntry.all_organizations.get(pk=b.entry.pk).status == TimeEntry.Status.SUBMITTED
    assert world.traffic.requests == []


def _a_counts(organization) -> dict[str, int]:
    from integrations.models import PayrollSettings, StaffXeroLink

    return {
        "pushes": PayrollPush.objects.filter(organization=organization).count(),
        "links": StaffXeroLink.objects.filter(organization=organization).count(),
        "staff": StaffMember.objects.filter(organization=organization).count(),
        "entries": TimeEntry.objects.filter(organization=organization).count(),
        "approved": TimeEntry.objects.filter(organization=organization, status="approved").count(),
        "overtime set": PayrollSettings.objects.filter(
            organization=organization, overtime_after_minutes__isnull=False
        ).count(),
    }


# --- I3 -------------------------------------------------------------------------------------------
def _push_row(push_id: int) -> dict:
    with unscoped():
        return PayrollPush.all_organizations.filter(pk=push_id).values().get()


@pytest.mark.django_db(databases=["default", "xero_sandbox"])
def test_i3_a_task_with_another_organisations_push_id_touches_nothing_of_theirs(
    world, django_capture_on_commit_callbacks
):
    """payroll_push_execute_task sent with organization_id=Harbour Bakery and push_id of Demo Cafe's
    waiting push: it fails closed (DoesNotExist), Demo Cafe's push row is unchanged, 0 requests reach
    Xero, and every query of the push table ran with the bakery's organisation id (0 with the cafe's,
    0 writes). Control: the same task with the cafe's own id sends the push."""
    cafe, b = world.cafe, world.b
    weekly = next(c for c in world.calendars if c.calendar_type == "WEEKLY")
    p = period_containing(
        calendar_type="WEEKLY", start_date=weekly.start_date, day=cafe.today() - datetime.timedelta(days=7)
    )
    with organization_scope(cafe), django_capture_on_commit_callbacks(execute=False):
        push, created = payroll_push_request(
            organization=cafe, actor=User.objects.get(email="admin@demo-cafe.test"), calendar=weekly, period=p
        )
    assert created
    before = _push_row(push.pk)
    logged_before = RequestLog.objects.count()
    world.traffic.requests.clear()

    with CaptureQueriesContext(db_connection) as queries, pytest.raises(PayrollPush.DoesNotExist):
        payroll_push_execute_task.apply(kwargs={"organization_id": b.organization.pk, "push_id": push.pk})

    assert _push_row(push.pk) == before
    assert world.traffic.requests == []
    assert RequestLog.objects.count() == logged_before
    push_queries = [q["sql"] for q in queries if "integrations_payrollpush" in q["sql"]]
    assert push_queries  # the task did look, and only inside the bakery
    for sql in push_queries:
        assert re.search(rf'"organization_id" = {b.organization.pk}\b', sql), sql
        assert not re.search(rf'"organization_id" = {cafe.pk}\b', sql), sql
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]
    assert writes == []

    payroll_push_execute_task.apply(kwargs={"organization_id": cafe.pk, "push_id": push.pk})
    assert _push_row(push.pk)["status"] in (PayrollPush.Status.SUCCEEDED, PayrollPush.Status.PARTIAL)
    assert world.traffic.requests


# --- I8 -------------------------------------------------------------------------------------------
def _login(client: Client, email: str, password: str, ip: str):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_i8_lockout_lasts_the_cool_off_and_is_per_username_and_ip(settings, time_machine):
    """5 failures lock (username, IP): the right password is refused (429) until the cool-off
    (AXES_COOLOFF_TIME, 15 min) and accepted at cool-off + 1 s. Meanwhile the same user from another
    IP and another user from the same IP are not locked. A refused attempt during the lockout starts
    the cool-off again (django-axes' AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, on by default): the
    user who tries once more at cool-off - 1 s is let in at that moment + cool-off + 1 s."""
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    cool_off = settings.AXES_COOLOFF_TIME
    assert cool_off == datetime.timedelta(minutes=15)
    second = datetime.timedelta(seconds=1)
    start = datetime.datetime(2026, 3, 4, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    patient, impatient = UserFactory(email="patient@example.com"), UserFactory(email="impatient@example.com")
    bystander = UserFactory(email="bystander@example.com")
    attacker_ip, other_ip = "203.0.113.7", "198.51.100.9"

    for victim in (patient, impatient):
        statuses = [_login(Client(), victim.email, "wrong", attacker_ip).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        locked = Client()
        assert _login(locked, victim.email, PASSWORD, attacker_ip).status_code == 429
        assert "_auth_user_id" not in locked.session
    assert _login(Client(), patient.email, PASSWORD, other_ip).status_code == 302  # same user, other IP
    assert _login(Client(), bystander.email, PASSWORD, attacker_ip).status_code == 302  # other user, same IP

    time_machine.move_to(start + cool_off - second, tick=False)
    assert _login(Client(), impatient.email, PASSWORD, attacker_ip).status_code == 429  # still locked
    time_machine.move_to(start + cool_off + second, tick=False)
    allowed = Client()
    assert _login(allowed, patient.email, PASSWORD, attacker_ip).status_code == 302
    assert int(allowed.session["_auth_user_id"]) == patient.pk
    time_machine.move_to(start + cool_off - second + cool_off + second, tick=False)
    assert _login(Client(), impatient.email, PASSWORD, attacker_ip).status_code == 302


# --- I9 -------------------------------------------------------------------------------------------
def _hsts_max_age(value: str) -> int:
    match = re.search(r"max-age=(\d+)", value)
    return int(match.group(1)) if match else 0


@pytest.mark.django_db
def test_i9_ten_html_pages_carry_hsts_csp_without_unsafe_inline_and_referrer_policy(settings, organization):
    """With DEBUG off, 10 HTML pages (8 signed in as an admin, login and signup signed out): 10/10
    have HSTS max-age >= 31,536,000, a CSP with no 'unsafe-inline' (nor 'unsafe-eval'), and a
    Referrer-Policy."""
    settings.DEBUG = False
    admin = MembershipFactory(organization=organization, role=Role.ADMIN)
    StaffMemberFactory(organization=organization, user=admin.user)
    signed_in = Client()
    signed_in.force_login(admin.user)
    base = f"/o/{organization.slug}"
    pages = {
        "staff list": (signed_in, f"{base}/staff/"),
        "timesheets week": (signed_in, f"{base}/timesheets/"),
        "team": (signed_in, f"{base}/timesheets/team/"),
        "payroll": (signed_in, f"{base}/timesheets/payroll/"),
        "integrations": (signed_in, f"{base}/settings/integrations/"),
        "matching": (signed_in, f"{base}/settings/integrations/staff-matching/"),
        "members": (signed_in, f"{base}/settings/members/"),
        "organisation settings": (signed_in, f"{base}/settings/"),
        "login": (Client(), "/accounts/login/"),
        "signup": (Client(), "/accounts/signup/"),
    }
    failures = {}
    for name, (client, url) in pages.items():
        response = client.get(url, secure=True)
        csp = response.headers.get("Content-Security-Policy", "")
        checks = {
            "200 HTML": response.status_code == 200 and response["Content-Type"].startswith("text/html"),
            "HSTS": _hsts_max_age(response.headers.get("Strict-Transport-Security", "")) >= 31_536_000,
            "CSP": bool(csp) and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp,
            "Referrer-Policy": response.headers.get("Referrer-Policy")
            in ("same-origin", "strict-origin", "no-referrer"),
        }
        failed = [check for check, ok in checks.items() if not ok]
        if failed:
            failures[name] = failed
    assert len(pages) == 10
    assert failures == {}


# --- I11 ------------------------------------------------------------------------------------------
def _actions(organization) -> collections.Counter:
    with unscoped():
        return collections.Counter(
            AuditEvent.all_organizations.filter(organization=organization).values_list("action", flat=True)
        )


AUDITED = (
    "xero.connected",
    "xero.disconnected",
    "payroll.push_requested",
    "payroll.push_finished",
    "access.denied",
)


@pytest.mark.django_db(databases=["default", "xero_sandbox"])
def test_i11_connect_push_disconnect_and_a_denial_are_each_audited_exactly_once(
    monkeypatch, tmp_path, settings, django_capture_on_commit_callbacks
):
    """Scripted through the real views against the sandbox: connect → 1 xero.connected; a push
    requested and run to the end → 1 payroll.push_requested and 1 payroll.push_finished; disconnect →
    1 xero.disconnected; a staff member opening the integrations page → 1 access.denied. Each step
    adds exactly its own row(s) among these actions, and nothing else of them."""
    cafe, client = make_world(monkeypatch, tmp_path, settings)
    monkeypatch.setattr(xero_factory, "_governor", DatabaseGovernor(tmp_path / "governor-a.sqlite3"))
    deltas = {}

    def step(name, action):
        before = _actions(cafe)
        action()
        after = _actions(cafe)
        deltas[name] = {a: after[a] - before[a] for a in AUDITED if after[a] != before[a]}

    step("connect", lambda: connect(client, cafe, django_capture_on_commit_callbacks))
    with organization_scope(cafe):
        calendars = payroll_calendars_refresh(organization=cafe)
    weekly = next(c for c in calendars if c.calendar_type == "WEEKLY")
    p = period_containing(
        calendar_type="WEEKLY", start_date=weekly.start_date, day=cafe.today() - datetime.timedelta(days=7)
    )

    def push():
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/o/{cafe.slug}/timesheets/payroll/push/",
                {"calendar": weekly.calendar_id, "period": f"{p.start.isoformat()}_{p.end.isoformat()}"},
            )
        assert "/pushes/" in response["Location"]

    step("push", push)
    step("disconnect", lambda: client.post(f"/o/{cafe.slug}/settings/integrations/xero/disconnect/"))
    staff = Membership.objects.filter(organization=cafe, role=Role.STAFF).first()
    denied = Client()
    denied.force_login(staff.user)
    step("denied", lambda: denied.get(f"/o/{cafe.slug}/settings/integrations/"))

    assert deltas == {
        "connect": {"xero.connected": 1},
        "push": {"payroll.push_requested": 1, "payroll.push_finished": 1},
        "disconnect": {"xero.disconnected": 1},
        "denied": {"access.denied": 1},
    }
    with organization_scope(cafe):
        assert PayrollPush.objects.get().status in (PayrollPush.Status.SUCCEEDED, PayrollPush.Status.PARTIAL)
        assert XeroConnection.objects.get().status == XeroConnection.Status.DISCONNECTED
