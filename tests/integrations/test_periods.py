"""Pay periods of a Xero payroll calendar (integrations/periods.py): pure, no database."""

import datetime
import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.periods import (
    CALENDAR_TYPES,
    PayPeriod,
    days,
    is_pay_period,
    pay_periods,
    period_containing,
)

D = datetime.date


def bounds(kind, start_date, day):
    p = period_containing(calendar_type=kind, start_date=start_date, day=day)
    return (p.start, p.end)


# --- fixed-step calendars --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("WEEKLY", D(2026, 3, 2), (D(2026, 3, 2), D(2026, 3, 8))),
        ("WEEKLY", D(2026, 3, 8), (D(2026, 3, 2), D(2026, 3, 8))),
        ("WEEKLY", D(2026, 3, 1), (D(2026, 2, 23), D(2026, 3, 1))),
        ("WEEKLY", D(2025, 3, 5), (D(2025, 3, 3), D(2025, 3, 9))),
        ("FORTNIGHTLY", D(2026, 3, 15), (D(2026, 3, 2), D(2026, 3, 15))),
        ("FORTNIGHTLY", D(2026, 3, 16), (D(2026, 3, 16), D(2026, 3, 29))),
        ("FORTNIGHTLY", D(2026, 2, 20), (D(2026, 2, 16), D(2026, 3, 1))),
        ("FOURWEEKLY", D(2026, 3, 30), (D(2026, 3, 30), D(2026, 4, 26))),
        ("FOURWEEKLY", D(2026, 3, 1), (D(2026, 2, 2), D(2026, 3, 1))),
    ],
)
def test_period_containing_fixed_steps_in_both_directions(kind, day, expected):
    assert bounds(kind, D(2026, 3, 2), day) == expected


@pytest.mark.parametrize(("kind", "step"), [("WEEKLY", 7), ("FORTNIGHTLY", 14), ("FOURWEEKLY", 28)])
@given(offset=st.integers(min_value=-3000, max_value=3000))
def test_period_containing_fixed_steps_are_exact_multiples(kind, step, offset):
    start_date = D(2026, 3, 2)
    day = start_date + timedelta(days=offset)
    period = period_containing(calendar_type=kind, start_date=start_date, day=day)
    assert period.start <= day <= period.end
    assert (period.end - period.start).days == step - 1
    assert (period.start - start_date).days % step == 0


# --- month-based calendars (assumptions, see the module docstring) ----------------------------------------


@pytest.mark.parametrize(
    ("start_date", "day", "expected"),
    [
        (D(2026, 3, 1), D(2026, 3, 31), (D(2026, 3, 1), D(2026, 3, 31))),
        (D(2026, 3, 1), D(2025, 12, 25), (D(2025, 12, 1), D(2025, 12, 31))),
        (D(2026, 1, 15), D(2026, 2, 14), (D(2026, 1, 15), D(2026, 2, 14))),
        (D(2026, 1, 15), D(2026, 2, 15), (D(2026, 2, 15), D(2026, 3, 14))),
        (D(2026, 1, 15), D(2025, 1, 14), (D(2024, 12, 15), D(2025, 1, 14))),
        # Starting on the 31st: clamped to the month's last day, back to the 31st where there is one.
        (D(2026, 1, 31), D(2026, 2, 27), (D(2026, 1, 31), D(2026, 2, 27))),
        (D(2026, 1, 31), D(2026, 2, 28), (D(2026, 2, 28), D(2026, 3, 30))),
        (D(2026, 1, 31), D(2026, 3, 31), (D(2026, 3, 31), D(2026, 4, 29))),
        (D(2026, 1, 31), D(2026, 4, 30), (D(2026, 4, 30), D(2026, 5, 30))),
        (D(2026, 1, 31), D(2028, 2, 29), (D(2028, 2, 29), D(2028, 3, 30))),
    ],
)
def test_period_containing_monthly_same_day_clamped(start_date, day, expected):
    assert bounds("MONTHLY", start_date, day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 1), (D(2026, 2, 1), D(2026, 2, 15))),
        (D(2026, 2, 15), (D(2026, 2, 1), D(2026, 2, 15))),
        (D(2026, 2, 16), (D(2026, 2, 16), D(2026, 2, 28))),
        (D(2028, 2, 29), (D(2028, 2, 16), D(2028, 2, 29))),
        (D(2026, 12, 31), (D(2026, 12, 16), D(2026, 12, 31))),
    ],
)
def test_period_containing_twice_monthly_halves(day, expected):
    assert bounds("TWICEMONTHLY", D(2026, 1, 1), day) == expected


