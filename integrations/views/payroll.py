"""Timesheets > $Payroll: pick a Xero payroll calendar and pay period, preview, share to Xero,
watch the push, read the result per employee, retry what failed."""

import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.exceptions import XeroNotConnected, XeroReconnectRequired
from integrations.forms import PayrollSettingsForm
from integrations.models import (
    PayrollPush,
    PayrollPushItem,
    XeroEarningsRate,
    XeroPayrollCalendar,
)
from integrations.periods import PayPeriod, is_pay_period, pay_periods, period_containing
from integrations.services.connections import xero_connection_get
from integrations.services.payroll import payroll_push_request, payroll_push_resume, payroll_push_retry_failed
from integrations.services.payroll_preview import payroll_preview, preview_read_xero
from integrations.services.payroll_setup import (
    payroll_calendar_list,
    payroll_calendars_refresh,
    payroll_settings_get,
    payroll_settings_update,
)
from integrations.xero import XeroError
from staff.models import Role
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest


def _periods(calendar: XeroPayrollCalendar, today: datetime.date) -> list[tuple[str, PayPeriod, str]]:
    """(value, period, when) newest first: upcoming, current, recent."""
    if calendar.start_date is None:
        return []
    found = pay_periods(
        calendar_type=calendar.calendar_type,
        start_date=calendar.start_date,
        payment_date=calendar.payment_date,
        around=today,
        before=6,
        after=1,
    )
    out = []
    for period in reversed(found):
        when = (
            "current" if period.start <= today <= period.end else ("upcoming" if period.start > today else "")
        )
        out.append((f"{period.start.isoformat()}_{period.end.isoformat()}", period, when))
    return out


def _parse_period(calendar: XeroPayrollCalendar, value: str) -> PayPeriod | None:
    try:
        start_text, end_text = value.split("_", 1)
        start, end = datetime.date.fromisoformat(start_text), datetime.date.fromisoformat(end_text)
    except ValueError:
        return None
    if calendar.start_date is None or not is_pay_period(
        calendar_type=calendar.calendar_type,
        start_date=calendar.start_date,
        period_start=start,
        period_end=end,
    ):
        return None
    containing = period_containing(
        calendar_type=calendar.calendar_type,
        start_date=calendar.start_date,
        day=start,
        payment_date=calendar.payment_date,
    )
    return containing


