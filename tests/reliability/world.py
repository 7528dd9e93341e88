"""Timeclamp organisations already connected to Xero sandbox organisations, built straight in both
databases (no browser flow): the cheapest way to get N linked staff with approved hours.

Used by tests/reliability and by bench/bench_push.py and bench/bench_sync_calls.py. Each call of
``build_connected_org`` creates, on the sandbox side, an Organisation reachable through the one
grant of the bench's Xero user, a WEEKLY calendar, an ordinary earnings rate and ``staff`` employees;
on our side, the Organization with an admin, an ACTIVE XeroConnection holding real sandbox tokens
(``issue_token_set``), the cached calendar, XeroEmployee rows, StaffXeroLink rows and one approved
7.5-hour entry per staff member per weekday of the period. The push can then be requested at once.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from integrations.models import StaffXeroLink, XeroConnection, XeroEmployee, XeroPayrollCalendar
from integrations.periods import PayPeriod
from staff.models import Membership, Organization, Role, StaffMember, User
from timeclamp.tenancy import unscoped
from timesheets.models import TimeEntry
from xero_sandbox.identity.registry import sandbox_app_from_settings
from xero_sandbox.identity.tokens import issue_token_set
from xero_sandbox.models import (
    Connection,
    EarningsRate,
    Employee,
    Grant,
    Organisation,
    PayrollCalendar,
    SandboxUser,
)

XERO_USER_EMAIL = "payroll-admin@bench.test"


@dataclass
class ConnectedOrg:
    organization: Organization
    admin: User
    calendar: XeroPayrollCalendar
    period: PayPeriod
    tenant_id: str
    xero_org: Organisation
    employee_ids: list[str]

    @property
    def staff(self) -> int:
        return len(self.employee_ids)


def this_weeks_monday(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=today.weekday())


def last_week() -> PayPeriod:
    """The previous Monday-Sunday: a pay period of a WEEKLY calendar starting this Monday."""
    start = this_weeks_monday() - datetime.timedelta(days=7)
    return PayPeriod(start=start, end=start + datetime.timedelta(days=6))


def _grant() -> Grant:
    app = sandbox_app_from_settings()
    user = SandboxUser.objects.filter(email=XERO_USER_EMAIL).first()
    if user is None:
        user = SandboxUser(email=XERO_USER_EMAIL, first_name="Bench", last_name="Payroll")
        user.set_password(uuid.uuid4().hex)
        user.save()
    grant, _ = Grant.objects.get_or_create(
        app=app, user=user, defaults={"scopes": list(settings.XERO_SCOPES)}
    )
    return grant


def build_connected_org(
    *,
    name: str,
    staff: int,
    period: PayPeriod | None = None,
    entries_per_person: int = 5,
    with_entries: bool = True,
    link: bool = True,
    xero_org: Organisation | None = None,
) -> ConnectedOrg:
    """One connected organisation with ``staff`` linked people, each with approved hours in ``period``
    (default: last week). ``link=False`` leaves matching to the product (employees exist only in
    Xero and as unlinked staff). ``xero_org``: connect to that existing sandbox organisation (made by
    an earlier call) instead of a new one, with ``staff`` more employees in it: several of our
    organisations then share one Xero tenant and its rate limits."""
    period = period or last_week()
    calendar_start = this_weeks_monday()
    grant = _grant()
    suffix = uuid.uuid4().hex[:8]

    # --- the Xero side ---------------------------------------------------------------------------
    if xero_org is None:
        xero_org = Organisation.objects.create(name=f"{name} (AU)")
        xero_org.users.add(grant.user)
        xero_org.payroll_admins.add(grant.user)
        Connection.objects.create(grant=grant, organisation=xero_org, auth_event_id=uuid.uuid4())
        PayrollCalendar.objects.create(
            organisation=xero_org,
            name="Weekly",
            calendar_type="WEEKLY",
            start_date=calendar_start,
            payment_date=calendar_start + datetime.timedelta(days=9),
            reference_date=calendar_start,
        )
        EarningsRate.objects.create(organisation=xero_org, name="Ordinary Hours", rate_per_unit="30")
    xero_connection = Connection.objects.get(grant=grant, organisation=xero_org, deleted_at__isnull=True)
    auth_event = xero_connection.auth_event_id
    xero_calendar = PayrollCalendar.objects.get(organisation=xero_org, calendar_type="WEEKLY")
    rate = EarningsRate.objects.get(organisation=xero_org, name="Ordinary Hours", current_record=True)
    first_number = Employee.objects.filter(organisation=xero_org).count()
    people = [
        (f"First{i}", f"Last{i:05d}", datetime.date(1970, 1, 1) + datetime.timedelta(days=i))
        for i in range(first_number, first_number + staff)
    ]
    employees = Employee.objects.bulk_create(
        [
            Employee(
                organisation=xero_org,
                employee_id=uuid.uuid4(),
                first_name=first,
                last_name=last,
                date_of_birth=born,
                start_date=datetime.date(2024, 1, 1),
                payroll_calendar=xero_calendar,
                ordinary_earnings_rate=rate,
            )
            for first, last, born in people
        ],
        batch_size=1000,
    )
    tokens = issue_token_set(
        grant=grant, scopes=list(settings.XERO_SCOPES), auth_event_id=auth_event, with_id_token=False
    )

    # --- our side -------------------------------------------------------------------------------
    now = timezone.now()
    tenant_id = str(xero_org.tenant_id)
    with unscoped():
        organization = Organization.objects.create(
            name=name, slug=f"{name.lower().replace(' ', '-')}-{suffix}"
        )
        admin = User.objects.create_user(email=f"admin-{organization.slug}@bench.test", password=None)
        Membership.objects.create(user=admin, organization=organization, role=Role.ADMIN)
        XeroConnection.all_organizations.create(
            organization=organization,
            status=XeroConnection.Status.ACTIVE,
            tenant_id=tenant_id,
            tenant_name=xero_org.name,
            connection_id=str(xero_connection.id),
            auth_event_id=str(auth_event),
            scopes=list(settings.XERO_SCOPES),
            xero_user_email=XERO_USER_EMAIL,
            connected_by=admin,
            connected_at=now,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            access_token_expires_at=now + datetime.timedelta(seconds=int(tokens["expires_in"])),
            refresh_token_issued_at=now,
            last_refreshed_at=now,
        )
        calendar = XeroPayrollCalendar.all_organizations.create(
            organization=organization,
            tenant_id=tenant_id,
            calendar_id=str(xero_calendar.calendar_id),
            name="Weekly",
            calendar_type="WEEKLY",
            start_date=xero_calendar.start_date,
            payment_date=xero_calendar.payment_date,
        )
        members = StaffMember.all_organizations.bulk_create(
            [
                StaffMember(
                    organization=organization,
                    first_name=first,
                    last_name=last,
                    date_of_birth=born,
                    employee_code=f"E{i:05d}",
                )
                for i, (first, last, born) in enumerate(people)
            ],
            batch_size=1000,
        )
        if link:
            ours = XeroEmployee.all_organizations.bulk_create(
                [
                    XeroEmployee(
                        organization=organization,
                        tenant_id=tenant_id,
                        employee_id=str(e.employee_id),
                        first_name=e.first_name,
                        last_name=e.last_name,
                        date_of_birth=e.date_of_birth,
                        status="ACTIVE",
                        start_date=e.start_date,
                        payroll_calendar_id=str(xero_calendar.calendar_id),
                        ordinary_earnings_rate_id=str(rate.earnings_rate_id),
                        xero_updated_at=e.updated_at,
                    )
                    for e in employees
                ],
                batch_size=1000,
            )
            StaffXeroLink.all_organizations.bulk_create(
                [
                    StaffXeroLink(
                        organization=organization,
                        staff_member=member,
                        tenant_id=tenant_id,
                        xero_employee=employee,
                        kind=StaffXeroLink.Kind.AUTOMATIC,
                    )
                    for member, employee in zip(members, ours, strict=True)
                ],
                batch_size=1000,
            )
        if with_entries:
            tz = organization.tzinfo
            entries = []
            for member in members:
                for day in range(min(entries_per_person, 7)):
                    work_date = period.start + datetime.timedelta(days=day)
                    start = datetime.datetime.combine(work_date, datetime.time(9), tzinfo=tz)
                    entries.append(
                        TimeEntry(
                            organization=organization,
                            staff_member=member,
                            work_date=work_date,
                            start_at=start,
                            end_at=start + datetime.timedelta(hours=8),
                            break_minutes=30,
                            minutes=450,
                            status=TimeEntry.Status.APPROVED,
                            submitted_at=now,
                            approved_at=now,
                            approved_by=admin,
                            created_by=admin,
                        )
                    )
            TimeEntry.all_organizations.bulk_create(entries, batch_size=2000)
    return ConnectedOrg(
        organization=organization,
        admin=admin,
        calendar=calendar,
        period=period,
        tenant_id=tenant_id,
        xero_org=xero_org,
        employee_ids=[str(e.employee_id) for e in employees],
    )


def timesheets_per_employee(org: ConnectedOrg) -> dict[str, int]:
    """How many timesheets the sandbox holds per employee for the org's period (1 each, never 2)."""
    from xero_sandbox.models import Timesheet

    counts: dict[str, int] = {}
    rows = Timesheet.objects.filter(
        organisation=org.xero_org, start_date=org.period.start, employee__employee_id__in=org.employee_ids
    ).values_list("employee__employee_id", flat=True)
    for employee_id in rows:
        counts[str(employee_id)] = counts.get(str(employee_id), 0) + 1
    return counts


