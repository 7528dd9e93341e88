"""Australian formatting for the timesheet templates: {% load timesheet_tags %}.

Datetimes are shown in the current time zone, which the timesheet views set to the organisation's.
"""

import datetime

from django import template
from django.utils import timezone

from ..formatting import format_clock, format_day, format_minutes

register = template.Library()


@register.filter
def hours(minutes: int | None) -> str:
    """7 h 30 m."""
    return format_minutes(minutes)


@register.filter
def hours_or_dash(minutes: int | None) -> str:
    """Like ``hours`` but an en dash for nothing, so empty cells recede in a table."""
    return format_minutes(minutes) if minutes else "\u2013"


@register.filter
def clock(value: datetime.datetime | datetime.time | None) -> str:
    """9:00 am, in the current (organisation's) time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return format_clock(value)


@register.filter
def day(value: datetime.date | None) -> str:
    """Mon 2 Mar."""
    return format_day(value) if value else ""


@register.filter
def day_year(value: datetime.date | None) -> str:
    """Mon 2 Mar 2026."""
    return format_day(value, year=True) if value else ""


@register.filter
def local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(value).date() if value else None
