"""Settings > Members: who may log in to this organisation, with which role."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest
from timeclamp.views import form_add_application_error

from ..forms import MemberInviteForm, MembershipRoleForm
from ..models import Invitation, Membership, Role
from ..selectors import invitation_list_open, membership_get, membership_list
from ..services import member_invite, membership_remove, membership_update_role


@organization_member_required(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def member_list(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = member_invite(organization=organization, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            if isinstance(result, Invitation):
                link = request.build_absolute_uri(reverse("invitation", kwargs={"token": result.token}))
                messages.success(
                    request, f"Invitation created for {result.email}. Send them this link: {link}"
                )
            else:
                messages.success(request, f"{result.user.email} added as {result.get_role_display()}.")
            return redirect("members:list", org_slug=organization.slug)
    return render(
        request,
        "staff/member_list.html",
        {
            "form": form,
            "memberships": membership_list(organization=organization),
            "invitations": invitation_list_open(organization=organization),
            "role_choices": Role.choices,
        },
    )


def _membership_or_404(request: OrganizationRequest, pk: int) -> Membership:
    try:
        return membership_get(organization=request.organization, pk=pk)
    except Membership.DoesNotExist as exc:
        raise Http404("No such member.") from exc


@organization_member_required(role=Role.ADMIN)
@require_POST
def member_role(request: OrganizationRequest, membership_id: int) -> HttpResponse:
    membership = _membership_or_404(request, membership_id)
    form = MembershipRoleForm(request.POST)
    if form.is_valid():
        try:
            membership_update_role(
                organization=request.organization,
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display()}.")
    else:
        messages.error(request, "Choose a valid role.")
    return redirect("members:list", org_slug=request.organization.slug)


@organization_member_required(role=Role.ADMIN)
@require_POST
def member_remove(request: OrganizationRequest, membership_id: int) -> HttpResponse:
    membership = _membership_or_404(request, membership_id)
    try:
        membership_remove(organization=request.organization, actor=request.user, membership=membership)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.email} no longer has access.")
    return redirect("members:list", org_slug=request.organization.slug)
