"""Lookups with one 404 for missing and not-yours, redirects, and rendering in the organisation's zone."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from staff.models import StaffMember
from staff.selectors import staff_member_for_user, staff_member_get
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.request import OrganizationRequest

from ..formatting import format_minutes
from ..models import TimeEntry
from ..selectors import (
    iso_week,
    iso_week_parse,
    time_entry_get,
    week_start,
)

LONG_SHIFT = datetime.timedelta(hours=12)  # "still clocked in?" nudge


# --- helpers -----------------------------------------------------------------------------------
def render_local(
    request: OrganizationRequest, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """Render with the organisation's time zone active, so every time on the page is local."""
    with timezone.override(request.organization.tzinfo):
        return render(request, template, context, status=status)


def can_manage(request: OrganizationRequest) -> bool:
    return request.membership.is_manager


def own_staff_member(request: OrganizationRequest) -> StaffMember | None:
    return staff_member_for_user(organization=request.organization, user=request.user)


def staff_member_or_404(request: OrganizationRequest, staff_member_id: int) -> StaffMember:
    """A staff record the user may see: anyone's for managers, only their own for staff."""
    try:
        staff_member = staff_member_get(organization=request.organization, pk=staff_member_id)
    except StaffMember.DoesNotExist as exc:
        raise Http404("No such staff member.") from exc
    if not can_manage(request) and staff_member.user_id != request.user.pk:
        raise Http404("No such staff member.")
    return staff_member


def entry_or_404(request: OrganizationRequest, entry_id: int) -> TimeEntry:
    try:
        entry = time_entry_get(organization=request.organization, pk=entry_id)
    except TimeEntry.DoesNotExist as exc:
        raise Http404("No such entry.") from exc
    if not can_manage(request) and entry.staff_member.user_id != request.user.pk:
        raise Http404("No such entry.")
    return entry


def week_url_for(request: OrganizationRequest, staff_member: StaffMember, day: datetime.date) -> str:
    """The week page containing ``day``: the short URL for one's own record."""
    slug = request.organization.slug
    if staff_member.user_id == request.user.pk:
        url = reverse("timesheets:week", kwargs={"org_slug": slug})
    else:
        url = reverse("timesheets:staff_week", kwargs={"org_slug": slug, "staff_member_id": staff_member.pk})
    return f"{url}?week={iso_week(day)}"


def safe_next(request: OrganizationRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    prefix = f"/o/{request.organization.slug}/"
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


def redirect_after_post(request: OrganizationRequest, url: str) -> HttpResponse:
    """After a successful POST: redirect (a full-page redirect for htmx requests too, so the week's
    totals and the message refresh together)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def error_text(exc: ApplicationError) -> str:
    """A service error as one message: its field errors when it has any (no form to show them on)."""
    fields = exc.extra.get("fields", {})
    return " ".join(message for messages_ in fields.values() for message in messages_) or exc.message


def requested_week(request: OrganizationRequest) -> datetime.date:
    value = request.GET.get("week")
    if value:
        start = iso_week_parse(value)
        if start is not None:
            return start
        messages.warning(request, f"“{value[:20]}” is not a week (use e.g. 2026-W10); showing this week.")
    return week_start(request.organization.today())


def hours_text(entry: TimeEntry) -> str:
    return format_minutes(entry.minutes) if not entry.is_open else "clocked in"
