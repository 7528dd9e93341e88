from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """The organisation switcher and the current membership, for base.html."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(user.memberships.select_related("organization").filter(organization__is_active=True))
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "user_memberships": memberships,
    }
