"""Our timesheets -> Xero Payroll AU v1 payloads (pure: no DB, no HTTP, no settings).

We store work as integer minutes; Xero wants decimal hours per day. This module is the only place that
converts between the two (house style D).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from integrations.periods import PayPeriod, days
from integrations.xero.types import TimesheetDraft, TimesheetLine

T = TypeVar("T")

# The statuses a push may ask for; PROCESSED/REJECTED/REQUESTED are set by Xero or its users.
PUSH_STATUSES = ("DRAFT", "APPROVED")
IDEMPOTENCY_KEY_MAX = 128  # Xero's documented maximum (xero-api-notes §2.1)
BATCH_SIZE = 50  # Xero's recommended maximum elements per POST (xero-api-notes §2.6)


def hours_per_day(minutes_by_day: Sequence[int]) -> list[Decimal]:
    """Minutes per day -> hours per day with two decimals, one value per input day.

    The values add up to exactly ``round(sum(minutes) / 60, 2)`` (largest-remainder method): each day
    gets its exact value rounded down to the hundredth, then the hundredths still missing go one each to
    the days with the largest remainders (earliest day first on ties). So every day is within 0.01 h of
    its exact value, a day with no minutes stays exactly 0, and nothing is ever negative.

    A minute is 5/3 hundredths of an hour, so the remainders are thirds and the total is never a tie
    (no x.xx5): the rounding mode of the total cannot matter.
    """
    for minutes in minutes_by_day:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise TypeError(f"minutes must be whole numbers, got {minutes!r}")
        if minutes < 0:
            raise ValueError(f"minutes cannot be negative, got {minutes}")
    # Hundredths of an hour: minutes * 100 / 60 = minutes * 5 / 3.
    floors = [minutes * 5 // 3 for minutes in minutes_by_day]
    remainders = [minutes * 5 % 3 for minutes in minutes_by_day]
    total_exact_thirds = sum(minutes * 5 for minutes in minutes_by_day)
    target = (total_exact_thirds + 1) // 3  # round half up; a half never occurs (see docstring)
    missing = target - sum(floors)
    # 0 <= missing <= number of days with a positive remainder (sum(r)/3 rounded < count(r > 0)).
    by_remainder = sorted(range(len(floors)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:missing]:
        floors[i] += 1
    return [Decimal(hundredths).scaleb(-2) for hundredths in floors]


def _units(period: PayPeriod, minutes_by_date: Mapping[date, int], what: str) -> tuple[Decimal, ...]:
    period_days = days(period)
    outside = sorted(day for day in minutes_by_date if not period.start <= day <= period.end)
    if outside:
        shown = ", ".join(day.isoformat() for day in outside[:5])
        raise ValueError(
            f"{what} has minutes on {len(outside)} day(s) outside the period "
            f"{period.start.isoformat()}..{period.end.isoformat()}: {shown}"
        )
    return tuple(hours_per_day([minutes_by_date.get(day, 0) for day in period_days]))


def timesheet_draft(
    *,
    employee_id: str,
    period: PayPeriod,
    minutes_by_date: Mapping[date, int],
    earnings_rate_id: str,
    status: str,
    timesheet_id: str = "",
    overtime_rate_id: str | None = None,
    overtime_minutes_by_date: Mapping[date, int] | None = None,
) -> TimesheetDraft:
    """One employee's timesheet for one pay period.

    Every line's ``NumberOfUnits`` holds exactly one value per day of the period, in date order starting
    at the period's first day, with 0 for days without hours (Xero's array is positional, §2.6). The
    ordinary line is always sent (an all-zero line clears an existing timesheet on update); an overtime
    line is added when ``overtime_minutes_by_date`` has any minutes. Minutes dated outside the period
    raise ``ValueError`` rather than being dropped.
    """
    if not employee_id:
        raise ValueError("employee_id is required")
    if not earnings_rate_id:
        raise ValueError("earnings_rate_id is required")
    if status not in PUSH_STATUSES:
        raise ValueError(f"status must be one of {', '.join(PUSH_STATUSES)}, got {status!r}")
    if period.end < period.start:
        raise ValueError(f"period ends ({period.end}) before it starts ({period.start})")
    lines = [
        TimesheetLine(earnings_rate_id=earnings_rate_id, units=_units(period, minutes_by_date, "timesheet"))
    ]
    if overtime_minutes_by_date and any(overtime_minutes_by_date.values()):
        if not overtime_rate_id:
            raise ValueError("overtime minutes were given without an overtime_rate_id")
        if overtime_rate_id == earnings_rate_id:
            raise ValueError("overtime_rate_id must differ from earnings_rate_id (one line per rate)")
        lines.append(
            TimesheetLine(
                earnings_rate_id=overtime_rate_id,
                units=_units(period, overtime_minutes_by_date, "overtime"),
            )
        )
    return TimesheetDraft(
        employee_id=employee_id,
        start_date=period.start,
        end_date=period.end,
        status=status,
        lines=tuple(lines),
        timesheet_id=timesheet_id,
    )


def _canonical_json(payload: object) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def draft_fingerprint(draft: TimesheetDraft) -> str:
    """sha256 (hex, 64 chars) of the canonical JSON of exactly what would be POSTed for ``draft``.

    Equal payloads give equal fingerprints (Decimal("1.5") and Decimal("1.50") both send 1.5).
    """
    return hashlib.sha256(_canonical_json(draft.to_api())).hexdigest()


_KEY_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def batch_idempotency_key(push_key: str, drafts: Iterable[TimesheetDraft]) -> str:
    """``Idempotency-Key`` for one POST /Timesheets batch: ``<push key prefix>.<sha256 hex>``.

    At most 128 characters. The digest covers the whole push key and the *set* of draft fingerprints,
    so a retry of the same batch gets the same key even if the drafts come in another order, and a
    batch whose content changed (new hours, another employee) gets a new key. The readable prefix is
    the push key reduced to ``[A-Za-z0-9_-]`` and cut to 63 characters, for tracing in logs.
    """
    if not push_key:
        raise ValueError("push_key is required")
    fingerprints = sorted(draft_fingerprint(draft) for draft in drafts)
    if not fingerprints:
        raise ValueError("a batch needs at least one timesheet")
    digest = hashlib.sha256(_canonical_json([push_key, fingerprints])).hexdigest()
    prefix = _KEY_SAFE.sub("", push_key)[:63]
    return f"{prefix}.{digest}" if prefix else digest  # <= 63 + 1 + 64 = IDEMPOTENCY_KEY_MAX


def chunk(items: Iterable[T], size: int = BATCH_SIZE) -> list[list[T]]:
    """Split ``items`` into lists of at most ``size``, in order (the last one may be shorter)."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    batches: list[list[T]] = []
    for item in items:
        if not batches or len(batches[-1]) == size:
            batches.append([])
        batches[-1].append(item)
    return batches
