"""POST-only actions: approve, clock in/out, submit a week."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from staff.models import Role
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest

from ..formatting import format_local_moment
from ..forms import ApproveForm, ClockForm, SubmitWeekForm
from ..selectors import (
    time_entry_open_get,
)
from ..services import (
    time_entries_approve,
    time_entries_submit,
    time_entry_clock_in,
    time_entry_clock_out,
)
from ._helpers import (
    error_text,
    hours_text,
    own_staff_member,
    safe_next,
    staff_member_or_404,
    week_url_for,
)


# --- actions -----------------------------------------------------------------------------------
@organization_member_required(role=Role.MANAGER)
@require_POST
def entries_approve(request: OrganizationRequest) -> HttpResponse:
    default = reverse("timesheets:team", kwargs={"org_slug": request.organization.slug})
    next_url = safe_next(request, default)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(next_url)
    data = form.cleaned_data
    try:
        if data["scope"] == "entries":
            result = time_entries_approve(
                organization=request.organization, actor=request.user, entry_ids=data["entry"]
            )
        else:
            result = time_entries_approve(
                organization=request.organization,
                actor=request.user,
                start=data["start"],
                end=data["end"],
                staff_member_ids=data["staff_member"] if data["scope"] == "selected" else None,
            )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        (messages.success if result.approved else messages.warning)(request, result.message)
    return redirect(next_url)


@organization_member_required(role=Role.STAFF)
@require_POST
def clock(request: OrganizationRequest) -> HttpResponse:
    week_url = reverse("timesheets:week", kwargs={"org_slug": request.organization.slug})
    staff_member = own_staff_member(request)
    if staff_member is None:
        messages.error(request, "Your login is not linked to a staff record yet, so you can't clock in.")
        return redirect(week_url)
    form = ClockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the break in whole minutes, or leave it empty.")
        return redirect(week_url)
    organization = request.organization
    is_open = time_entry_open_get(organization=organization, staff_member=staff_member) is not None
    action = form.cleaned_data["action"]
    try:
        if action == "in" and is_open:
            messages.info(request, "You were already clocked in.")
        elif action == "out" and not is_open:
            messages.info(request, "You were already clocked out.")
        elif action == "in":
            entry = time_entry_clock_in(
                organization=organization, actor=request.user, staff_member=staff_member
            )
            since = format_local_moment(entry.start_at, organization.tzinfo, today=organization.today())
            messages.success(request, f"Clocked in at {since}.")
        else:
            entry = time_entry_clock_out(
                organization=organization,
                actor=request.user,
                staff_member=staff_member,
                break_minutes=form.cleaned_data.get("break_minutes") or 0,
            )
            if entry is None:
                messages.info(
                    request, "Clocked out less than a minute after clocking in, so nothing was recorded."
                )
            else:
                messages.success(request, f"Clocked out. {hours_text(entry).capitalize()} recorded.")
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    return redirect(week_url)


@organization_member_required(role=Role.STAFF)
@require_POST
def submit(request: OrganizationRequest) -> HttpResponse:
    form = SubmitWeekForm(request.POST)
    if not form.is_valid():
        raise Http404("No such week.")
    staff_id = form.cleaned_data.get("staff_member")
    if staff_id:
        staff_member = staff_member_or_404(request, staff_id)
    else:
        staff_member = own_staff_member(request)
        if staff_member is None:
            raise Http404("No staff record.")
    start = form.cleaned_data["week"]
    try:
        result = time_entries_submit(
            organization=request.organization, actor=request.user, staff_member=staff_member, week_start=start
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, result.message)
    return redirect(week_url_for(request, staff_member, start))
