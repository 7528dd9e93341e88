"""Minutes -> Xero decimal hours and timesheet payloads (integrations/mapping.py): pure, no database."""

import datetime
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.mapping import (
    batch_idempotency_key,
    chunk,
    draft_fingerprint,
    hours_per_day,
    timesheet_draft,
)
from integrations.periods import CALENDAR_TYPES, PayPeriod, days, period_containing

D = datetime.date
WEEK = PayPeriod(start=D(2026, 3, 2), end=D(2026, 3, 8))
FORTNIGHT = PayPeriod(start=D(2026, 3, 2), end=D(2026, 3, 15))
ORDINARY = "ab11c2d3-0000-4000-8000-000000000001"
OVERTIME = "ab11c2d3-0000-4000-8000-000000000002"
EMPLOYEE = "e5a1f2b3-0000-4000-8000-0000000000aa"

minutes_lists = st.lists(st.integers(min_value=0, max_value=24 * 60), max_size=62)


def exact_total(minutes):
    return (Decimal(sum(minutes)) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- hours_per_day ----------------------------------------------------------------------------------------


@given(minutes_lists)
def test_hours_per_day_preserves_the_rounded_total(minutes):
    hours = hours_per_day(minutes)
    assert len(hours) == len(minutes)
    assert sum(hours, Decimal(0)) == exact_total(minutes)
    assert sum(hours, Decimal(0)) == Decimal(str(round(sum(minutes) / 60, 2)))


@given(minutes_lists)
def test_hours_per_day_each_day_within_a_hundredth_never_negative_zero_stays_zero(minutes):
    for m, h in zip(minutes, hours_per_day(minutes), strict=True):
        assert h >= 0
        assert h.as_tuple().exponent == -2
        assert abs(h - Decimal(m) / 60) < Decimal("0.01")
        if m == 0:
            assert h == 0


def test_hours_per_day_largest_remainder_example():
    # 20 min = 0.333.. h each: three days make exactly 1.00 h, the 0.01 goes to the earliest day.
    assert hours_per_day([20, 20, 20]) == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    # 40 min = 0.666.. h: two days make 1.33 h.
    assert hours_per_day([40, 40]) == [Decimal("0.67"), Decimal("0.66")]
    assert hours_per_day([450, 0, 485]) == [Decimal("7.50"), Decimal("0.00"), Decimal("8.08")]


def test_hours_per_day_empty():
    assert hours_per_day([]) == []


@pytest.mark.parametrize("bad", [-1, -60])
def test_hours_per_day_rejects_negative_minutes(bad):
    with pytest.raises(ValueError, match="negative"):
        hours_per_day([60, bad])


@pytest.mark.parametrize("bad", [1.5, "60", True, None])
def test_hours_per_day_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="whole numbers"):
        hours_per_day([bad])


# --- timesheet_draft --------------------------------------------------------------------------------------


def test_timesheet_draft_one_value_per_day_zeros_included():
    draft = timesheet_draft(
        employee_id=EMPLOYEE,
        period=WEEK,
        minutes_by_date={D(2026, 3, 2): 450, D(2026, 3, 4): 465, D(2026, 3, 8): 20},
        earnings_rate_id=ORDINARY,
        status="APPROVED",
    )
    assert (draft.start_date, draft.end_date, draft.status, draft.timesheet_id) == (
        D(2026, 3, 2),
        D(2026, 3, 8),
        "APPROVED",
        "",
    )
    (line,) = draft.lines
    assert line.earnings_rate_id == ORDINARY
    assert line.units == tuple(Decimal(v) for v in ("7.50", "0.00", "7.75", "0.00", "0.00", "0.00", "0.33"))
    payload = draft.to_api()
    assert payload["TimesheetLines"][0]["NumberOfUnits"] == [7.5, 0, 7.75, 0, 0, 0, 0.33]
    assert "TimesheetID" not in payload


