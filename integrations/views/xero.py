"""Settings > Integrations: the Xero card, connect (OAuth 2.0), choose organisation, disconnect."""

import hmac
import logging
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.exceptions import (
    XeroNotConnected,
    XeroTenantAlreadyLinked,
    XeroTenantChoiceRequired,
)
from integrations.models import PayrollSettings, XeroConnection, XeroEarningsRate
from integrations.services.connections import (
    xero_connect_complete,
    xero_connect_start,
    xero_connection_get,
    xero_disconnect,
    xero_tenant_choose,
)
from integrations.services.payroll_setup import payroll_settings_get
from integrations.xero import XeroError
from staff.models import Membership, Role
from timeclamp.tenancy import organization_scope
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest
from timeclamp.tenancy.security import access_denied

logger = logging.getLogger(__name__)

SESSION_KEY = "xero_oauth_states"
STATE_LIFETIME = 15 * 60
MAX_PENDING_STATES = 5
MAX_PARAM_LENGTH = 2048


@organization_member_required(role=Role.MANAGER)
@require_GET
def xero_settings(request: OrganizationRequest) -> HttpResponse:
    connection = xero_connection_get(organization=request.organization)
    return render(
        request,
        "integrations/xero_settings.html",
        {
            "connection": connection,
            "Status": XeroConnection.Status,
            "payroll_settings": payroll_settings_get(organization=request.organization),
            "payroll_send_as_choices": PayrollSettings.SendAs.choices,
            "earnings_rates": XeroEarningsRate.objects.filter(organization=request.organization),
        },
    )


@organization_member_required(role=Role.ADMIN)
@require_POST
def xero_connect(request: OrganizationRequest) -> HttpResponse:
    auth = xero_connect_start(organization=request.organization, actor=request.user)
    states = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if v["expires"] > time.time()}
    while len(states) >= MAX_PENDING_STATES:
        states.pop(min(states, key=lambda k: states[k]["expires"]))
    states[auth.state] = {
        "organization_id": request.organization.pk,
        "user_id": request.user.pk,
        "code_verifier": auth.code_verifier,
        "expires": time.time() + STATE_LIFETIME,
    }
    request.session[SESSION_KEY] = states
    return HttpResponseRedirect(auth.url)


def _single_param(request: HttpRequest, name: str) -> str | None:
    """One value, printable ASCII, bounded length; anything else is refused (never a 500)."""
    values = request.GET.getlist(name)
    if len(values) != 1:
        return None
    value = values[0]
    if not value or len(value) > MAX_PARAM_LENGTH or not value.isascii() or not value.isprintable():
        return None
    return value


def _pop_state(request: HttpRequest, state: str) -> dict | None:
    states = request.session.get(SESSION_KEY, {})
    match = None
    for key in list(states):
        if hmac.compare_digest(key.encode(), state.encode()):
            match = states.pop(key)
    request.session[SESSION_KEY] = states
    if match is None or match["expires"] < time.time() or match["user_id"] != request.user.pk:
        return None
    return match


def _refuse(request: HttpRequest, message: str, *, reason: str) -> HttpResponse:
    access_denied(request, reason=reason)
    return HttpResponseBadRequest(message)