def tenant_traffic(tenant_id: str, since: datetime.datetime | None = None) -> dict:
    """What the sandbox saw for one tenant (its RequestLog): calls, 429s, POSTs, the most calls that
    arrived in any 60-second window, and the most calls being processed at once as Xero's limit
    counts them (at admission: ``max_concurrent``) and as the log's intervals overlap
    (``max_overlap``: it also covers the wait for admission and writing the log row)."""
    from xero_sandbox.models import RequestLog

    qs = RequestLog.objects.filter(tenant_id__iexact=tenant_id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    rows = list(
        qs.order_by("created_at", "id").values_list(
            "created_at", "duration_ms", "status", "method", "path", "in_flight"
        )
    )
    starts = [r[0].timestamp() for r in rows]
    max_window, j = 0, 0
    for i, start in enumerate(starts):  # calls arriving in [starts[j], starts[j] + 60 s)
        while starts[j] <= start - 60.0:
            j += 1
        max_window = max(max_window, i - j + 1)
    events = []
    for created, duration_ms, *_ in rows:
        t0 = created.timestamp()
        events += [(t0, 1), (t0 + (duration_ms or 0) / 1000, -1)]
    concurrent = peak = 0
    for _t, delta in sorted(events, key=lambda e: (e[0], e[1])):  # ends before starts at a tie
        concurrent += delta
        peak = max(peak, concurrent)
    return {
        "calls": len(rows),
        "status_429": sum(1 for r in rows if r[2] == 429),
        "posts": sum(1 for r in rows if r[3] == "POST" and "timesheets" in r[4].lower()),
        "max_per_60s": max_window,
        "max_concurrent": max((r[5] for r in rows), default=0),
        "max_overlap": peak,
        "starts": starts,
    }
