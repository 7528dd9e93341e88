"""Pay periods of a Xero Payroll AU calendar (pure: no Django, no HTTP).

A calendar is its ``CalendarType``, its ``StartDate`` (the first day of the *upcoming* pay period) and
its ``PaymentDate`` (the payday of that upcoming period), as ``GET /PayrollCalendars`` returns them
(xero-api-notes §2.3). Every other period is derived from those, in both directions.

Sources give no rule beyond that; the rules below are ours and match ``xero_sandbox/payroll/periods.py``
so that what we propose is what the sandbox accepts.

- WEEKLY / FORTNIGHTLY / FOURWEEKLY: exact 7/14/28-day steps from StartDate (derived in the notes,
  consistent with every observed example).
- Assumption (UNCONFIRMED): MONTHLY periods start on StartDate's day of the month in every month,
  clamped to the month's last day (a calendar starting on the 31st starts on 28/29 Feb, 30 Apr, and
  on the 31st again where the month has one); a period ends the day before the next one starts.
- Assumption (UNCONFIRMED): TWICEMONTHLY periods are the 1st-15th and the 16th-last day of each month,
  whatever StartDate's day is.
- Assumption (UNCONFIRMED): QUARTERLY periods are 3-month steps from StartDate, clamped as MONTHLY.
- Paydays: the upcoming period's payday is ``PaymentDate``; every other period keeps the same number of
  days between its last day and its payday (may be negative: paid before the period ends).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

FIXED_STEP_DAYS = {"WEEKLY": 7, "FORTNIGHTLY": 14, "FOURWEEKLY": 28}
MONTH_STEPS = {"MONTHLY": 1, "QUARTERLY": 3}
CALENDAR_TYPES = ("WEEKLY", "FORTNIGHTLY", "FOURWEEKLY", "MONTHLY", "TWICEMONTHLY", "QUARTERLY")

# Fixed English names: labels must not change with the process locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class PayPeriod:
    """One pay period; ``start`` and ``end`` are both inclusive."""

    start: date
    end: date
    payment_date: date | None = None

    @property
    def label(self) -> str:
        """E.g. "Mon 2 Mar \u2013 Sun 8 Mar 2026" (en dash); both years when the period spans New Year."""
        first = f"{_WEEKDAYS[self.start.weekday()]} {self.start.day} {_MONTHS[self.start.month - 1]}"
        if self.start.year != self.end.year:
            first += f" {self.start.year}"
        last = f"{_WEEKDAYS[self.end.weekday()]} {self.end.day} {_MONTHS[self.end.month - 1]} {self.end.year}"
        return f"{first} \u2013 {last}"


def days(period: PayPeriod) -> list[date]:
    """Every date of the period, in order (what Xero's ``NumberOfUnits`` array is indexed by)."""
    return [period.start + timedelta(days=i) for i in range((period.end - period.start).days + 1)]


def _check_type(calendar_type: str) -> None:
    if calendar_type not in CALENDAR_TYPES:
        raise ValueError(
            f"Unknown Xero calendar type {calendar_type!r}: expected one of {', '.join(CALENDAR_TYPES)}."
        )


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _bounds(calendar_type: str, start_date: date, day: date) -> tuple[date, date]:
    """(start, end) of the period containing ``day``; ``calendar_type`` already checked."""
    if calendar_type in FIXED_STEP_DAYS:
        step = FIXED_STEP_DAYS[calendar_type]
        steps = (day - start_date).days // step  # floor division: right before start_date too
        start = start_date + timedelta(days=steps * step)
        return start, start + timedelta(days=step - 1)
    if calendar_type == "TWICEMONTHLY":
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    step = MONTH_STEPS[calendar_type]
    # Whole steps from start_date's month to day's month, then one back if day precedes that start.
    k = ((day.year - start_date.year) * 12 + (day.month - start_date.month)) // step
    start = _clamped(*_add_months(start_date.year, start_date.month, k * step), start_date.day)
    if start > day:
        k -= 1
        start = _clamped(*_add_months(start_date.year, start_date.month, k * step), start_date.day)
    following = _clamped(*_add_months(start_date.year, start_date.month, (k + 1) * step), start_date.day)
    return start, following - timedelta(days=1)


def _payday_offset(calendar_type: str, start_date: date, payment_date: date | None) -> timedelta | None:
    if payment_date is None:
        return None
    _, upcoming_end = _bounds(calendar_type, start_date, start_date)
    return payment_date - upcoming_end


def period_containing(
    *, calendar_type: str, start_date: date, day: date, payment_date: date | None = None
) -> PayPeriod:
    """The period of the calendar (``CalendarType``, ``StartDate``, ``PaymentDate``) containing ``day``.

    ``payment_date`` is the calendar's PaymentDate (payday of the period starting at ``start_date``);
    the returned period's own payday keeps the same offset from its end. None gives no payday.
    """
    _check_type(calendar_type)
    start, end = _bounds(calendar_type, start_date, day)
    offset = _payday_offset(calendar_type, start_date, payment_date)
    return PayPeriod(start=start, end=end, payment_date=None if offset is None else end + offset)


def pay_periods(
    *,
    calendar_type: str,
    start_date: date,
    payment_date: date | None,
    around: date,
    before: int = 4,
    after: int = 2,
) -> list[PayPeriod]:
    """``before`` recent periods, the one containing ``around``, and ``after`` upcoming ones.

    Oldest first (chronological), so ``result[before]`` is the period containing ``around``; reverse it
    for a newest-first picker. Consecutive periods tile the calendar with no gap or overlap.
    """
    _check_type(calendar_type)
    if before < 0 or after < 0:
        raise ValueError(f"before and after must be >= 0 (got before={before}, after={after}).")
    offset = _payday_offset(calendar_type, start_date, payment_date)

    def make(day: date) -> PayPeriod:
        start, end = _bounds(calendar_type, start_date, day)
        return PayPeriod(start=start, end=end, payment_date=None if offset is None else end + offset)

    current = make(around)
    earlier = [current]
    for _ in range(before):
        earlier.append(make(earlier[-1].start - timedelta(days=1)))
    later = [current]
    for _ in range(after):
        later.append(make(later[-1].end + timedelta(days=1)))
    return earlier[:0:-1] + later


def is_pay_period(*, calendar_type: str, start_date: date, period_start: date, period_end: date) -> bool:
    """True when ``period_start``-``period_end`` (inclusive) is exactly one period of the calendar."""
    _check_type(calendar_type)
    return _bounds(calendar_type, start_date, period_start) == (period_start, period_end)
