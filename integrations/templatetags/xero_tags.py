from django import template
from django.utils import dateformat, timezone

from timesheets.formatting import format_clock

register = template.Library()


@register.filter
def moment(value, date_format: str = "j M Y") -> str:
    """3 Dec 2026, 4:16 pm: in the current (organisation's) time zone, with am/pm written as
    Australians do (Django's "a" gives "p.m.")."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{dateformat.format(local, date_format)}, {format_clock(local)}"


@register.filter
def lookup(mapping: dict, key):
    """{{ mapping|lookup:key }} for dicts keyed by a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def differing_fields(differences) -> set[str]:
    return {d.field for d in differences or ()}


@register.filter
def count_action(preview, action: str) -> int:
    return preview.count(action)


@register.filter
def sum_hours(values) -> str:
    return str(sum(values or ()))
