"""Timesheets > $Payroll. Its menu place is final; the payroll push (issue 6) fills it in."""

from django.http import HttpResponse
from django.shortcuts import render

from staff.models import Role
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest


@organization_member_required(role=Role.MANAGER)
def payroll(request: OrganizationRequest) -> HttpResponse:
    return render(
        request,
        "integrations/coming_soon.html",
        {
            "title": "$Payroll",
            "feature": "Send approved timesheets to Xero Payroll",
            "body": "Soon a manager picks a Xero payroll calendar and pay period here, previews what will go, "
            "and shares the approved hours to Xero Payroll in one step. Approve your timesheets now "
            "and they will be ready.",
        },
    )
