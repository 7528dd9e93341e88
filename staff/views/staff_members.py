"""Staff menu: list, search, add, edit, archive staff records."""

from django.http import HttpResponse
from django.shortcuts import render

from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest

from ..models import Role
from ..selectors import staff_member_list as staff_member_list_select


@organization_member_required(role=Role.MANAGER)
def staff_member_list(request: OrganizationRequest) -> HttpResponse:
    search = request.GET.get("q", "")[:100]
    members = staff_member_list_select(organization=request.organization, search=search)
    return render(request, "staff/staff_member_list.html", {"staff_members": members, "search": search})