@login_not_required  # the method is checked first; then a signed-out browser is sent to sign in
@never_cache
@require_GET
def xero_callback(request: HttpRequest) -> HttpResponse:
    """Xero redirects here (one global, exactly registered URL). The state names the organisation."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if len(request.GET) > 10 or len(request.META.get("QUERY_STRING", "")) > 8 * MAX_PARAM_LENGTH:
        return _refuse(request, "Malformed Xero callback.", reason="Xero callback: malformed")
    state = _single_param(request, "state")
    if state is None:
        return _refuse(
            request,
            "Missing or malformed state. Start again from Settings > Integrations.",
            reason="Xero callback: missing or malformed state",
        )
    pending = _pop_state(request, state)
    if pending is None:
        return _refuse(
            request,
            "This Xero sign-in is not one we started, or it expired. Start again.",
            reason="Xero callback: unknown, expired, replayed or another session's state",
        )
    membership = (
        Membership.objects.select_related("organization")
        .filter(
            user=request.user,
            organization_id=pending["organization_id"],
            role=Role.ADMIN,
            organization__is_active=True,
        )
        .first()
    )
    if membership is None:
        return _refuse(
            request,
            "Only an admin of the organisation can connect Xero.",
            reason="Xero callback: not an admin of the state's organisation",
        )
    organization = membership.organization
    settings_url = reverse("integrations:xero_settings", kwargs={"org_slug": organization.slug})
    error = _single_param(request, "error")
    if request.GET.get("error") is not None:
        if error == "access_denied":
            messages.info(
                request, "Xero access was not granted: nothing changed. Connect again whenever you are ready."
            )
        else:
            messages.error(request, "Xero could not complete the sign-in. Please try again.")
        return redirect(settings_url)
    code = _single_param(request, "code")
    if code is None:
        return _refuse(
            request, "Malformed Xero callback: no authorisation code.", reason="Xero callback: no code"
        )
    with organization_scope(organization):
        try:
            connection = xero_connect_complete(
                organization=organization,
                actor=request.user,
                code=code,
                code_verifier=pending["code_verifier"],
            )
        except XeroTenantChoiceRequired as exc:
            messages.info(request, exc.message)
            return redirect("integrations:xero_choose", org_slug=organization.slug)
        except XeroTenantAlreadyLinked as exc:
            if exc.extra.get("needs_confirmation"):
                messages.warning(request, exc.message)
                return redirect("integrations:xero_choose", org_slug=organization.slug)
            messages.error(request, exc.message)
            return redirect(settings_url)
        except XeroNotConnected as exc:
            messages.error(request, exc.message)
            return redirect(settings_url)
        except XeroError as exc:
            logger.warning("Xero connect failed for org %s: %s", organization.pk, type(exc).__name__)
            messages.error(request, "Xero could not complete the connection. Please try again in a minute.")
            return redirect(settings_url)
    messages.success(request, f"Connected to {connection.tenant_name}.")
    return redirect(settings_url)


@organization_member_required(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def xero_choose(request: OrganizationRequest) -> HttpResponse:
    connection = xero_connection_get(organization=request.organization)
    if connection is None or connection.status != XeroConnection.Status.CHOOSING_TENANT:
        return redirect("integrations:xero_settings", org_slug=request.organization.slug)
    confirm_tenant = ""
    if request.method == "POST":
        tenant_id = request.POST.get("tenant_id", "")
        try:
            connection = xero_tenant_choose(
                organization=request.organization,
                actor=request.user,
                tenant_id=tenant_id,
                confirm_shared=request.POST.get("confirm_shared") == "yes",
            )
        except XeroTenantAlreadyLinked as exc:
            if not exc.extra.get("needs_confirmation"):
                messages.error(request, exc.message)
                return redirect("integrations:xero_settings", org_slug=request.organization.slug)
            messages.warning(request, exc.message)
            confirm_tenant = tenant_id
        except XeroNotConnected as exc:
            messages.error(request, exc.message)
            return redirect("integrations:xero_settings", org_slug=request.organization.slug)
        else:
            messages.success(request, f"Connected to {connection.tenant_name}.")
            return redirect("integrations:xero_settings", org_slug=request.organization.slug)
    return render(
        request, "integrations/xero_choose.html", {"connection": connection, "confirm_tenant": confirm_tenant}
    )


@organization_member_required(role=Role.ADMIN)
@require_POST
def xero_disconnect_view(request: OrganizationRequest) -> HttpResponse:
    message = xero_disconnect(organization=request.organization, actor=request.user)
    messages.success(request, message)
    return redirect("integrations:xero_settings", org_slug=request.organization.slug)
