"""Settings > Integrations > Staff matching: who matched, who did not, and why; resolve by hand."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.matching import Outcome
from integrations.models import XeroSyncRun
from integrations.services.matching import (
    staff_match_clear,
    staff_match_exclude,
    staff_match_link,
    staff_match_report,
    staff_xero_employee_create,
    staff_xero_employee_preview,
    xero_sync_request,
)
from staff.models import Role, StaffMember
from staff.selectors import staff_member_get
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest

OUTCOME_LABELS = {
    Outcome.MATCHED: "Matched",
    Outcome.MATCHED_TERMINATED: "Terminated in Xero",
    Outcome.MATCHED_NOT_PAYABLE: "Cannot receive timesheets",
    Outcome.AMBIGUOUS: "Ambiguous",
    Outcome.UNMATCHED: "Not matched",
    Outcome.CONFLICT: "Conflict",
    Outcome.NEEDS_REVIEW: "Needs review",
    Outcome.EXCLUDED: "Not paid through Xero",
}
PROBLEM_OUTCOMES = [o for o in Outcome if o not in (Outcome.MATCHED, Outcome.EXCLUDED)]


def _staff_or_404(request: OrganizationRequest, staff_member_id: int) -> StaffMember:
    try:
        return staff_member_get(organization=request.organization, pk=staff_member_id)
    except StaffMember.DoesNotExist as exc:
        raise Http404("No such staff member.") from exc


def _back(request: OrganizationRequest):
    return redirect("integrations:staff_matching", org_slug=request.organization.slug)


@organization_member_required(role=Role.MANAGER)
@require_GET
def staff_matching(request: OrganizationRequest) -> HttpResponse:
    report = staff_match_report(organization=request.organization)
    problem_count = sum(report.counts[o.value] for o in PROBLEM_OUTCOMES)
    # Open on what needs a decision; "all" shows everyone.
    outcome = request.GET.get("outcome") or ("problems" if problem_count else "all")
    rows = report.rows
    if outcome == "problems":
        rows = [r for r in rows if r.result.outcome in PROBLEM_OUTCOMES]
    elif outcome in Outcome._value2member_map_:
        rows = [r for r in rows if r.result.outcome == outcome]
    counts = [(o.value, OUTCOME_LABELS[o], report.counts[o.value]) for o in Outcome]
    return render(
        request,
        "integrations/staff_matching.html",
        {
            "report": report,
            "rows": rows,
            "counts": counts,
            "problem_count": problem_count,
            "outcome": outcome,
            "labels": {o.value: label for o, label in OUTCOME_LABELS.items()},
        },
    )


@organization_member_required(role=Role.MANAGER)
@require_GET
def staff_matching_progress(request: OrganizationRequest) -> HttpResponse:
    run = XeroSyncRun.objects.filter(organization=request.organization).first()
    response = render(request, "integrations/_sync_progress.html", {"run": run})
    if run is not None and not run.is_active and request.GET.get("was") == "active":
        response["HX-Refresh"] = "true"  # reload the report once the run finishes
    return response


@organization_member_required(role=Role.ADMIN)
@require_POST
def staff_matching_recheck(request: OrganizationRequest) -> HttpResponse:
    try:
        run = xero_sync_request(
            organization=request.organization, actor=request.user, full=request.POST.get("full") == "1"
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if run.is_active:
            messages.info(request, "Reading employees from Xero: the report updates when it is done.")
        else:
            messages.success(request, "Employees re-read from Xero and matched.")
    return _back(request)


def _act(request: OrganizationRequest, staff_member_id: int, action) -> HttpResponse:
    """Run one matching action for a staff member: a success message, or the service's error."""
    staff_member = _staff_or_404(request, staff_member_id)
    try:
        message = action(staff_member)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return _back(request)


@organization_member_required(role=Role.ADMIN)
@require_POST
def staff_matching_link(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    employee_id = request.POST.get("employee_id", "")[:64]

    def link(staff_member: StaffMember) -> str:
        if not employee_id:
            raise ApplicationError("Choose a Xero employee to link.")
        done = staff_match_link(
            organization=request.organization,
            actor=request.user,
            staff_member=staff_member,
            employee_id=employee_id,
            confirmed=request.POST.get("confirmed") == "1",
        )
        return f"{staff_member.full_name} is now linked to {done.xero_employee.full_name} in Xero."

    return _act(request, staff_member_id, link)


@organization_member_required(role=Role.ADMIN)
@require_POST
def staff_matching_unlink(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    def unlink(staff_member: StaffMember) -> str:
        staff_match_clear(organization=request.organization, actor=request.user, staff_member=staff_member)
        return f"{staff_member.full_name} is no longer linked to Xero."

    return _act(request, staff_member_id, unlink)


@organization_member_required(role=Role.ADMIN)
@require_POST
def staff_matching_exclude(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    def exclude(staff_member: StaffMember) -> str:
        staff_match_exclude(organization=request.organization, actor=request.user, staff_member=staff_member)
        return f"{staff_member.full_name} is marked as not paid through Xero."

    return _act(request, staff_member_id, exclude)


@organization_member_required(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_matching_create(request: OrganizationRequest, staff_member_id: int) -> HttpResponse:
    staff_member = _staff_or_404(request, staff_member_id)
    payload, problems = staff_xero_employee_preview(staff_member=staff_member)
    if request.method == "POST" and not problems:
        try:
            link = staff_xero_employee_create(
                organization=request.organization, actor=request.user, staff_member=staff_member
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Created {link.xero_employee.full_name} in Xero and linked them.")
            return _back(request)
    return render(
        request,
        "integrations/staff_matching_create.html",
        {"staff_member": staff_member, "payload": payload, "problems": problems},
    )
