"""``manage.py seed_demo``: idempotent demo data for a local run (``make run`` calls it).

Creates what is missing and never changes or deletes an existing row, so a second run changes
nothing. Refuses to run with DEBUG off unless ``--force``: the demo logins share a published password.
"""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from staff import demo
from staff.models import Membership, Organization, StaffMember, User
from timeclamp.tenancy import organization_scope
from timesheets.models import TimeEntry


class Command(BaseCommand):
    help = "Create the demo organisations, logins, 25 staff and three weeks of time entries (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (the demo logins use a published password).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates logins with a published password; it only runs with DJANGO_DEBUG=1. "
                "Pass --force to run it anyway."
            )
        with transaction.atomic():
            created = self._seed()
        summary = ", ".join(f"{n} {label}" for label, n in created.items() if n) or "nothing (already seeded)"
        self.stdout.write(self.style.SUCCESS(f"Demo data: created {summary}."))
        self._print_logins()

    def _seed(self) -> dict[str, int]:
        created = dict.fromkeys(["organisations", "users", "memberships", "staff", "time entries"], 0)

        organizations = {}
        for spec in (demo.DEMO_ORGANIZATION, demo.DEMO_SECOND_ORGANIZATION):
            org, new = Organization.objects.get_or_create(
                slug=spec["slug"], defaults={"name": spec["name"], "timezone": spec["timezone"]}
            )
            organizations[org.slug] = org
            created["organisations"] += new

        users = {}
        for spec in demo.DEMO_USERS:
            user = User.objects.filter(email__iexact=spec["email"]).first()
            if user is None:
                user = User.objects.create_user(
                    email=spec["email"], password=demo.DEMO_PASSWORD, full_name=spec["full_name"]
                )
                created["users"] += 1
            users[spec["email"]] = user
            for slug, role in spec["memberships"].items():
                _, new = Membership.objects.get_or_create(
                    user=user, organization=organizations[slug], defaults={"role": role}
                )
                created["memberships"] += new

        cafe = organizations[demo.DEMO_ORGANIZATION["slug"]]
        with organization_scope(cafe):
            staff = self._staff(cafe, demo.DEMO_STAFF, created)
            login_record = staff[demo.DEMO_STAFF_LOGIN_EMPLOYEE_CODE]
            staff_user = users[demo.DEMO_STAFF_LOGIN_EMAIL]
            if login_record.user_id is None and not StaffMember.objects.filter(user=staff_user).exists():
                login_record.user = staff_user
                login_record.save(update_fields=["user", "updated_at"])
            created["time entries"] += self._time_entries(
                cafe, staff, manager=users[demo.DEMO_MANAGER_EMAIL], staff_user=staff_user
            )

        bakery = organizations[demo.DEMO_SECOND_ORGANIZATION["slug"]]
        with organization_scope(bakery):
            self._staff(bakery, demo.DEMO_SECOND_ORGANIZATION_STAFF, created)
        return created

    def _staff(self, organization: Organization, specs: list[dict], created: dict) -> dict[str, StaffMember]:
        records = {}
        for spec in specs:
            fields = {k: v for k, v in spec.items() if k != "employee_code"}
            record, new = StaffMember.objects.get_or_create(
                organization=organization, employee_code=spec["employee_code"], defaults=fields
            )
            records[record.employee_code] = record
            created["staff"] += new
        return records

    def _time_entries(
        self, organization: Organization, staff: dict[str, StaffMember], *, manager: User, staff_user: User
    ) -> int:
        """Entries are keyed by (staff member, work date): existing ones are left exactly as they are."""
        existing = set(
            TimeEntry.objects.filter(organization=organization).values_list("staff_member_id", "work_date")
        )
        new_entries = []
        for shift in demo.demo_shifts(today=organization.today(), timezone_name=organization.timezone):
            member = staff[shift.employee_code]
            if (member.pk, shift.work_date) in existing:
                continue
            new_entries.append(
                TimeEntry(
                    organization=organization,
                    staff_member=member,
                    work_date=shift.work_date,
                    start_at=shift.start_at,
                    end_at=shift.end_at,
                    break_minutes=shift.break_minutes,
                    minutes=shift.minutes,
                    status=shift.status,
                    submitted_at=shift.submitted_at,
                    approved_at=shift.approved_at,
                    approved_by=manager if shift.approved_at else None,
                    created_by=staff_user if member.user_id == staff_user.pk else manager,
                )
            )
        TimeEntry.objects.bulk_create(new_entries)
        return len(new_entries)

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write("Demo logins (local demo only) at http://127.0.0.1:8000/accounts/login/")
        for spec in demo.DEMO_USERS:
            user = User.objects.get(email__iexact=spec["email"])
            roles = ", ".join(f"{role} of {slug}" for slug, role in spec["memberships"].items())
            # The module-level check_password never re-hashes or saves, so printing changes nothing.
            unchanged = check_password(demo.DEMO_PASSWORD, user.password)
            password = demo.DEMO_PASSWORD if unchanged else "(changed since seeding)"
            self.stdout.write(f"  {spec['email']:<24} password: {password:<16} {roles}")
