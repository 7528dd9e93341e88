"""XeroClient: the Payroll AU v1 calls Timeclamp makes. requests only; no Django, no settings."""

import contextlib
import datetime
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from email.utils import format_datetime

import requests

from . import http
from .errors import XeroBadResponse
from .types import (
    EarningsRate,
    NewEmployee,
    PayrollCalendar,
    RateLimitState,
    Timesheet,
    TimesheetDraft,
    XeroEmployee,
    format_ms_date,
)

PAGE_SIZE = 100  # fixed by Xero for Payroll AU v1 lists


class XeroClient:
    def __init__(
        self,
        *,
        access_token: str,
        tenant_id: str,
        api_url: str,
        session: requests.Session | None = None,
        timeout: float = 20.0,
        limiter: Callable[[], AbstractContextManager] | None = None,
        on_limits: Callable[[RateLimitState], None] | None = None,
    ):
        """``limiter`` is entered around every HTTP call (a rate governor's slot); ``on_limits`` hears
        what each response said about the remaining budget."""
        self._access_token = access_token
        self._limiter = limiter or contextlib.nullcontext
        self._on_limits = on_limits
        self.tenant_id = tenant_id
        self._payroll = f"{api_url.rstrip('/')}/payroll.xro/1.0"
        self._session = session or requests.Session()
        self._timeout = timeout
        self.calls = 0
        self.rate_limits = RateLimitState()

    def __repr__(self) -> str:  # never show the token
        return f"XeroClient(tenant_id={self.tenant_id!r})"

    # --- the one request method -------------------------------------------------------------------
    def _request(
        self, method: str, path: str, *, params=None, json=None, headers=None, idempotency_key: str = ""
    ):
        all_headers = {
            "Authorization": f"Bearer {self._access_token}",
            "Xero-Tenant-Id": self.tenant_id,
            "Accept": "application/json",
            **(headers or {}),
        }
        if idempotency_key:
            all_headers["Idempotency-Key"] = idempotency_key[:128]
        self.calls += 1
        with self._limiter():
            response = http.send(
                self._session,
                method,
                f"{self._payroll}/{path}",
                timeout=self._timeout,
                params=params,
                json=json,
                headers=all_headers,
            )
        self.rate_limits = RateLimitState(
            minute_remaining=_int(response.headers.get("X-MinLimit-Remaining")),
            day_remaining=_int(response.headers.get("X-DayLimit-Remaining")),
            app_minute_remaining=_int(response.headers.get("X-AppMinLimit-Remaining")),
        )
        if self._on_limits is not None and response.status_code != 429:
            # A 429's Retry-After is the authority on when to call again (the caller penalises).
            self._on_limits(self.rate_limits)
        http.raise_for_status(response)
        if response.status_code == 304:
            return {}
        return http.json_body(response)

    # --- employees --------------------------------------------------------------------------------
    def list_employees(
        self, *, page: int = 1, modified_since: datetime.datetime | None = None, where: str = ""
    ) -> list[XeroEmployee]:
        headers = (
            {"If-Modified-Since": format_datetime(modified_since, usegmt=True)} if modified_since else None
        )
        params = {"page": page}
        if where:
            params["where"] = where
        body = self._request("GET", "Employees", params=params, headers=headers)
        return [XeroEmployee.from_api(e) for e in _list(body, "Employees")]

    def iter_employees(self, *, modified_since: datetime.datetime | None = None) -> Iterator[XeroEmployee]:
        """Every page until one comes back short (Xero gives no total)."""
        page = 1
        while True:
            employees = self.list_employees(page=page, modified_since=modified_since)
            yield from employees
            if len(employees) < PAGE_SIZE:
                return
            page += 1

    def get_employee(self, employee_id: str) -> XeroEmployee:
        body = self._request("GET", f"Employees/{employee_id}")
        employees = _list(body, "Employees")
        if not employees:
            raise XeroBadResponse("Xero returned no employee.")
        return XeroEmployee.from_api(employees[0])

    def create_employee(self, employee: NewEmployee, *, idempotency_key: str = "") -> XeroEmployee:
        body = self._request("POST", "Employees", json=[employee.to_api()], idempotency_key=idempotency_key)
        return XeroEmployee.from_api(_list(body, "Employees")[0])

    # --- settings ---------------------------------------------------------------------------------
    def list_payroll_calendars(self) -> list[PayrollCalendar]:
        body = self._request("GET", "PayrollCalendars")
        return [PayrollCalendar.from_api(c) for c in _list(body, "PayrollCalendars")]

    def list_earnings_rates(self) -> list[EarningsRate]:
        body = self._request("GET", "PayItems")
        pay_items = body.get("PayItems") if isinstance(body, dict) else None
        rates = (pay_items or {}).get("EarningsRates") or []
        return [r for r in (EarningsRate.from_api(x) for x in rates) if r.current_record]

    # --- timesheets -------------------------------------------------------------------------------
    def list_timesheets(
        self,
        *,
        start_date: datetime.date | None = None,
        end_date: datetime.date | None = None,
        employee_id: str = "",
        page: int = 1,
    ) -> list[Timesheet]:
        clauses = []
        if start_date:
            clauses.append(
                f"StartDate==DateTime({start_date.year},{start_date.month:02d},{start_date.day:02d})"
            )
        if end_date:
            clauses.append(f"EndDate==DateTime({end_date.year},{end_date.month:02d},{end_date.day:02d})")
        if employee_id:
            clauses.append(f'EmployeeID==Guid("{employee_id}")')
        params = {"page": page}
        if clauses:
            params["where"] = " AND ".join(clauses)
        body = self._request("GET", "Timesheets", params=params)
        return [Timesheet.from_api(t) for t in _list(body, "Timesheets")]

    def iter_timesheets(self, **filters) -> Iterator[Timesheet]:
        page = 1
        while True:
            timesheets = self.list_timesheets(page=page, **filters)
            yield from timesheets
            if len(timesheets) < PAGE_SIZE:
                return
            page += 1

    def post_timesheets(self, drafts: list[TimesheetDraft], *, idempotency_key: str = "") -> list[Timesheet]:
        """Create or update (with TimesheetID) in one call: Xero takes a bare JSON array."""
        body = self._request(
            "POST", "Timesheets", json=[d.to_api() for d in drafts], idempotency_key=idempotency_key
        )
        return [Timesheet.from_api(t) for t in _list(body, "Timesheets")]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _list(body, key: str) -> list[dict]:
    if not isinstance(body, dict):
        raise XeroBadResponse(f"Xero's answer has no {key}.")
    value = body.get(key)
    if value is None:
        return []
    if isinstance(value, dict):  # by-id endpoints sometimes answer with one object
        return [value]
    if not isinstance(value, list):
        raise XeroBadResponse(f"Xero's {key} is not a list.")
    return value


__all__ = ["PAGE_SIZE", "XeroClient", "format_ms_date"]
