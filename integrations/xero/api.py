"""XeroApi: the surface services depend on. XeroClient implements it; tests may pass any object
that does (a `responses`-backed client or the sandbox over HTTP)."""

import datetime
from collections.abc import Iterator
from typing import Protocol

from .types import (
    EarningsRate,
    NewEmployee,
    PayrollCalendar,
    RateLimitState,
    Timesheet,
    TimesheetDraft,
    XeroEmployee,
)


class XeroApi(Protocol):
    tenant_id: str
    calls: int
    rate_limits: RateLimitState

    def list_employees(
        self, *, page: int = 1, modified_since: datetime.datetime | None = None, where: str = ""
    ) -> list[XeroEmployee]: ...

    def iter_employees(
        self, *, modified_since: datetime.datetime | None = None
    ) -> Iterator[XeroEmployee]: ...

    def get_employee(self, employee_id: str) -> XeroEmployee: ...

    def create_employee(self, employee: NewEmployee, *, idempotency_key: str = "") -> XeroEmployee: ...

    def list_payroll_calendars(self) -> list[PayrollCalendar]: ...

    def list_earnings_rates(self) -> list[EarningsRate]: ...

    def list_timesheets(
        self,
        *,
        start_date: datetime.date | None = None,
        end_date: datetime.date | None = None,
        employee_id: str = "",
        page: int = 1,
    ) -> list[Timesheet]: ...

    def iter_timesheets(self, **filters) -> Iterator[Timesheet]: ...

    def post_timesheets(
        self, drafts: list[TimesheetDraft], *, idempotency_key: str = ""
    ) -> list[Timesheet]: ...
