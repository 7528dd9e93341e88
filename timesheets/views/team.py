"""The team page: everyone's hours for a week or a range of up to 62 days, 50 people a page.

The totals, the counts and "Approve all submitted in this period" cover the whole team, not the
page: the approval posts the period, and the service approves it set-based across every page."""

import datetime

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from staff.models import Role
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest

from ..forms import TeamPeriodForm
from ..models import TimeEntry
from ..selectors import (
    iso_week,
    timesheet_team_get,
    week_start,
)
from ._helpers import (
    render_local,
)


# --- team --------------------------------------------------------------------------------------
@organization_member_required(role=Role.MANAGER)
@require_GET
def timesheet_team(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    this_monday = week_start(organization.today())
    query = TeamPeriodForm(request.GET or None)
    start, end = this_monday, this_monday + datetime.timedelta(days=6)
    if query.is_bound and query.is_valid():
        start = query.cleaned_data.get("start") or start
        end = query.cleaned_data.get("end") or end
    # A bad range is shown back with its error; otherwise the inputs show the period on screen.
    form = (
        query
        if query.is_bound and not query.is_valid()
        else TeamPeriodForm(initial={"start": start, "end": end})
    )
    sheet = timesheet_team_get(organization=organization, start=start, end=end, page=request.GET.get("page"))
    length = (end - start).days + 1
    is_week = length == 7 and start.weekday() == 0
    shift = datetime.timedelta(days=length)
    team_url = reverse("timesheets:team", kwargs={"org_slug": organization.slug})

    def period_url(a: datetime.date, b: datetime.date) -> str:
        if b - a == datetime.timedelta(days=6) and a.weekday() == 0:
            return f"{team_url}?week={iso_week(a)}"
        return f"{team_url}?start={a.isoformat()}&end={b.isoformat()}"

    period = period_url(start, end)
    page = sheet.page

    def page_url(number: int) -> str:
        return period if number == 1 else f"{period}&page={number}"

    page_links = [
        (None, None) if number == page.paginator.ELLIPSIS else (number, page_url(number))
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    context = {
        "sheet": sheet,
        "form": form,
        "start": start,
        "end": end,
        "is_week": is_week,
        "week": iso_week(start),
        "period_days": length,
        "previous_url": period_url(start - shift, end - shift),
        "next_url": period_url(start + shift, end + shift),
        "this_week_url": team_url,
        "page_url": page_url(page.number),
        "page": page,
        "page_links": page_links if page.has_other_pages() else [],
        "previous_page_url": page_url(page.number - 1) if page.has_previous() else "",
        "next_page_url": page_url(page.number + 1) if page.has_next() else "",
        "submitted_count": sheet.totals.counts[TimeEntry.Status.SUBMITTED],
        "clocked_in_count": sheet.totals.clocked_in,
        "is_current": start <= organization.today() <= end,
        "today": organization.today(),
    }
    return render_local(request, "timesheets/timesheet_team.html", context)
