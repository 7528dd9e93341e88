from django.http import HttpResponse
from django.shortcuts import render

from staff.models import Role
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest


@organization_member_required(role=Role.STAFF)
def timesheet_week(request: OrganizationRequest) -> HttpResponse:
    return render(request, "timesheets/timesheet_week.html", {})


@organization_member_required(role=Role.MANAGER)
def timesheet_team(request: OrganizationRequest) -> HttpResponse:
    return render(request, "timesheets/timesheet_team.html", {})
