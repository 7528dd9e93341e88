"""Seed the Xero sandbox with two demo organisations whose employees mirror Timeclamp's demo staff,
with the deliberate differences real payroll data has. Idempotent: it creates what is missing and
leaves existing rows (and any changes made on the control page) alone.

    manage.py sandbox_seed [--today YYYY-MM-DD]

Xero login: xero@demo-cafe.test / timeclamp-demo (payroll admin of both organisations).

Differences from staff/demo.py's DEMO_STAFF (by employee_code; a code that is missing is skipped):
    DC005  middle name only in Xero ("Kumar")
    DC007  date of birth one day earlier in Xero (the UTC-midnight shift bug)
    DC008  terminated in Xero
    DC009  two Xero employees with the same name and date of birth (a duplicate)
    DC010  accent: "Chloé" in Xero
    DC011  no payroll calendar in Xero
    DC012  typographic apostrophe: "O\u2019Brien"
    DC013  case: "SMITH"
    DC015  extra spaces around the names
    DC021  nickname: "Tom" for Thomas
    DC017-DC019 on the Fortnightly calendar; everyone else Weekly
    + "Priya Raman": in Xero only (Monthly calendar)
IDs are stable (uuid5), so the same seed gives the same tenant/employee ids on every machine.
"""

import datetime
import importlib
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from xero_sandbox.models import EarningsRate, Employee, Organisation, PayrollCalendar, SandboxUser
from xero_sandbox.router import SANDBOX_DB

SEED_NAMESPACE = uuid.UUID("0b5f3f7e-8f4e-4f61-b1a2-6c1d2a9e7c31")
SANDBOX_EMAIL = "xero@demo-cafe.test"
SANDBOX_PASSWORD = "timeclamp-demo"  # noqa: S105 - public demo password, printed by the command
DEMO_CAFE = ("demo-cafe", "Demo Cafe Pty Ltd (AU)")
HARBOUR_BAKERY = ("harbour-bakery", "Harbour Bakery (AU)")
FORTNIGHTLY_CODES = {"DC017", "DC018", "DC019"}
XERO_ONLY = [
    {
        "key": "xero-only-priya",
        "first_name": "Priya",
        "middle_names": "",
        "last_name": "Raman",
        "date_of_birth": datetime.date(1989, 5, 21),
        "email": "priya.raman@example.com",
        "start_date": datetime.date(2024, 9, 2),
        "calendar": "monthly",
        "note": "in Xero only (no Timeclamp counterpart)",
    }
]


def stable_uuid(*parts: str) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, "|".join(parts))


def _demo_lists() -> tuple[list[dict], list[dict]]:
    """DEMO_STAFF and DEMO_SECOND_ORGANIZATION_STAFF from staff/demo.py (the sandbox may read product
    data files; the reverse is forbidden). Missing: empty lists, the seed still makes the rest."""
    try:
        demo = importlib.import_module("staff.demo")
    except ImportError:
        return [], []
    return list(getattr(demo, "DEMO_STAFF", []) or []), list(
        getattr(demo, "DEMO_SECOND_ORGANIZATION_STAFF", []) or []
    )


def _accented(name: str) -> str:
    """Chloe -> Chloé: the last "e" gets an acute accent (or the first "a", failing that)."""
    if "e" in name:
        i = name.rindex("e")
        return name[:i] + "é" + name[i + 1 :]
    return name.replace("a", "á", 1)


