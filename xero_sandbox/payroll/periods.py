"""Pay-period arithmetic for Payroll AU calendars.

A calendar's ``StartDate`` is the start of its upcoming pay period (Xero's spec); every other period
is derived from it, in both directions.

Assumption: WEEKLY, FORTNIGHTLY and FOURWEEKLY periods are exact 7/14/28-day steps from StartDate
(derived in the research notes, consistent with every observed example).
Assumption: MONTHLY periods start on StartDate's day of the month in every month, clamped to the
month's last day (a calendar starting on the 31st starts on 28/29 Feb, 30 Apr ...); a period ends
the day before the next one starts.
Assumption: TWICEMONTHLY periods are the 1st-15th and the 16th-end of every month, whatever StartDate.
Assumption: QUARTERLY periods are 3-month steps from StartDate, day clamped as for MONTHLY.
None of the last three is confirmed against a real Xero organisation.
"""

import calendar
import datetime
from dataclasses import dataclass

FIXED_STEP_DAYS = {"WEEKLY": 7, "FORTNIGHTLY": 14, "FOURWEEKLY": 28}
MONTH_STEPS = {"MONTHLY": 1, "QUARTERLY": 3}
CALENDAR_TYPES = ("WEEKLY", "FORTNIGHTLY", "FOURWEEKLY", "MONTHLY", "TWICEMONTHLY", "QUARTERLY")


@dataclass(frozen=True)
class PayPeriod:
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _clamped(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_containing(calendar_type: str, anchor: datetime.date, day: datetime.date) -> PayPeriod:
    """The pay period of a calendar (type + StartDate ``anchor``) that contains ``day``."""
    if calendar_type in FIXED_STEP_DAYS:
        step = FIXED_STEP_DAYS[calendar_type]
        offset = (day - anchor).days // step  # floor division: works before the anchor too
        start = anchor + datetime.timedelta(days=offset * step)
        return PayPeriod(start, start + datetime.timedelta(days=step - 1))
    if calendar_type == "TWICEMONTHLY":
        if day.day <= 15:
            return PayPeriod(day.replace(day=1), day.replace(day=15))
        last = calendar.monthrange(day.year, day.month)[1]
        return PayPeriod(day.replace(day=16), day.replace(day=last))
    if calendar_type in MONTH_STEPS:
        step = MONTH_STEPS[calendar_type]
        # Months since the anchor's month, rounded down to a whole number of steps.
        months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
        k = months // step
        y, m = _add_months(anchor.year, anchor.month, k * step)
        start = _clamped(y, m, anchor.day)
        if start > day:
            k -= 1
            y, m = _add_months(anchor.year, anchor.month, k * step)
            start = _clamped(y, m, anchor.day)
        ny, nm = _add_months(anchor.year, anchor.month, (k + 1) * step)
        end = _clamped(ny, nm, anchor.day) - datetime.timedelta(days=1)
        return PayPeriod(start, end)
    raise ValueError(f"Unknown calendar type {calendar_type!r}")


def is_pay_period(
    calendar_type: str, anchor: datetime.date, start: datetime.date, end: datetime.date
) -> bool:
    """True when ``start``-``end`` (both inclusive) is exactly one pay period of the calendar."""
    period = period_containing(calendar_type, anchor, start)
    return period.start == start and period.end == end


def next_period(calendar_type: str, anchor: datetime.date, period: PayPeriod) -> PayPeriod:
    return period_containing(calendar_type, anchor, period.end + datetime.timedelta(days=1))


def previous_period(calendar_type: str, anchor: datetime.date, period: PayPeriod) -> PayPeriod:
    return period_containing(calendar_type, anchor, period.start - datetime.timedelta(days=1))
