"""Builders for the payroll/gateway tests: a small Xero world (app, user, organisations, grant,
connections, calendars, earnings rates, employees), real access tokens from the identity side, and a
client that validates every exchange against Xero's OpenAPI spec when the spec is available."""

import datetime
import uuid
from dataclasses import dataclass, field

import requests
from django.conf import settings

from tests.sandbox_http import sandbox_session
from xero_sandbox.identity.tokens import issue_token_set
from xero_sandbox.models import (
    Connection,
    EarningsRate,
    Employee,
    Grant,
    OAuthApp,
    Organisation,
    PayrollCalendar,
    SandboxUser,
)

from . import openapi

ALL_SCOPES = ("payroll.employees", "payroll.timesheets", "payroll.settings")
WEEK_START = datetime.date(2026, 3, 2)  # a Monday: the weekly and fortnightly calendars' StartDate
MONTH_START = datetime.date(2026, 3, 1)


def ms(day: datetime.date) -> str:
    moment = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
    return f"/Date({int(moment.timestamp()) * 1000}+0000)/"


@dataclass
class World:
    app: OAuthApp
    user: SandboxUser
    grant: Grant
    org: Organisation
    other_org: Organisation
    connection: Connection
    calendars: dict[str, PayrollCalendar]
    rates: dict[str, EarningsRate]
    employees: dict[str, Employee]
    other_employee: Employee
    tokens: dict[tuple, str] = field(default_factory=dict)

    def token(self, scopes=ALL_SCOPES) -> str:
        key = tuple(sorted(scopes))
        if key not in self.tokens:
            body = issue_token_set(
                grant=self.grant,
                scopes=["openid", "offline_access", *scopes],
                auth_event_id=self.connection.auth_event_id,
                with_id_token=False,
            )
            self.tokens[key] = body["access_token"]
        return self.tokens[key]

    @property
    def tenant_id(self) -> str:
        return str(self.org.tenant_id)


def build_world() -> World:
    app, _ = OAuthApp.objects.get_or_create(
        client_id=settings.XERO_CLIENT_ID or "timeclamp-local",
        defaults={"client_secret": "secret", "redirect_uris": ["https://example.test/cb"]},
    )
    user = SandboxUser(email="payroll@example.test", first_name="Pat", last_name="Payroll")
    user.set_password("pw")
    user.save()
    org = Organisation.objects.create(name="Demo Cafe Pty Ltd (AU)")
    other = Organisation.objects.create(name="Harbour Bakery (AU)")
    for o in (org, other):
        o.users.add(user)
        o.payroll_admins.add(user)
    grant = Grant.objects.create(app=app, user=user, scopes=["openid", "offline_access", *ALL_SCOPES])
    auth_event = uuid.uuid4()
    connection = Connection.objects.create(grant=grant, organisation=org, auth_event_id=auth_event)
    Connection.objects.create(grant=grant, organisation=other, auth_event_id=auth_event)

    def calendar(o, name, kind, start):
        return PayrollCalendar.objects.create(
            organisation=o,
            name=name,
            calendar_type=kind,
            start_date=start,
            payment_date=start + datetime.timedelta(days=9),
        )

    calendars = {
        "weekly": calendar(org, "Weekly", "WEEKLY", WEEK_START),
        "fortnightly": calendar(org, "Fortnightly", "FORTNIGHTLY", WEEK_START),
        "monthly": calendar(org, "Monthly", "MONTHLY", MONTH_START),
    }
    rates = {
        "ordinary": EarningsRate.objects.create(organisation=org, name="Ordinary Hours", rate_per_unit="30"),
        "overtime": EarningsRate.objects.create(
            organisation=org, name="Overtime Hours (exempt from super)", earnings_type="OVERTIMEEARNINGS"
        ),
        "old": EarningsRate.objects.create(organisation=org, name="Ordinary Hours", current_record=False),
    }

    def employee(first, last, cal, **extra):
        return Employee.objects.create(
            organisation=org,
            first_name=first,
            last_name=last,
            date_of_birth=datetime.date(1990, 1, 1),
            payroll_calendar=calendars.get(cal) if cal else None,
            ordinary_earnings_rate=rates["ordinary"],
            **extra,
        )

    employees = {
        "ada": employee("Ada", "Lovelace", "weekly", middle_names="King"),
        "fred": employee("Fred", "Fortnight", "fortnightly"),
        "mona": employee("Mona", "Month", "monthly"),
        "nina": employee("Nina", "Nocalendar", None),
        "terry": employee(
            "Terry", "Terminated", "weekly", status="TERMINATED", termination_date=datetime.date(2026, 1, 30)
        ),
    }
    other_calendar = calendar(other, "Weekly", "WEEKLY", WEEK_START)
    other_employee = Employee.objects.create(
        organisation=other,
        first_name="Rosa",
        last_name="Esposito",
        date_of_birth=datetime.date(1983, 6, 11),
        payroll_calendar=other_calendar,
    )
    return World(app, user, grant, org, other, connection, calendars, rates, employees, other_employee)


class XeroApi:
    """Payroll AU v1 calls into the sandbox, as Timeclamp makes them. Every exchange is checked
    against Xero's spec (when shared/ is present); ``validated`` counts the checked ones."""

    def __init__(self, world: World, *, session: requests.Session | None = None, validate: bool = True):
        self.world = world
        self.session = session or sandbox_session()
        self.validate = validate
        self.validated = 0
        self.token = world.token()
        self.tenant_id = world.tenant_id

    def url(self, path: str) -> str:
        return f"{settings.XERO_API_URL}/payroll.xro/1.0/{path.lstrip('/')}"

    def headers(self, extra: dict | None = None, *, token=None, tenant=None) -> dict:
        headers = {"Accept": "application/json"}
        token = self.token if token is None else token
        tenant = self.tenant_id if tenant is None else tenant
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if tenant:
            headers["Xero-Tenant-Id"] = tenant
        headers.update(extra or {})
        return headers

    def request(
        self, method: str, path: str, *, headers=None, token=None, tenant=None, check_request=True, **kwargs
    ):
        """``check_request=False``: validate only the response (for requests that Xero accepts
        although its spec does not describe them, such as an RFC 1123 If-Modified-Since)."""
        response = self.session.request(
            method,
            self.url(path),
            headers=self.headers(headers, token=token, tenant=tenant),
            timeout=5,
            **kwargs,
        )
        if self.validate and openapi.validate_exchange(response, check_request=check_request):
            self.validated += 1
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self.request("POST", path, json=body, **kwargs)


def week_timesheet(employee: Employee, rate: EarningsRate, *, start=WEEK_START, days=7, units=None, **extra):
    units = units if units is not None else [8, 8, 8, 8, 8, 0, 0][:days] + [0] * max(0, days - 7)
    return {
        "EmployeeID": str(employee.employee_id),
        "StartDate": ms(start),
        "EndDate": ms(start + datetime.timedelta(days=days - 1)),
        "Status": "DRAFT",
        "TimesheetLines": [{"EarningsRateID": str(rate.earnings_rate_id), "NumberOfUnits": units}],
        **extra,
    }