def _variations(row: dict) -> list[dict]:
    """The Xero employee(s) for one Timeclamp staff row: usually one, with the deliberate difference."""
    code = str(row.get("employee_code") or "")
    base = {
        "key": code or f"{row.get('first_name')}-{row.get('last_name')}",
        "first_name": str(row.get("first_name") or ""),
        "middle_names": str(row.get("middle_names") or ""),
        "last_name": str(row.get("last_name") or ""),
        "date_of_birth": row.get("date_of_birth"),
        "email": str(row.get("email") or ""),
        "start_date": row.get("start_date"),
        "calendar": "fortnightly" if code in FORTNIGHTLY_CODES else "weekly",
        "note": "",
    }
    if code == "DC005":
        return [{**base, "middle_names": "Kumar", "note": "middle name only in Xero"}]
    if code == "DC007" and isinstance(base["date_of_birth"], datetime.date):
        shifted = base["date_of_birth"] - datetime.timedelta(days=1)
        return [{**base, "date_of_birth": shifted, "note": "date of birth one day earlier"}]
    if code == "DC008":
        return [{**base, "terminated": True, "note": "terminated in Xero"}]
    if code == "DC009":
        later = datetime.date(2025, 1, 13)
        return [
            {**base, "note": "duplicate in Xero (1 of 2)"},
            {
                **base,
                "key": f"{code}-duplicate",
                "email": "",
                "start_date": later,
                "note": "duplicate in Xero (2 of 2): same name and date of birth",
            },
        ]
    if code == "DC010":
        return [{**base, "first_name": _accented(base["first_name"]), "note": "accent in Xero"}]
    if code == "DC011":
        return [{**base, "calendar": None, "note": "no payroll calendar in Xero"}]
    if code == "DC012":
        return [
            {**base, "last_name": base["last_name"].replace("'", "\u2019"), "note": "typographic apostrophe"}
        ]
    if code == "DC013":
        return [{**base, "last_name": base["last_name"].upper(), "note": "last name in capitals"}]
    if code == "DC015":
        return [
            {
                **base,
                "first_name": f"{base['first_name']} ",
                "middle_names": f" {base['middle_names']}" if base["middle_names"] else "",
                "last_name": f"  {base['last_name']}",
                "note": "extra spaces",
            }
        ]
    if code == "DC021" and base["first_name"] == "Thomas":
        return [{**base, "first_name": "Tom", "note": "nickname (Tom for Thomas)"}]
    return [base]


