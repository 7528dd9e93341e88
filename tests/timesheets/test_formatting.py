import datetime
import zoneinfo

import pytest

from timesheets.formatting import format_clock, format_day, format_local_moment, format_minutes

SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 h"), (None, "0 h"), (45, "45 m"), (60, "1 h"), (450, "7 h 30 m"), (485, "8 h 05 m")],
)
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime.time(0, 5), "12:05 am"),
        (datetime.time(9, 0), "9:00 am"),
        (datetime.time(12, 30), "12:30 pm"),
        (datetime.time(17, 45), "5:45 pm"),
    ],
)
def test_format_clock(value, text):
    assert format_clock(value) == text


def test_format_day_is_australian_and_locale_independent():
    assert format_day(datetime.date(2026, 3, 2)) == "Mon 2 Mar"
    assert format_day(datetime.date(2026, 3, 2), year=True) == "Mon 2 Mar 2026"


def test_format_local_moment_names_the_day_unless_today():
    moment = datetime.datetime(2026, 3, 3, 11, 2, tzinfo=datetime.UTC)  # 10:02 pm Tue in Sydney
    assert format_local_moment(moment, SYDNEY, today=datetime.date(2026, 3, 3)) == "10:02 pm"
    assert format_local_moment(moment, SYDNEY, today=datetime.date(2026, 3, 4)) == "Tue 3 Mar, 10:02 pm"
