"""Staff menu: list, search, add, edit, archive and restore staff records (managers and admins)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest
from timeclamp.views import form_add_application_error

from .. import selectors, services
from ..forms import StaffMemberForm
from ..models import Role, StaffMember

STAFF_PER_PAGE = 50


def _staff_member_or_404(request: OrganizationRequest, pk: int) -> StaffMember:
    try:
        return selectors.staff_member_get(organization=request.organization, pk=pk)
    except StaffMember.DoesNotExist as exc:
        raise Http404("No such staff member.") from exc


@organization_member_required(role=Role.MANAGER)
@require_http_methods(["GET", "HEAD"])
def staff_member_list(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    search = request.GET.get("q", "").strip()[:100]
    show_archived = request.GET.get("archived") == "1"
    members = selectors.staff_member_list(
        organization=organization, search=search, include_archived=show_archived
    )
    page = Paginator(members, STAFF_PER_PAGE).get_page(request.GET.get("page"))
    # Only when the page is empty: does the organisation have anybody at all? (decides the empty state)
    has_any_staff = bool(page.object_list) or (
        (search or not show_archived)
        and selectors.staff_member_list(organization=organization, include_archived=True).exists()
    )
    query = {"q": search} if search else {}
    if show_archived:
        query["archived"] = "1"
    return render(
        request,
        "staff/staff_member_list.html",
        {
            "page": page,
            "staff_members": page.object_list,
            "search": search,
            "show_archived": show_archived,
            "has_any_staff": has_any_staff,
            "page_query": urlencode(query),
        },
    )


@organization_member_required(role=Role.MANAGER)
@require_http_methods(["GET", "POST"])
def staff_member_new(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    form = StaffMemberForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.staff_member_create(
                organization=organization, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(request, f"{member.full_name} added to your staff.")
            if "add_another" in request.POST:
                return redirect("staff:new", org_slug=organization.slug)
            return redirect("staff:list", org_slug=organization.slug)
    return render(request, "staff/staff_member_form.html", {"form": form, "staff_member": None})


@organization_member_required(role=Role.MANAGER)
@require_http_methods(["GET", "POST"])
def staff_member_edit(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    organization = request.organization
    member = _staff_member_or_404(request, staff_member_id)
    form = StaffMemberForm(request.POST or None, organization=organization, staff_member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_member_update(
                organization=organization, actor=request.user, staff_member=member, **form.cleaned_data
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(request, f"Changes to {member.full_name} saved.")
            return redirect("staff:list", org_slug=organization.slug)
    return render(request, "staff/staff_member_form.html", {"form": form, "staff_member": member})


@organization_member_required(role=Role.MANAGER)
@require_POST
def staff_member_archive(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    organization = request.organization
    member = _staff_member_or_404(request, staff_member_id)
    if member.is_archived:
        messages.info(request, f"{member.full_name} was already archived.")
    else:
        services.staff_member_archive(organization=organization, actor=request.user, staff_member=member)
        messages.success(
            request,
            f"{member.full_name} archived. Their past timesheets are kept; "
            "show archived staff to restore them.",
        )
    return redirect("staff:list", org_slug=organization.slug)


@organization_member_required(role=Role.MANAGER)
@require_POST
def staff_member_restore(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    organization = request.organization
    member = _staff_member_or_404(request, staff_member_id)
    if not member.is_archived:
        messages.info(request, f"{member.full_name} is not archived.")
    else:
        services.staff_member_restore(organization=organization, actor=request.user, staff_member=member)
        messages.success(request, f"{member.full_name} restored and active again.")
    return redirect("staff:list", org_slug=organization.slug)