def test_period_containing_quarterly_three_month_steps():
    assert bounds("QUARTERLY", D(2026, 1, 1), D(2026, 5, 20)) == (D(2026, 4, 1), D(2026, 6, 30))
    assert bounds("QUARTERLY", D(2026, 1, 1), D(2025, 12, 31)) == (D(2025, 10, 1), D(2025, 12, 31))
    assert bounds("QUARTERLY", D(2025, 11, 30), D(2026, 3, 1)) == (D(2026, 2, 28), D(2026, 5, 29))


@pytest.mark.parametrize("kind", CALENDAR_TYPES)
def test_period_containing_start_date_is_its_own_periods_start(kind):
    """Xero's StartDate is the first day of the upcoming period (for TWICEMONTHLY: when it is 1st/16th)."""
    for start_date in (D(2026, 3, 1), D(2026, 3, 16)):
        assert bounds(kind, start_date, start_date)[0] == start_date


@pytest.mark.parametrize("kind", CALENDAR_TYPES)
@given(
    start_date=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)),
    offset=st.integers(min_value=-2000, max_value=2000),
)
def test_period_containing_tiles_the_calendar(kind, start_date, offset):
    day = start_date + timedelta(days=offset)
    period = period_containing(calendar_type=kind, start_date=start_date, day=day)
    assert period.start <= day <= period.end
    following = period_containing(calendar_type=kind, start_date=start_date, day=period.end + timedelta(1))
    preceding = period_containing(calendar_type=kind, start_date=start_date, day=period.start - timedelta(1))
    assert following.start == period.end + timedelta(days=1)
    assert preceding.end == period.start - timedelta(days=1)
    assert is_pay_period(
        calendar_type=kind, start_date=start_date, period_start=period.start, period_end=period.end
    )


# --- paydays ---------------------------------------------------------------------------------------------


def test_period_containing_keeps_the_payday_offset():
    # Upcoming week Mon 2 - Sun 8 Mar, paid Wed 11 Mar: 3 days after the period ends.
    kwargs = {"calendar_type": "WEEKLY", "start_date": D(2026, 3, 2), "payment_date": D(2026, 3, 11)}
    assert period_containing(day=D(2026, 3, 5), **kwargs).payment_date == D(2026, 3, 11)
    assert period_containing(day=D(2026, 2, 25), **kwargs).payment_date == D(2026, 3, 4)
    assert period_containing(day=D(2026, 3, 20), **kwargs).payment_date == D(2026, 3, 25)


def test_period_containing_payday_before_period_end_and_monthly():
    # Monthly on the 1st, paid on the 28th of the month itself: 3 days before a 31-day month ends.
    kwargs = {"calendar_type": "MONTHLY", "start_date": D(2026, 3, 1), "payment_date": D(2026, 3, 28)}
    assert period_containing(day=D(2026, 3, 9), **kwargs).payment_date == D(2026, 3, 28)
    assert period_containing(day=D(2026, 4, 9), **kwargs).payment_date == D(2026, 4, 27)


def test_period_containing_without_payment_date_has_no_payday():
    period = period_containing(calendar_type="WEEKLY", start_date=D(2026, 3, 2), day=D(2026, 3, 3))
    assert period.payment_date is None


# --- pay_periods ------------------------------------------------------------------------------------------


def test_pay_periods_oldest_first_with_current_at_index_before():
    periods = pay_periods(
        calendar_type="WEEKLY",
        start_date=D(2026, 3, 2),
        payment_date=D(2026, 3, 11),
        around=D(2026, 3, 18),
        before=4,
        after=2,
    )
    assert [p.start for p in periods] == [
        D(2026, 2, 16),
        D(2026, 2, 23),
        D(2026, 3, 2),
        D(2026, 3, 9),
        D(2026, 3, 16),  # current: contains 18 Mar
        D(2026, 3, 23),
        D(2026, 3, 30),
    ]
    assert periods[4].start <= D(2026, 3, 18) <= periods[4].end
    assert [p.payment_date for p in periods] == [p.end + timedelta(days=3) for p in periods]


