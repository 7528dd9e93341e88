from django.http import HttpRequest


def _nav_section(view_name: str) -> str:
    """Which main-menu entry the page belongs to (Timesheets > $Payroll lives in integrations)."""
    if view_name.startswith("staff:"):
        return "staff"
    if (
        view_name.startswith(("timesheets:", "integrations:payroll"))
        and view_name != "integrations:payroll_settings"
    ):
        return "timesheets"
    if view_name == "organization_settings" or view_name.startswith(("members:", "integrations:")):
        return "settings"
    return ""


def navigation(request: HttpRequest) -> dict:
    """The organisation switcher, the current membership and the menu entry to highlight, for base.html."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(user.memberships.select_related("organization").filter(organization__is_active=True))
    match = getattr(request, "resolver_match", None)
    view_name = (match.view_name if match else "") or ""
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
        "user_memberships": memberships,
        "nav_section": _nav_section(view_name),
        "nav_view": view_name,
    }
