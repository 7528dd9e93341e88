"""manage.py sandbox_seed: two organisations mirroring the Timeclamp demo staff, with deliberate
real-world differences; idempotent."""

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command

from staff import demo
from xero_sandbox.management.commands import sandbox_seed
from xero_sandbox.models import EarningsRate, Employee, OAuthApp, Organisation, PayrollCalendar, SandboxUser

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

TODAY = datetime.date(2026, 3, 4)  # a Wednesday


def seed(**kwargs) -> str:
    out = io.StringIO()
    call_command("sandbox_seed", today=TODAY.isoformat(), stdout=out, **kwargs)
    return out.getvalue()


def cafe_employees():
    return Employee.objects.filter(organisation__name="Demo Cafe Pty Ltd (AU)")


def named(first, last=None):
    qs = cafe_employees().filter(first_name__icontains=first)
    if last:
        qs = qs.filter(last_name__icontains=last)
    return list(qs)


def test_seed_creates_both_organisations_for_the_sandbox_user():
    output = seed()
    user = SandboxUser.objects.get(email="xero@demo-cafe.test")
    assert user.check_password("timeclamp-demo")
    names = set(Organisation.objects.values_list("name", flat=True))
    assert names == {"Demo Cafe Pty Ltd (AU)", "Harbour Bakery (AU)"}
    for organisation in Organisation.objects.all():
        assert user in organisation.users.all()
        assert user in organisation.payroll_admins.all()
    assert OAuthApp.objects.filter(client_id=settings.XERO_CLIENT_ID).exists()
    assert "xero@demo-cafe.test / timeclamp-demo" in output
    assert "created  employee 'Tom White'" in output


def test_seed_is_idempotent():
    seed()
    counts = (Organisation.objects.count(), Employee.objects.count(), PayrollCalendar.objects.count())
    tenant_ids = set(Organisation.objects.values_list("tenant_id", flat=True))
    output = seed()
    assert (Organisation.objects.count(), Employee.objects.count(), PayrollCalendar.objects.count()) == counts
    assert set(Organisation.objects.values_list("tenant_id", flat=True)) == tenant_ids
    assert "created  " not in output


def test_calendars_and_earnings_rates():
    seed()
    calendars = {
        c.name: c for c in PayrollCalendar.objects.filter(organisation__name__startswith="Demo Cafe")
    }
    assert {n: c.calendar_type for n, c in calendars.items()} == {
        "Weekly": "WEEKLY",
        "Fortnightly": "FORTNIGHTLY",
        "Monthly": "MONTHLY",
    }
    assert calendars["Weekly"].start_date == datetime.date(2026, 3, 2)  # this week's Monday
    assert calendars["Monthly"].start_date == datetime.date(2026, 3, 1)
    rates = EarningsRate.objects.filter(organisation__name__startswith="Demo Cafe", current_record=True)
    assert {(r.name, r.earnings_type) for r in rates} == {
        ("Ordinary Hours", "ORDINARYTIMEEARNINGS"),
        ("Overtime Hours (exempt from super)", "OVERTIMEEARNINGS"),
    }


def test_employees_mirror_the_demo_staff_with_deliberate_differences():
    seed()
    staff = {row["employee_code"]: row for row in demo.DEMO_STAFF}
    # One extra Xero-only employee and one duplicate: two more than Timeclamp has.
    assert cafe_employees().count() == len(staff) + 2
    exact = named("Charlotte")[0]
    assert (exact.middle_names, exact.date_of_birth) == ("Anne", staff["DC001"]["date_of_birth"])
    assert named("Aarav")[0].middle_names == "Kumar"
    assert named("Georgios")[0].date_of_birth == staff["DC007"]["date_of_birth"] - datetime.timedelta(days=1)
    isabella = named("Isabella")[0]
    assert (isabella.status, isabella.termination_date is not None) == ("TERMINATED", True)
    noahs = named("Noah", "Anderson")
    assert len(noahs) == 2
    assert noahs[0].date_of_birth == noahs[1].date_of_birth
    assert named("Wei")[0].payroll_calendar is None
    assert named("Chlo")[0].first_name == "Chloé"
    assert named("Ruby")[0].last_name == "O\u2019Brien"
    assert named("Oliver")[0].last_name == "SMITH"
    matthew = named("Matthew")[0]
    assert matthew.last_name != "Kelly"
    assert matthew.last_name.strip() == "Kelly"
    assert named("Tom", "White")
    assert not named("Thomas")
    assert named("Priya", "Raman")[0].payroll_calendar.calendar_type == "MONTHLY"
    calendars = [e.payroll_calendar.calendar_type for e in cafe_employees() if e.payroll_calendar]
    assert calendars.count("WEEKLY") > len(calendars) / 2
    assert 1 <= calendars.count("FORTNIGHTLY") <= 5
    bakery = Employee.objects.filter(organisation__name="Harbour Bakery (AU)")
    assert bakery.count() == len(demo.DEMO_SECOND_ORGANIZATION_STAFF)


def test_seed_tolerates_missing_or_partial_demo_data(monkeypatch):
    monkeypatch.setattr(
        demo,
        "DEMO_STAFF",
        [{"first_name": "Only", "last_name": "One", "date_of_birth": datetime.date(1990, 1, 1)}],
    )
    monkeypatch.setattr(demo, "DEMO_SECOND_ORGANIZATION_STAFF", [])
    seed()
    assert {e.first_name for e in cafe_employees()} == {"Only", "Priya"}
    monkeypatch.setattr(sandbox_seed, "_demo_lists", lambda: ([], []))
    assert "DEMO_STAFF not found" in seed()
