"""Sign-up, the organisation picker, creating and configuring organisations, accepting invitations."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest
from timeclamp.views import form_add_application_error

from ..forms import InvitationAcceptForm, OrganizationForm, OrganizationSettingsForm, SignupForm
from ..models import Invitation, Role
from ..services import (
    invitation_accept,
    organization_create,
    organization_slug_suggest,
    organization_update,
    user_signup,
)

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = user_signup(
                    email=data["email"], password=data["password"], full_name=data["full_name"]
                )
                organization = organization_create(
                    name=data["organization_name"],
                    slug=data["organization_slug"]
                    or organization_slug_suggest(name=data["organization_name"]),
                    timezone_name=data["timezone"],
                    created_by=user,
                )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            login(request, user, backend=AUTH_BACKEND)
            messages.success(
                request, f"Welcome to Timeclamp. {organization.name} is ready: add your staff first."
            )
            return redirect("staff:list", org_slug=organization.slug)
    return render(request, "registration/signup.html", {"form": form})


def home(request: HttpRequest) -> HttpResponse:
    memberships = list(
        request.user.memberships.select_related("organization").filter(organization__is_active=True)
    )
    if len(memberships) == 1:
        return redirect("dashboard", org_slug=memberships[0].organization.slug)
    return render(request, "staff/organization_list.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def organization_new(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization = organization_create(
                name=data["name"],
                slug=data["slug"] or organization_slug_suggest(name=data["name"]),
                timezone_name=data["timezone"],
                created_by=request.user,
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(request, f"{organization.name} created. You are its admin.")
            return redirect("dashboard", org_slug=organization.slug)
    return render(request, "staff/organization_form.html", {"form": form})


@organization_member_required(role=Role.STAFF)
@require_safe
def dashboard(request: OrganizationRequest) -> HttpResponse:
    return redirect("timesheets:week", org_slug=request.organization.slug)


@organization_member_required(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def organization_settings(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    form = OrganizationSettingsForm(
        request.POST or None, initial={"name": organization.name, "timezone": organization.timezone}
    )
    if request.method == "POST" and form.is_valid():
        organization_update(
            organization=organization,
            actor=request.user,
            name=form.cleaned_data["name"],
            timezone_name=form.cleaned_data["timezone"],
        )
        messages.success(request, "Organisation settings saved.")
        return redirect("organization_settings", org_slug=organization.slug)
    return render(request, "staff/organization_settings.html", {"form": form})


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("organization").filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        raise Http404("This invitation has expired or was already used.")
    user = request.user if request.user.is_authenticated else None
    form = None if user else InvitationAcceptForm(request.POST or None)
    if request.method == "POST":
        try:
            if user is None and form.is_valid():
                with transaction.atomic():
                    user = user_signup(
                        email=invitation.email,
                        password=form.cleaned_data["password"],
                        full_name=form.cleaned_data["full_name"],
                    )
                    invitation_accept(invitation=invitation, user=user)
                login(request, user, backend=AUTH_BACKEND)
            elif user is not None:
                invitation_accept(invitation=invitation, user=user)
            else:
                return render(
                    request, "registration/invitation.html", {"invitation": invitation, "form": form}
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("login")
        messages.success(request, f"You joined {invitation.organization.name}.")
        return redirect("dashboard", org_slug=invitation.organization.slug)
    return render(request, "registration/invitation.html", {"invitation": invitation, "form": form})
