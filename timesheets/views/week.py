"""One person's week: the user's own, a manager's staff picker, or anyone's week for managers."""

import datetime

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from staff.models import Role, StaffMember
from staff.selectors import staff_member_list
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest

from ..formatting import format_local_moment
from ..forms import ClockForm, TimeEntryForm
from ..models import TimeEntry
from ..selectors import (
    iso_week,
    timesheet_week_get,
)
from ._helpers import (
    LONG_SHIFT,
    can_manage,
    own_staff_member,
    render_local,
    requested_week,
    staff_member_or_404,
    week_url_for,
)


# --- week --------------------------------------------------------------------------------------
@organization_member_required(role=Role.STAFF)
@require_GET
def timesheet_week(request: OrganizationRequest) -> HttpResponse:
    """The user's own week; for a manager without a staff record of their own, a staff picker."""
    start = requested_week(request)
    picked = request.GET.get("staff_member", "")
    if picked.isdigit() and can_manage(request):
        staff_member = staff_member_or_404(request, int(picked))
        return redirect(week_url_for(request, staff_member, start))
    own = own_staff_member(request)
    if own is not None:
        return _week_page(request, own, start)
    if can_manage(request):
        people = list(staff_member_list(organization=request.organization).filter(is_active=True))
        return render_local(
            request,
            "timesheets/timesheet_picker.html",
            {"staff_members": people, "week": iso_week(start), "start": start},
        )
    return render_local(request, "timesheets/timesheet_unlinked.html", {})


@organization_member_required(role=Role.STAFF)
@require_GET
def staff_week(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    staff_member = staff_member_or_404(request, staff_member_id)
    return _week_page(request, staff_member, requested_week(request))


def _week_page(request: OrganizationRequest, staff_member: StaffMember, start: datetime.date) -> HttpResponse:
    organization = request.organization
    sheet = timesheet_week_get(organization=organization, staff_member=staff_member, start=start)
    today = organization.today()
    is_own = staff_member.user_id == request.user.pk
    is_manager = can_manage(request)
    default_day = today if sheet.start <= today <= sheet.end else sheet.start
    open_entry = sheet.open_entry
    clock = None
    if is_own and not staff_member.is_archived:
        clock = {
            "form": ClockForm(initial={"action": "out" if open_entry else "in"}),
            "since": format_local_moment(open_entry.start_at, organization.tzinfo, today=today)
            if open_entry
            else "",
            "long": bool(open_entry and timezone.now() - open_entry.start_at > LONG_SHIFT),
        }
    base = reverse(
        "timesheets:staff_week", kwargs={"org_slug": organization.slug, "staff_member_id": staff_member.pk}
    )
    if is_own:
        base = reverse("timesheets:week", kwargs={"org_slug": organization.slug})
    context = {
        "sheet": sheet,
        "staff_member": staff_member,
        "is_own": is_own,
        "is_manager": is_manager,
        "can_edit": not staff_member.is_archived,
        "clock": clock,
        "today": today,
        "this_week": iso_week(today),
        "base_url": base,
        "page_url": f"{base}?week={sheet.week}",
        "add_url": reverse(
            "timesheets:entry_create",
            kwargs={"org_slug": organization.slug, "staff_member_id": staff_member.pk},
        ),
        "add_form": TimeEntryForm(initial={"work_date": default_day, "break_minutes": 0}, prefix_id="add"),
        "submitted_count": sheet.counts[TimeEntry.Status.SUBMITTED],
        "people": list(staff_member_list(organization=organization).filter(is_active=True))
        if is_manager
        else [],
    }
    return render_local(request, "timesheets/timesheet_week.html", context)