@pytest.mark.parametrize("kind", CALENDAR_TYPES)
@given(
    around=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)),
    before=st.integers(min_value=0, max_value=8),
    after=st.integers(min_value=0, max_value=8),
)
def test_pay_periods_are_contiguous_and_counted(kind, around, before, after):
    periods = pay_periods(
        calendar_type=kind,
        start_date=D(2026, 1, 31),
        payment_date=None,
        around=around,
        before=before,
        after=after,
    )
    assert len(periods) == before + 1 + after
    assert periods[before].start <= around <= periods[before].end
    for older, newer in itertools.pairwise(periods):
        assert newer.start == older.end + timedelta(days=1)


def test_pay_periods_rejects_negative_counts():
    with pytest.raises(ValueError, match="before and after"):
        pay_periods(
            calendar_type="WEEKLY",
            start_date=D(2026, 3, 2),
            payment_date=None,
            around=D(2026, 3, 2),
            before=-1,
        )


# --- is_pay_period, days, label ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "period_start", "period_end", "expected"),
    [
        ("WEEKLY", D(2026, 3, 9), D(2026, 3, 15), True),
        ("WEEKLY", D(2026, 3, 10), D(2026, 3, 16), False),  # misaligned by a day
        ("WEEKLY", D(2026, 3, 9), D(2026, 3, 22), False),  # two weeks
        ("FORTNIGHTLY", D(2026, 3, 2), D(2026, 3, 15), True),
        ("FORTNIGHTLY", D(2026, 3, 9), D(2026, 3, 22), False),
        ("MONTHLY", D(2026, 3, 2), D(2026, 4, 1), True),
        ("MONTHLY", D(2026, 3, 1), D(2026, 3, 31), False),
        ("TWICEMONTHLY", D(2026, 3, 16), D(2026, 3, 31), True),
        ("TWICEMONTHLY", D(2026, 3, 16), D(2026, 3, 30), False),
    ],
)
def test_is_pay_period(kind, period_start, period_end, expected):
    result = is_pay_period(
        calendar_type=kind, start_date=D(2026, 3, 2), period_start=period_start, period_end=period_end
    )
    assert result is expected


def test_days_lists_every_date_in_order():
    period = PayPeriod(start=D(2026, 2, 23), end=D(2026, 3, 8))
    result = days(period)
    assert len(result) == 14
    assert result[0] == D(2026, 2, 23)
    assert result[6] == D(2026, 3, 1)
    assert result[-1] == D(2026, 3, 8)


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (D(2026, 3, 2), D(2026, 3, 8), "Mon 2 Mar \u2013 Sun 8 Mar 2026"),
        (D(2026, 2, 23), D(2026, 3, 8), "Mon 23 Feb \u2013 Sun 8 Mar 2026"),
        (D(2025, 12, 29), D(2026, 1, 4), "Mon 29 Dec 2025 \u2013 Sun 4 Jan 2026"),
    ],
)
def test_pay_period_label(start, end, label):
    assert PayPeriod(start=start, end=end).label == label


def test_pay_period_is_frozen():
    period = PayPeriod(start=D(2026, 3, 2), end=D(2026, 3, 8))
    with pytest.raises(AttributeError):
        period.start = D(2026, 3, 9)  # type: ignore[misc]


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["period_containing", "pay_periods", "is_pay_period"])
def test_unknown_calendar_type_raises_clear_value_error(call):
    funcs = {
        "period_containing": lambda: period_containing(
            calendar_type="YEARLY", start_date=D(2026, 1, 1), day=D(2026, 1, 1)
        ),
        "pay_periods": lambda: pay_periods(
            calendar_type="weekly", start_date=D(2026, 1, 1), payment_date=None, around=D(2026, 1, 1)
        ),
        "is_pay_period": lambda: is_pay_period(
            calendar_type="", start_date=D(2026, 1, 1), period_start=D(2026, 1, 1), period_end=D(2026, 1, 7)
        ),
    }
    with pytest.raises(ValueError, match=r"Unknown Xero calendar type .*expected one of WEEKLY"):
        funcs[call]()
