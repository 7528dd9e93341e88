"""Settings > Integrations and Timesheets > $Payroll. Their menu places are final; the Xero
connection (issue 4) and the payroll push (issue 6) fill them in."""

from django.http import HttpResponse
from django.shortcuts import render

from staff.models import Role
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest


@organization_member_required(role=Role.MANAGER)
def xero_settings(request: OrganizationRequest) -> HttpResponse:
    return render(
        request,
        "integrations/coming_soon.html",
        {
            "title": "Integrations",
            "feature": "Connect your Xero organisation",
            "body": "Soon an admin can connect Xero here, so approved hours flow straight into Xero Payroll. "
            "Meanwhile, make sure each staff member's first, middle and last name and date of birth "
            "are exactly as they are in Xero: that is how Timeclamp will match them.",
        },
    )


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
