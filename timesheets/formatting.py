"""How durations, times and days read in Australia. Pure functions, shared by services (messages),
views and templates so a time is written the same way everywhere.

Durations are exact hours and minutes ("7 h 30 m"), never rounded decimal hours: staff check them
against their own notes, and the conversion to Xero's decimal hours happens in integrations only.
"""

import datetime
import zoneinfo

from django.utils import timezone


def format_minutes(minutes: int | None) -> str:
    """7 h 30 m, 8 h, 45 m, 0 h."""
    minutes = int(minutes or 0)
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest:02d} m"
    if hours:
        return f"{sign}{hours} h"
    if rest:
        return f"{sign}{rest} m"
    return "0 h"


def format_clock(value: datetime.time | datetime.datetime) -> str:
    """9:00 am, 12:30 pm (no leading zero, lower-case am/pm, as Australians write it)."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'am' if value.hour < 12 else 'pm'}"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: datetime.date, *, year: bool = False) -> str:
    """Mon 2 Mar (or Mon 2 Mar 2026). Not strftime: that would follow the server's C locale."""
    text = f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def local(value: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    return timezone.localtime(value, tz)


def format_local_time(value: datetime.datetime, tz: zoneinfo.ZoneInfo) -> str:
    return format_clock(local(value, tz))


def format_local_moment(value: datetime.datetime, tz: zoneinfo.ZoneInfo, *, today: datetime.date) -> str:
    """9:02 am when ``value`` is today in ``tz``, else Sun 1 Mar, 10:02 pm."""
    moment = local(value, tz)
    if moment.date() == today:
        return format_clock(moment)
    return f"{format_day(moment.date())}, {format_clock(moment)}"