def test_timesheet_draft_fortnight_sends_fourteen_values():
    draft = timesheet_draft(
        employee_id=EMPLOYEE,
        period=FORTNIGHT,
        minutes_by_date={D(2026, 3, 15): 60},
        earnings_rate_id=ORDINARY,
        status="DRAFT",
    )
    assert len(draft.lines[0].units) == 14
    assert draft.lines[0].units[-1] == Decimal("1.00")


def test_timesheet_draft_with_overtime_adds_a_second_line():
    draft = timesheet_draft(
        employee_id=EMPLOYEE,
        period=WEEK,
        minutes_by_date={D(2026, 3, 2): 480},
        earnings_rate_id=ORDINARY,
        status="DRAFT",
        timesheet_id="ts-1",
        overtime_rate_id=OVERTIME,
        overtime_minutes_by_date={D(2026, 3, 2): 90, D(2026, 3, 3): 0},
    )
    assert [line.earnings_rate_id for line in draft.lines] == [ORDINARY, OVERTIME]
    assert draft.lines[1].units == (Decimal("1.50"),) + (Decimal("0.00"),) * 6
    assert draft.to_api()["TimesheetID"] == "ts-1"


def test_timesheet_draft_without_overtime_minutes_has_one_line():
    draft = timesheet_draft(
        employee_id=EMPLOYEE,
        period=WEEK,
        minutes_by_date={},
        earnings_rate_id=ORDINARY,
        status="DRAFT",
        overtime_rate_id=OVERTIME,
        overtime_minutes_by_date={D(2026, 3, 3): 0},
    )
    assert len(draft.lines) == 1
    assert draft.lines[0].units == (Decimal("0.00"),) * 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minutes_by_date": {D(2026, 3, 9): 60}}, "outside the period 2026-03-02..2026-03-08: 2026-03-09"),
        ({"minutes_by_date": {D(2026, 3, 1): 60}}, "outside the period"),
        ({"status": "PROCESSED"}, "status must be one of DRAFT, APPROVED"),
        ({"employee_id": ""}, "employee_id is required"),
        ({"earnings_rate_id": ""}, "earnings_rate_id is required"),
        ({"overtime_minutes_by_date": {D(2026, 3, 2): 30}}, "without an overtime_rate_id"),
        (
            {"overtime_rate_id": ORDINARY, "overtime_minutes_by_date": {D(2026, 3, 2): 30}},
            "must differ from earnings_rate_id",
        ),
        (
            {"overtime_rate_id": OVERTIME, "overtime_minutes_by_date": {D(2026, 3, 20): 30}},
            "overtime has minutes on 1 day",
        ),
        ({"minutes_by_date": {D(2026, 3, 2): -30}}, "negative"),
    ],
)
def test_timesheet_draft_rejects_bad_input(kwargs, message):
    arguments = {
        "employee_id": EMPLOYEE,
        "period": WEEK,
        "minutes_by_date": {D(2026, 3, 2): 60},
        "earnings_rate_id": ORDINARY,
        "status": "DRAFT",
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        timesheet_draft(**arguments)


@given(
    kind=st.sampled_from(CALENDAR_TYPES),
    around=st.dates(min_value=D(2020, 1, 1), max_value=D(2040, 12, 31)),
    data=st.data(),
)
def test_timesheet_draft_length_always_equals_days_and_totals_hold(kind, around, data):
    period = period_containing(calendar_type=kind, start_date=D(2026, 1, 31), day=around)
    period_days = days(period)
    minutes_by_date = data.draw(
        st.dictionaries(st.sampled_from(period_days), st.integers(min_value=0, max_value=1440), max_size=31)
    )
    overtime = data.draw(
        st.dictionaries(st.sampled_from(period_days), st.integers(min_value=1, max_value=600), max_size=5)
    )
    draft = timesheet_draft(
        employee_id=EMPLOYEE,
        period=period,
        minutes_by_date=minutes_by_date,
        earnings_rate_id=ORDINARY,
        status="APPROVED",
        overtime_rate_id=OVERTIME,
        overtime_minutes_by_date=overtime,
    )
    assert len(draft.lines) == (2 if overtime else 1)
    for line, source in zip(draft.lines, (minutes_by_date, overtime), strict=False):
        assert len(line.units) == len(period_days)
        assert sum(line.units, Decimal(0)) == exact_total(list(source.values()))
        for day, units in zip(period_days, line.units, strict=True):
            if not source.get(day):
                assert units == 0


# --- fingerprints and idempotency keys --------------------------------------------------------------------


def make_draft(employee_id=EMPLOYEE, minutes=450):
    return timesheet_draft(
        employee_id=employee_id,
        period=WEEK,
        minutes_by_date={D(2026, 3, 2): minutes},
        earnings_rate_id=ORDINARY,
        status="DRAFT",
    )


def test_draft_fingerprint_is_sha256_of_the_payload_and_stable():
    first, again = make_draft(), make_draft()
    assert draft_fingerprint(first) == draft_fingerprint(again)
    canonical = json.dumps(first.to_api(), sort_keys=True, separators=(",", ":")).encode()
    assert draft_fingerprint(first) == hashlib.sha256(canonical).hexdigest()
    assert draft_fingerprint(first) != draft_fingerprint(make_draft(minutes=451))
    assert draft_fingerprint(first) != draft_fingerprint(make_draft(employee_id="someone-else"))


def test_batch_idempotency_key_stable_across_retries_and_order():
    drafts = [make_draft(employee_id=f"emp-{i}") for i in range(3)]
    key = batch_idempotency_key("3f1c9a2e-7d4b-4c1a-9e8f-0123456789ab", drafts)
    assert key == batch_idempotency_key("3f1c9a2e-7d4b-4c1a-9e8f-0123456789ab", list(reversed(drafts)))
    assert key.startswith("3f1c9a2e-7d4b-4c1a-9e8f-0123456789ab.")
    assert len(key) <= 128


def test_batch_idempotency_key_changes_with_push_or_content():
    drafts = [make_draft(employee_id=f"emp-{i}") for i in range(3)]
    key = batch_idempotency_key("push-1", drafts)
    assert key != batch_idempotency_key("push-2", drafts)
    assert key != batch_idempotency_key("push-1", drafts[:2])
    assert key != batch_idempotency_key("push-1", [*drafts[:2], make_draft(employee_id="emp-2", minutes=1)])


@given(push_key=st.text(min_size=1, max_size=500))
def test_batch_idempotency_key_at_most_128_header_safe_chars(push_key):
    key = batch_idempotency_key(push_key, [make_draft()])
    assert 64 <= len(key) <= 128
    assert key.isascii()
    assert all(c.isalnum() or c in "-_." for c in key)


def test_batch_idempotency_key_long_push_keys_still_differ():
    base = "x" * 200
    assert batch_idempotency_key(base + "a", [make_draft()]) != batch_idempotency_key(
        base + "b", [make_draft()]
    )


def test_batch_idempotency_key_rejects_empty_input():
    with pytest.raises(ValueError, match="push_key"):
        batch_idempotency_key("", [make_draft()])
    with pytest.raises(ValueError, match="at least one"):
        batch_idempotency_key("push-1", [])


# --- chunk -----------------------------------------------------------------------------------------------


def test_chunk_default_fifty():
    batches = chunk(range(120))
    assert [len(b) for b in batches] == [50, 50, 20]
    assert [x for b in batches for x in b] == list(range(120))


@given(items=st.lists(st.integers()), size=st.integers(min_value=1, max_value=60))
def test_chunk_keeps_order_and_bounds(items, size):
    batches = chunk(iter(items), size)
    assert [x for b in batches for x in b] == items
    assert all(1 <= len(b) <= size for b in batches)
    assert all(len(b) == size for b in batches[:-1])


def test_chunk_rejects_nonpositive_size():
    with pytest.raises(ValueError, match="size"):
        chunk([1], 0)
