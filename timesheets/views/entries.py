"""Add, edit, delete and reopen single entries (full pages without JavaScript, fragments for htmx)."""

import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from staff.models import Role
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest
from timeclamp.views import form_add_application_error

from ..formatting import format_day
from ..forms import ReopenForm, TimeEntryForm
from ..models import TimeEntry
from ..services import (
    time_entry_create,
    time_entry_delete,
    time_entry_reopen,
    time_entry_update,
)
from ._helpers import (
    entry_or_404,
    hours_text,
    redirect_after_post,
    render_local,
    staff_member_or_404,
    week_url_for,
)


# --- entries -----------------------------------------------------------------------------------
def _form_response(request: OrganizationRequest, context: dict) -> HttpResponse:
    """The entry form: a fragment for htmx (opened inside its day), else a full page."""
    template = "timesheets/_entry_form.html" if request.htmx else "timesheets/time_entry_form.html"
    return render_local(request, template, context)


@organization_member_required(role=Role.STAFF)
@require_http_methods(["GET", "POST"])
def entry_create(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    staff_member = staff_member_or_404(request, staff_member_id)
    today = request.organization.today()
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = today
    form = TimeEntryForm(
        request.POST or None,
        initial={"work_date": day, "break_minutes": 0},
        prefix_id=f"new-{day.isoformat()}",
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = time_entry_create(
                organization=request.organization,
                actor=request.user,
                staff_member=staff_member,
                **form.service_kwargs(),
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            messages.success(request, f"Added {format_day(entry.work_date)}: {hours_text(entry)}.")
            return redirect_after_post(request, week_url_for(request, staff_member, entry.work_date))
    action = reverse(
        "timesheets:entry_create",
        kwargs={"org_slug": request.organization.slug, "staff_member_id": staff_member.pk},
    )
    return _form_response(
        request,
        {
            "form": form,
            "staff_member": staff_member,
            "action": action,
            "title": f"Add time for {staff_member.display_name}",
            "submit_label": "Add entry",
            "cancel_url": week_url_for(request, staff_member, form.initial.get("work_date") or today),
        },
    )


@organization_member_required(role=Role.STAFF)
@require_http_methods(["GET", "POST"])
def entry_edit(request: OrganizationRequest, entry_id: int) -> HttpResponse:
    entry = entry_or_404(request, entry_id)
    week_url = week_url_for(request, entry.staff_member, entry.work_date)
    if not entry.is_editable:
        messages.info(request, "That entry is approved and can't be changed. A manager can reopen it.")
        return redirect_after_post(request, week_url)
    form = TimeEntryForm(
        request.POST or None,
        initial=TimeEntryForm.initial_for(entry, request.organization.tzinfo),
        allow_open=entry.is_open,
        prefix_id=f"edit-{entry.pk}",
    )
    if request.method == "POST" and form.is_valid():
        was_submitted = entry.status == TimeEntry.Status.SUBMITTED
        try:
            entry = time_entry_update(
                organization=request.organization, actor=request.user, entry=entry, **form.service_kwargs()
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            text = f"Saved {format_day(entry.work_date)}: {hours_text(entry)}."
            if was_submitted and entry.status == TimeEntry.Status.DRAFT:
                text += " It is back in draft: submit the week again when you are done."
            messages.success(request, text)
            return redirect_after_post(request, week_url_for(request, entry.staff_member, entry.work_date))
    return _form_response(
        request,
        {
            "form": form,
            "entry": entry,
            "staff_member": entry.staff_member,
            "action": reverse(
                "timesheets:entry_edit", kwargs={"org_slug": request.organization.slug, "entry_id": entry.pk}
            ),
            "title": f"Edit {format_day(entry.work_date)} for {entry.staff_member.display_name}",
            "submit_label": "Save changes",
            "cancel_url": week_url,
        },
    )


@organization_member_required(role=Role.STAFF)
@require_http_methods(["GET", "POST"])
def entry_delete(request: OrganizationRequest, entry_id: int) -> HttpResponse:
    entry = entry_or_404(request, entry_id)
    week_url = week_url_for(request, entry.staff_member, entry.work_date)
    if request.method == "POST":
        try:
            time_entry_delete(organization=request.organization, actor=request.user, entry=entry)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Deleted the entry for {format_day(entry.work_date)}.")
        return redirect_after_post(request, week_url)
    if not entry.is_editable:
        messages.info(request, "That entry is approved and can't be deleted. A manager can reopen it.")
        return redirect(week_url)
    return render_local(
        request, "timesheets/time_entry_delete.html", {"entry": entry, "cancel_url": week_url}
    )


@organization_member_required(role=Role.MANAGER)
@require_http_methods(["GET", "POST"])
def entry_reopen(request: OrganizationRequest, entry_id: int) -> HttpResponse:
    entry = entry_or_404(request, entry_id)
    week_url = week_url_for(request, entry.staff_member, entry.work_date)
    if entry.status != TimeEntry.Status.APPROVED:
        messages.info(request, "Only approved entries need reopening; this one can be edited already.")
        return redirect(week_url)
    form = ReopenForm(request.POST or None)
    was_pushed = entry.is_pushed
    if request.method == "POST" and form.is_valid():
        try:
            time_entry_reopen(
                organization=request.organization,
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form_add_application_error(form, exc)
        else:
            text = (
                f"Reopened {format_day(entry.work_date)} for {entry.staff_member.display_name}. "
                "It is a draft again and can be corrected."
            )
            if was_pushed:
                text += " Once it is approved again, push the period to Xero Payroll again."
            messages.success(request, text)
            return redirect(week_url)
    return render_local(
        request, "timesheets/time_entry_reopen.html", {"entry": entry, "form": form, "cancel_url": week_url}
    )