class Command(BaseCommand):
    help = "Create the Xero sandbox's demo organisations, calendars, earnings rates and employees."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Pretend today is this date (YYYY-MM-DD); default: today.")

    def handle(self, *args, **options):
        try:
            today = (
                datetime.date.fromisoformat(options["today"])
                if options.get("today")
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from exc
        self.today = today
        with transaction.atomic(using=SANDBOX_DB):
            self._app()
            user = self._user()
            staff, second_staff = _demo_lists()
            if not staff:
                self.stdout.write(
                    self.style.WARNING("staff.demo.DEMO_STAFF not found: no mirrored employees.")
                )
            cafe = self._organisation(DEMO_CAFE, user)
            self._payroll(cafe, DEMO_CAFE[0], [v for row in staff for v in _variations(row)] + XERO_ONLY)
            bakery = self._organisation(HARBOUR_BAKERY, user)
            bakery_rows = [
                {**_variations({**row, "employee_code": ""})[0], "key": str(row.get("employee_code") or i)}
                for i, row in enumerate(second_staff)
            ]
            self._payroll(bakery, HARBOUR_BAKERY[0], bakery_rows)
        self.stdout.write(self.style.SUCCESS(f"Xero sandbox login: {SANDBOX_EMAIL} / {SANDBOX_PASSWORD}"))

    # --- pieces ----------------------------------------------------------------------------------

    def _say(self, created: bool, text: str) -> None:
        self.stdout.write(f"  {'created' if created else 'exists '}  {text}")

    def _app(self) -> None:
        try:
            registry = importlib.import_module("xero_sandbox.identity.registry")
            app = registry.sandbox_app_from_settings()
        except (ImportError, AttributeError):
            self.stdout.write(self.style.WARNING("OAuth app: identity registry not available, skipped"))
            return
        if app is None:
            self.stdout.write(self.style.WARNING("OAuth app: XERO_CLIENT_ID is empty, none registered"))
        else:
            self.stdout.write(f"OAuth app: {app.client_id} (redirect URIs: {', '.join(app.redirect_uris)})")

    def _user(self) -> SandboxUser:
        user, created = SandboxUser.objects.get_or_create(
            email=SANDBOX_EMAIL, defaults={"first_name": "Demo", "last_name": "Payroll Admin"}
        )
        user.set_password(SANDBOX_PASSWORD)
        user.save()
        self.stdout.write(f"Xero user: {user.email}{' (created)' if created else ''}")
        return user

    def _organisation(self, spec: tuple[str, str], user: SandboxUser) -> Organisation:
        key, name = spec
        tenant_id = stable_uuid("organisation", key)
        organisation = Organisation.objects.filter(tenant_id=tenant_id).first()
        created = organisation is None
        if created:
            organisation = Organisation.objects.filter(name=name).first() or Organisation.objects.create(
                tenant_id=tenant_id, name=name
            )
        organisation.users.add(user)
        organisation.payroll_admins.add(user)
        self.stdout.write(
            f"Organisation: {organisation.name} tenant {organisation.tenant_id}{' (created)' if created else ''}"
        )
        return organisation

    def _calendars(self, organisation: Organisation, key: str) -> dict[str, PayrollCalendar]:
        monday = self.today - datetime.timedelta(days=self.today.weekday())
        first = self.today.replace(day=1)
        next_first = (first + datetime.timedelta(days=32)).replace(day=1)
        specs = {
            "weekly": ("Weekly", "WEEKLY", monday, monday + datetime.timedelta(days=9)),
            "fortnightly": ("Fortnightly", "FORTNIGHTLY", monday, monday + datetime.timedelta(days=16)),
            "monthly": ("Monthly", "MONTHLY", first, next_first + datetime.timedelta(days=2)),
        }
        calendars = {}
        for slug, (name, kind, start, payment) in specs.items():
            calendar, created = PayrollCalendar.objects.get_or_create(
                calendar_id=stable_uuid("calendar", key, slug),
                defaults={
                    "organisation": organisation,
                    "name": name,
                    "calendar_type": kind,
                    "start_date": start,
                    "payment_date": payment,
                    "reference_date": start,
                },
            )
            calendars[slug] = calendar
            self._say(created, f"calendar {name} ({kind}) from {calendar.start_date} {calendar.calendar_id}")
        return calendars

    def _rates(self, organisation: Organisation, key: str) -> dict[str, EarningsRate]:
        specs = {
            "ordinary": ("Ordinary Hours", "ORDINARYTIMEEARNINGS", "32.5000", True),
            "overtime": ("Overtime Hours (exempt from super)", "OVERTIMEEARNINGS", "48.7500", True),
            # A superseded version, as Xero keeps them: PayItems hides it, timesheets reject it.
            "ordinary-old": ("Ordinary Hours", "ORDINARYTIMEEARNINGS", "30.0000", False),
        }
        rates = {}
        for slug, (name, kind, rate, current) in specs.items():
            earnings_rate, created = EarningsRate.objects.get_or_create(
                earnings_rate_id=stable_uuid("earnings-rate", key, slug),
                defaults={
                    "organisation": organisation,
                    "name": name,
                    "earnings_type": kind,
                    "rate_type": "RATEPERUNIT",
                    "type_of_units": "Hours",
                    "rate_per_unit": rate,
                    "current_record": current,
                },
            )
            rates[slug] = earnings_rate
            suffix = "" if current else " (superseded, CurrentRecord false)"
            self._say(created, f"earnings rate {name}{suffix} {earnings_rate.earnings_rate_id}")
        return rates

    def _payroll(self, organisation: Organisation, key: str, people: list[dict]) -> None:
        calendars = self._calendars(organisation, key)
        rates = self._rates(organisation, key)
        for person in people:
            calendar = calendars.get(person["calendar"]) if person.get("calendar") else None
            terminated = bool(person.get("terminated"))
            employee, created = Employee.objects.get_or_create(
                employee_id=stable_uuid("employee", key, person["key"]),
                defaults={
                    "organisation": organisation,
                    "first_name": person["first_name"],
                    "middle_names": person["middle_names"],
                    "last_name": person["last_name"],
                    "date_of_birth": person["date_of_birth"],
                    "email": person["email"],
                    "start_date": person["start_date"],
                    "status": "TERMINATED" if terminated else "ACTIVE",
                    "termination_date": self.today - datetime.timedelta(days=45) if terminated else None,
                    "payroll_calendar": calendar,
                    "ordinary_earnings_rate": rates["ordinary"],
                },
            )
            name = " ".join(p for p in (employee.first_name, employee.middle_names, employee.last_name) if p)
            where = employee.payroll_calendar.name if employee.payroll_calendar_id else "no calendar"
            note = f" — {person['note']}" if person.get("note") else ""
            self._say(created, f"employee {name!r} ({employee.status}, {where}) {employee.employee_id}{note}")
