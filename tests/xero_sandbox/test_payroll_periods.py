"""Pay-period arithmetic (xero_sandbox/payroll/periods.py) and the where/order parser."""

import datetime
import uuid
from types import SimpleNamespace

import pytest

from xero_sandbox.payroll import periods, query, xerojson
from xero_sandbox.payroll.query import DATE, GUID, NUMBER, STRING, Field, QueryParseError

D = datetime.date


def period(kind, anchor, day):
    p = periods.period_containing(kind, anchor, day)
    return (p.start, p.end)


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
def test_fixed_step_calendars_in_both_directions(kind, day, expected):
    assert period(kind, D(2026, 3, 2), day) == expected


@pytest.mark.parametrize(
    ("anchor", "day", "expected"),
    [
        (D(2026, 3, 1), D(2026, 3, 31), (D(2026, 3, 1), D(2026, 3, 31))),
        (D(2026, 3, 1), D(2025, 12, 25), (D(2025, 12, 1), D(2025, 12, 31))),
        (D(2026, 1, 15), D(2026, 2, 14), (D(2026, 1, 15), D(2026, 2, 14))),
        (D(2026, 1, 15), D(2026, 2, 15), (D(2026, 2, 15), D(2026, 3, 14))),
        # Anchor on the 31st: clamped to the month's last day.
        (D(2026, 1, 31), D(2026, 2, 27), (D(2026, 1, 31), D(2026, 2, 27))),
        (D(2026, 1, 31), D(2026, 2, 28), (D(2026, 2, 28), D(2026, 3, 30))),
        (D(2026, 1, 31), D(2026, 4, 30), (D(2026, 4, 30), D(2026, 5, 30))),
        (D(2026, 1, 31), D(2028, 2, 29), (D(2028, 2, 29), D(2028, 3, 30))),
    ],
)
def test_monthly(anchor, day, expected):
    assert period("MONTHLY", anchor, day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 1), (D(2026, 2, 1), D(2026, 2, 15))),
        (D(2026, 2, 15), (D(2026, 2, 1), D(2026, 2, 15))),
        (D(2026, 2, 16), (D(2026, 2, 16), D(2026, 2, 28))),
        (D(2028, 2, 29), (D(2028, 2, 16), D(2028, 2, 29))),
    ],
)
def test_twice_monthly(day, expected):
    assert period("TWICEMONTHLY", D(2026, 1, 1), day) == expected


def test_quarterly():
    assert period("QUARTERLY", D(2026, 1, 1), D(2026, 5, 20)) == (D(2026, 4, 1), D(2026, 6, 30))
    assert period("QUARTERLY", D(2026, 1, 1), D(2025, 12, 31)) == (D(2025, 10, 1), D(2025, 12, 31))
    assert period("QUARTERLY", D(2025, 11, 30), D(2026, 3, 1)) == (D(2026, 2, 28), D(2026, 5, 29))


@pytest.mark.parametrize("kind", periods.CALENDAR_TYPES)
def test_periods_tile_the_calendar(kind):
    anchor = D(2026, 1, 31)
    current = periods.period_containing(kind, anchor, D(2025, 6, 1))
    for _ in range(40):
        following = periods.next_period(kind, anchor, current)
        assert following.start == current.end + datetime.timedelta(days=1)
        assert periods.previous_period(kind, anchor, following) == current
        assert periods.is_pay_period(kind, anchor, following.start, following.end)
        assert not periods.is_pay_period(
            kind, anchor, following.start, following.end + datetime.timedelta(days=1)
        )
        current = following


def test_unknown_calendar_type():
    with pytest.raises(ValueError, match="Unknown calendar type"):
        periods.period_containing("YEARLY", D(2026, 1, 1), D(2026, 1, 1))


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/Date(572313600000+0000)/", D(1988, 2, 20)),
        ("/Date(572313600000)/", D(1988, 2, 20)),
        ("/Date(572277600000+1000)/", D(1988, 2, 19)),  # local midnight in Sydney: the UTC date
        ("1988-02-20", D(1988, 2, 20)),
        ("1988-02-20T00:00:00", D(1988, 2, 20)),
    ],
)
def test_parse_date(raw, expected):
    assert xerojson.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["20/02/1988", "", "/Date(abc)/", 572313600000])
def test_parse_date_rejects(raw):
    with pytest.raises(ValueError, match="not"):
        xerojson.parse_date(raw)


def test_ms_date_is_utc_midnight():
    assert xerojson.ms_date(D(1988, 2, 20)) == "/Date(572313600000+0000)/"


# --- where / order --------------------------------------------------------------------------------

FIELDS = {
    "Name": Field(STRING, lambda o: o.name),
    "ID": Field(GUID, lambda o: o.id),
    "Day": Field(DATE, lambda o: o.day),
    "Hours": Field(NUMBER, lambda o: o.hours),
}
ROWS = [
    SimpleNamespace(name="a", id=uuid.UUID(int=1), day=D(2026, 3, 2), hours=8),
    SimpleNamespace(name="b", id=uuid.UUID(int=2), day=D(2026, 3, 9), hours=4),
    SimpleNamespace(name="c", id=uuid.UUID(int=3), day=None, hours=None),
]


def names(where):
    predicate = query.where_predicate(where, FIELDS, "Row")
    return [r.name for r in ROWS if predicate(r)]


def test_where_operators():
    assert names('Name=="a"') == ["a"]
    assert names('Name!="a"') == ["b", "c"]
    assert names("Hours>4") == ["a"]
    assert names("Hours<=4") == ["b"]
    assert names("Day<DateTime(2026,03,09)") == ["a"]
    assert names("Day==DateTime(2026,3,9,0,0,0)") == ["b"]
    assert names('ID==Guid("00000000-0000-0000-0000-000000000002")') == ["b"]
    assert names('ID=="00000000-0000-0000-0000-000000000003"') == ["c"]
    assert names("Day==null") == ["c"]
    assert names('Name=="a" OR Name=="b" AND Hours==4') == ["a", "b"]
    assert names('(Name=="a" OR Name=="b") AND Hours==4') == ["b"]
    assert names('Name=="say ""hi"""') == []


@pytest.mark.parametrize(
    "where",
    [
        'Name="a"',
        'Name>"a"',
        'Hours=="4"',
        'Day>="2026-03-02"',
        "ID==5",
        'Guid("x")==ID',
        "Name==",
        '(Name=="a"',
        'Name=="a" Name',
    ],
)
def test_where_errors(where):
    with pytest.raises(QueryParseError):
        names(where)


def test_order():
    ordered = query.apply_order(list(ROWS), "Hours DESC", FIELDS, "Row")
    assert [r.name for r in ordered] == ["a", "b", "c"]
    ordered = query.apply_order(list(ROWS), "Day", FIELDS, "Row")
    assert [r.name for r in ordered] == ["c", "a", "b"]
    with pytest.raises(QueryParseError, match="No property or field 'Shoe'"):
        query.apply_order(list(ROWS), "Shoe", FIELDS, "Row")