@organization_member_required(role=Role.MANAGER)
@require_GET
def payroll(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    connection = xero_connection_get(organization=organization)
    context = {
        "connection": connection,
        "history": PayrollPush.objects.filter(organization=organization)[:15],
    }
    if connection is None or not connection.is_active:
        return render(request, "integrations/payroll.html", context)
    calendars = payroll_calendar_list(organization=organization)
    if not calendars:
        try:
            calendars = payroll_calendars_refresh(organization=organization)
        except (XeroError, ApplicationError) as exc:
            messages.error(
                request, f"Could not read payroll calendars from Xero: {getattr(exc, 'message', exc)}"
            )
    calendar = next((c for c in calendars if c.calendar_id == request.GET.get("calendar")), None)
    if calendar is None and calendars:
        calendar = next((c for c in calendars if c.calendar_type == "WEEKLY"), calendars[0])
    today = organization.today()
    periods = _periods(calendar, today) if calendar else []
    period = _parse_period(calendar, request.GET.get("period", "")) if calendar else None
    if period is None and periods:
        # Default: the most recent period that has ended (last week's pay), else the current one.
        period = next((p for _v, p, _w in periods if p.end < today), periods[0][1])
    preview = None
    if calendar and period:
        existing, xero_error = preview_read_xero(organization=organization, period=period)
        preview = payroll_preview(
            organization=organization,
            connection=connection,
            calendar=calendar,
            period=period,
            xero_timesheets=existing,
            xero_error=xero_error,
        )
    active_push = None
    if calendar and period:
        active_push = PayrollPush.objects.filter(
            organization=organization,
            calendar_id=calendar.calendar_id,
            period_start=period.start,
            period_end=period.end,
        ).first()
    context.update(
        {
            "calendars": calendars,
            "calendar": calendar,
            "periods": periods,
            "period": period,
            "preview": preview,
            "period_value": f"{period.start.isoformat()}_{period.end.isoformat()}" if period else "",
            "last_push": active_push,
            "settings": payroll_settings_get(organization=organization),
            "rates": {
                r.earnings_rate_id: r.name for r in XeroEarningsRate.objects.filter(organization=organization)
            },
        }
    )
    return render(request, "integrations/payroll.html", context)


@organization_member_required(role=Role.MANAGER)
@require_POST
def payroll_calendars_refresh_view(request: OrganizationRequest) -> HttpResponse:
    try:
        calendars = payroll_calendars_refresh(organization=request.organization)
    except (XeroError, ApplicationError) as exc:
        messages.error(request, f"Could not read payroll calendars from Xero: {getattr(exc, 'message', exc)}")
    else:
        messages.success(request, f"Read {len(calendars)} payroll calendar(s) from Xero.")
    return redirect("integrations:payroll", org_slug=request.organization.slug)


@organization_member_required(role=Role.MANAGER)
@require_POST
def payroll_push_create(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    back = reverse("integrations:payroll", kwargs={"org_slug": organization.slug})
    calendar = XeroPayrollCalendar.objects.filter(
        organization=organization, calendar_id=request.POST.get("calendar", "")[:64]
    ).first()
    period = _parse_period(calendar, request.POST.get("period", "")) if calendar else None
    if calendar is None or period is None:
        messages.error(request, "Choose a payroll calendar and one of its pay periods.")
        return redirect(back)
    try:
        push, created = payroll_push_request(
            organization=organization, actor=request.user, calendar=calendar, period=period
        )
    except (XeroNotConnected, XeroReconnectRequired, ApplicationError) as exc:
        messages.error(request, exc.message)
        return redirect(f"{back}?calendar={calendar.calendar_id}")
    if created:
        messages.success(request, f"Sending {calendar.name}, {period.label} to Xero Payroll.")
    else:
        messages.info(request, "This period is already being sent: here is its progress.")
    return redirect("integrations:payroll_push", org_slug=organization.slug, push_id=push.pk)


def _push_or_404(request: OrganizationRequest, push_id: int) -> PayrollPush:
    try:
        return PayrollPush.objects.get(organization=request.organization, pk=push_id)
    except PayrollPush.DoesNotExist as exc:
        raise Http404("No such push.") from exc


def _time_left(push: PayrollPush) -> str:
    waiting_for_xero = push.status == PayrollPush.Status.PARKED  # its page says when it resumes
    if (
        not push.is_active
        or waiting_for_xero
        or not push.started_at
        or not push.done
        or push.done >= push.total
    ):
        return ""
    elapsed = (timezone.now() - push.started_at).total_seconds()
    remaining = elapsed / push.done * (push.total - push.done)
    if remaining < 60:
        return f"about {max(1, round(remaining))} s left"
    return f"about {round(remaining / 60)} min left"


def _push_context(push: PayrollPush) -> dict:
    items = PayrollPushItem.objects.filter(push=push).select_related("staff_member")
    return {
        "push": push,
        "items": items,
        "time_left": _time_left(push),
        "failed_items": [i for i in items if i.status in ("failed",)],
        "percent": round(100 * push.done / push.total) if push.total else 0,
    }


@organization_member_required(role=Role.MANAGER)
@require_GET
def payroll_push_detail(request: OrganizationRequest, push_id: int) -> HttpResponse:
    push = _push_or_404(request, push_id)
    context = _push_context(push)
    if request.htmx:
        response = render(request, "integrations/_push_progress.html", context)
        if not push.is_active and request.GET.get("was") == "active":
            response["HX-Refresh"] = "true"
        return response
    return render(request, "integrations/payroll_push.html", context)


@organization_member_required(role=Role.MANAGER)
@require_POST
def payroll_push_retry(request: OrganizationRequest, push_id: int) -> HttpResponse:
    push = _push_or_404(request, push_id)
    if push.status == PayrollPush.Status.PARKED:  # "Resume now"
        payroll_push_resume(organization=request.organization, actor=request.user, push=push)
        messages.success(
            request, "Resuming now. If Xero's limit still holds, the push pauses again until Xero allows it."
        )
        return redirect("integrations:payroll_push", org_slug=request.organization.slug, push_id=push.pk)
    try:
        new = payroll_push_retry_failed(organization=request.organization, actor=request.user, push=push)
    except (XeroNotConnected, XeroReconnectRequired, ApplicationError) as exc:
        messages.error(request, exc.message)
        return redirect("integrations:payroll_push", org_slug=request.organization.slug, push_id=push.pk)
    messages.success(request, "Retrying: what Xero already has is left as it is; the rest is sent again.")
    return redirect("integrations:payroll_push", org_slug=request.organization.slug, push_id=new.pk)


@organization_member_required(role=Role.ADMIN)
@require_http_methods(["POST"])
def payroll_settings_view(request: OrganizationRequest) -> HttpResponse:
    form = PayrollSettingsForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("integrations:xero_settings", org_slug=request.organization.slug)
    overtime_minutes = form.overtime_after_minutes
    rate = form.cleaned_data["overtime_earnings_rate_id"]
    if (
        overtime_minutes
        and not XeroEarningsRate.objects.filter(
            organization=request.organization, earnings_rate_id=rate
        ).exists()
    ):
        messages.error(request, "Choose the Xero earnings rate that overtime is paid at.")
        return redirect("integrations:xero_settings", org_slug=request.organization.slug)
    payroll_settings_update(
        organization=request.organization,
        actor=request.user,
        send_as=form.cleaned_data["send_as"],
        overtime_after_minutes=overtime_minutes,
        overtime_earnings_rate_id=rate,
    )
    messages.success(request, "Payroll settings saved.")
    return redirect("integrations:xero_settings", org_slug=request.organization.slug)
