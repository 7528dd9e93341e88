from django import template

register = template.Library()


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
