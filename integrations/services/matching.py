"""Reading Xero's employees and linking them to our staff (issue: staff matching).

The rule users are told: a staff member matches a Xero employee when First Name, Middle Name, Last
Name and Date of Birth are the same in both systems. ``integrations.matching`` is the pure engine;
this module feeds it from the database, applies its unique exact matches, and records every link,
unlink and creation in the audit log.
"""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.exceptions import XeroNotConnected
from integrations.matching import ExistingLink, MatchResult, Outcome, StaffRecord, XeroRecord, match_staff
from integrations.models import StaffXeroLink, XeroConnection, XeroEmployee, XeroSyncRun
from integrations.services.connections import xero_call, xero_connection_get
from integrations.xero import XeroApi
from integrations.xero import types as xero_types
from staff.models import Organization, StaffMember, User
from staff.services import audit_record
from timeclamp.exceptions import ApplicationError

EMPLOYEE_FIELDS = (
    "first_name",
    "middle_names",
    "last_name",
    "date_of_birth",
    "email",
    "status",
    "start_date",
    "termination_date",
    "payroll_calendar_id",
    "ordinary_earnings_rate_id",
)


def _active_connection(organization: Organization) -> XeroConnection:
    connection = xero_connection_get(organization=organization)
    if connection is None or not connection.is_active:
        raise XeroNotConnected("Connect Xero first: Settings > Integrations.")
    return connection


# --- sync -----------------------------------------------------------------------------------------
def xero_sync_request(*, organization: Organization, actor: User | None, full: bool = False) -> XeroSyncRun:
    """Queue a read of Xero's employees. A run already waiting or running is returned instead."""
    from integrations.tasks import xero_employees_sync_task

    connection = _active_connection(organization)
    active = XeroSyncRun.objects.filter(organization=organization, status__in=["pending", "running"]).first()
    if active is not None:
        if not active.is_stalled:
            return active
        # if another request stopped it first, the create below finds theirs
        _stop_stalled(organization, active, actor=actor)
    try:
        with transaction.atomic():
            run = XeroSyncRun.objects.create(
                organization=organization, tenant_id=connection.tenant_id, full=full, requested_by=actor
            )
            xero_employees_sync_task.delay_on_commit(organization_id=organization.pk, run_id=run.pk)
    except IntegrityError:  # a second tab won the race
        return XeroSyncRun.objects.get(organization=organization, status__in=["pending", "running"])
    return run


def _stop_stalled(organization: Organization, run: XeroSyncRun, *, actor: User | None) -> None:
    """A run nothing was heard from for STALLED_AFTER (its worker was killed, its message lost) would
    otherwise block every later read, the nightly one too: it is marked failed so a new one can
    start. Compare-and-set on updated_at: a run that moved meanwhile is left alone."""
    now = timezone.now()
    minutes = int(XeroSyncRun.STALLED_AFTER[run.status].total_seconds() // 60)
    if run.status == XeroSyncRun.Status.PENDING:
        error = f"Stopped: no worker took it for {minutes} minutes. A new read was started."
    else:
        error = f"Stopped: nothing was heard from it for {minutes} minutes (its worker was lost). A new read was started."
    with transaction.atomic():
        stopped = XeroSyncRun.objects.filter(pk=run.pk, status=run.status, updated_at=run.updated_at).update(
            status=XeroSyncRun.Status.FAILED, error=error, finished_at=now, updated_at=now
        )
        if stopped:
            audit_record(
                organization=organization,
                actor=actor,
                action="xero.sync_stalled",
                target=run,
                summary=error,
                data={"was": run.status, "pages": run.pages},
            )


def _last_successful_sync(organization: Organization, tenant_id: str) -> XeroSyncRun | None:
    return (
        XeroSyncRun.objects.filter(
            organization=organization, tenant_id=tenant_id, status=XeroSyncRun.Status.SUCCEEDED
        )
        .order_by("-started_at")
        .first()
    )


def xero_employees_sync(*, organization: Organization, run_id: int) -> XeroSyncRun:
    """Read every page (If-Modified-Since after the first full read), keep the local copy, match."""
    run = XeroSyncRun.objects.get(organization=organization, pk=run_id)
    if not run.is_active:
        return run
    previous = _last_successful_sync(organization, run.tenant_id)
    full = run.full or previous is None
    since = None if full else previous.started_at
    run.status, run.started_at, run.full = XeroSyncRun.Status.RUNNING, timezone.now(), full
    run.save(update_fields=["status", "started_at", "full", "updated_at"])
    seen: set[str] = set()
    try:
        page = 1
        while True:
            employees = xero_call(
                organization=organization,
                call=lambda client, p=page: client.list_employees(page=p, modified_since=since),
            )
            _upsert_employees(organization, run.tenant_id, employees)
            seen.update(e.employee_id for e in employees)
            run.pages, run.calls, run.employees_read = page, page, len(seen)
            run.save(update_fields=["pages", "calls", "employees_read", "updated_at"])
            if len(employees) < 100:
                break
            page += 1
        if full:
            XeroEmployee.objects.filter(
                organization=organization, tenant_id=run.tenant_id, removed_at__isnull=True
            ).exclude(employee_id__in=seen).update(removed_at=timezone.now())
        run.auto_linked = staff_match_apply(organization=organization)
        run.status = XeroSyncRun.Status.SUCCEEDED
    except ApplicationError as exc:
        run.status, run.error = XeroSyncRun.Status.FAILED, exc.message[:500]
    except Exception as exc:
        run.status, run.error = XeroSyncRun.Status.FAILED, f"Xero could not be read ({type(exc).__name__})."
        run.finished_at = timezone.now()
        run.save()
        raise
    run.finished_at = timezone.now()
    run.save()
    return run


def _upsert_employees(
    organization: Organization, tenant_id: str, employees: list[xero_types.XeroEmployee]
) -> None:
    if not employees:
        return
    now = timezone.now()
    existing = {
        e.employee_id: e
        for e in XeroEmployee.objects.filter(
            organization=organization, tenant_id=tenant_id, employee_id__in=[x.employee_id for x in employees]
        )
    }
    new, changed = [], []
    for x in employees:
        values = {f: getattr(x, f) for f in EMPLOYEE_FIELDS}
        values = {
            k: ("" if v is None and k not in ("date_of_birth", "start_date", "termination_date") else v)
            for k, v in values.items()
        }
        row = existing.get(x.employee_id)
        if row is None:
            new.append(
                XeroEmployee(
                    organization=organization,
                    tenant_id=tenant_id,
                    employee_id=x.employee_id,
                    xero_updated_at=x.updated_at,
                    synced_at=now,
                    **values,
                )
            )
            continue
        for field, value in values.items():
            setattr(row, field, value)
        row.xero_updated_at, row.synced_at, row.removed_at = x.updated_at, now, None
        changed.append(row)
    XeroEmployee.objects.bulk_create(new, batch_size=500)
    XeroEmployee.objects.bulk_update(
        changed, [*EMPLOYEE_FIELDS, "xero_updated_at", "synced_at", "removed_at"], batch_size=500
    )


# --- matching -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatchRow:
    staff_member: StaffMember
    result: MatchResult
    employee: XeroEmployee | None
    link: StaffXeroLink | None


@dataclass(frozen=True)
class MatchReport:
    connection: XeroConnection | None
    rows: list[MatchRow]
    employees: dict[str, XeroEmployee]
    counts: dict[str, int]
    unlinked_employees: list[XeroEmployee]
    last_sync: XeroSyncRun | None


@dataclass(frozen=True)
class _MatchInputs:
    staff: list[StaffMember]
    employees: list[XeroEmployee]
    links: list[StaffXeroLink]

    def results(self) -> list[MatchResult]:
        staff = [
            StaffRecord(
                staff_id=s.pk,
                first_name=s.first_name,
                middle_names=s.middle_names,
                last_name=s.last_name,
                date_of_birth=s.date_of_birth,
            )
            for s in self.staff
        ]
        xero = [
            XeroRecord(
                employee_id=e.employee_id,
                first_name=e.first_name,
                middle_names=e.middle_names,
                last_name=e.last_name,
                date_of_birth=e.date_of_birth,
                status=e.status,
                has_calendar=bool(e.payroll_calendar_id),
                has_ordinary_rate=bool(e.ordinary_earnings_rate_id),
                removed=e.removed_at is not None,
            )
            for e in self.employees
        ]
        links = [
            ExistingLink(
                staff_id=link.staff_member_id,
                employee_id=link.xero_employee.employee_id if link.xero_employee else None,
                manual=link.is_manual,
            )
            for link in self.links
        ]
        return match_staff(staff, xero, links)


def _inputs(organization: Organization, tenant_id: str) -> _MatchInputs:
    return _MatchInputs(
        staff=list(StaffMember.objects.filter(organization=organization, archived_at__isnull=True)),
        employees=list(XeroEmployee.objects.filter(organization=organization, tenant_id=tenant_id)),
        links=list(
            StaffXeroLink.objects.filter(organization=organization, tenant_id=tenant_id).select_related(
                "xero_employee"
            )
        ),
    )


def staff_match_report(*, organization: Organization) -> MatchReport:
    connection = xero_connection_get(organization=organization)
    inputs = _inputs(organization, connection.tenant_id if connection else "")
    by_staff = {s.pk: s for s in inputs.staff}
    by_employee = {e.employee_id: e for e in inputs.employees}
    link_by_staff = {link.staff_member_id: link for link in inputs.links}
    rows = [
        MatchRow(
            staff_member=by_staff[r.staff_id],
            result=r,
            employee=by_employee.get(r.employee_id or ""),
            link=link_by_staff.get(r.staff_id),
        )
        for r in inputs.results()
    ]
    counts = {o.value: 0 for o in Outcome}
    for row in rows:
        counts[row.result.outcome.value] += 1
    linked_ids = {link.xero_employee_id for link in inputs.links if link.xero_employee_id}
    unlinked = [e for e in inputs.employees if e.pk not in linked_ids and e.removed_at is None]
    return MatchReport(
        connection=connection,
        rows=rows,
        employees=by_employee,
        counts=counts,
        unlinked_employees=unlinked,
        last_sync=XeroSyncRun.objects.filter(organization=organization).first(),
    )


@transaction.atomic
def staff_match_apply(*, organization: Organization) -> int:
    """Create links for this run's unique exact matches. Existing links are never dropped."""
    connection = _active_connection(organization)
    inputs = _inputs(organization, connection.tenant_id)
    by_employee = {e.employee_id: e for e in inputs.employees}
    by_staff = {s.pk: s for s in inputs.staff}
    created = 0
    for result in inputs.results():
        if not result.auto_link or result.employee_id is None:
            continue
        _link(
            organization=organization,
            actor=None,
            staff_member=by_staff[result.staff_id],
            employee=by_employee[result.employee_id],
            kind=StaffXeroLink.Kind.AUTOMATIC,
            tenant_id=connection.tenant_id,
        )
        created += 1
    return created


def _link(*, organization, actor, staff_member, employee, kind, tenant_id) -> StaffXeroLink:
    link = StaffXeroLink.objects.create(
        organization=organization,
        staff_member=staff_member,
        tenant_id=tenant_id,
        xero_employee=employee,
        kind=kind,
        linked_by=actor,
    )
    target = employee.full_name if employee else "not paid through Xero"
    audit_record(
        organization=organization,
        actor=actor,
        action=f"xero.staff_{kind}",
        target=staff_member,
        summary=f"{staff_member.full_name} -> {target}",
        data={"employee_id": employee.employee_id if employee else None, "kind": kind},
    )
    return link


def _relink(*, organization, actor, staff_member, employee, kind, tenant_id) -> StaffXeroLink:
    """Replace whatever link this staff member had with a new one (one link per staff member)."""
    StaffXeroLink.objects.filter(
        organization=organization, tenant_id=tenant_id, staff_member=staff_member
    ).delete()
    return _link(
        organization=organization,
        actor=actor,
        staff_member=staff_member,
        employee=employee,
        kind=kind,
        tenant_id=tenant_id,
    )


def _employee_get(organization: Organization, tenant_id: str, employee_id: str) -> XeroEmployee:
    try:
        return XeroEmployee.objects.get(
            organization=organization, tenant_id=tenant_id, employee_id=employee_id, removed_at__isnull=True
        )
    except XeroEmployee.DoesNotExist as exc:
        raise ApplicationError(
            "That Xero employee is not in the latest read from Xero. Press Re-check."
        ) from exc


@transaction.atomic
def staff_match_link(
    *,
    organization: Organization,
    actor: User,
    staff_member: StaffMember,
    employee_id: str,
    confirmed: bool = False,
) -> StaffXeroLink:
    """Link by hand (or confirm a suggestion): replaces this staff member's previous link."""
    connection = _active_connection(organization)
    employee = _employee_get(organization, connection.tenant_id, employee_id)
    taken = (
        StaffXeroLink.objects.filter(organization=organization, xero_employee=employee)
        .exclude(staff_member=staff_member)
        .select_related("staff_member")
        .first()
    )
    if taken is not None:
        raise ApplicationError(
            f"{employee.full_name} is already linked to {taken.staff_member.full_name}. Unlink them first."
        )
    kind = StaffXeroLink.Kind.CONFIRMED if confirmed else StaffXeroLink.Kind.MANUAL
    return _relink(
        organization=organization,
        actor=actor,
        staff_member=staff_member,
        employee=employee,
        kind=kind,
        tenant_id=connection.tenant_id,
    )


@transaction.atomic
def staff_match_exclude(
    *, organization: Organization, actor: User, staff_member: StaffMember
) -> StaffXeroLink:
    connection = _active_connection(organization)
    return _relink(
        organization=organization,
        actor=actor,
        staff_member=staff_member,
        employee=None,
        kind=StaffXeroLink.Kind.EXCLUDED,
        tenant_id=connection.tenant_id,
    )


@transaction.atomic
def staff_match_clear(*, organization: Organization, actor: User, staff_member: StaffMember) -> None:
    connection = _active_connection(organization)
    deleted, _ = StaffXeroLink.objects.filter(
        organization=organization, tenant_id=connection.tenant_id, staff_member=staff_member
    ).delete()
    if deleted:
        audit_record(
            organization=organization,
            actor=actor,
            action="xero.staff_unlinked",
            target=staff_member,
            summary=f"Unlinked {staff_member.full_name}",
        )


# --- create in Xero -------------------------------------------------------------------------------
def staff_xero_employee_preview(*, staff_member: StaffMember) -> tuple[dict, list[str]]:
    """What 'Create in Xero' would send, and what is missing that Xero requires."""
    problems = []
    if not staff_member.first_name:
        problems.append("First name is required by Xero.")
    if not staff_member.last_name:
        problems.append("Last name is required by Xero.")
    if staff_member.date_of_birth is None:
        problems.append("Date of birth is required by Xero: add it to the staff record first.")
    payload = {}
    if not problems:
        payload = xero_types.NewEmployee(
            first_name=staff_member.first_name,
            middle_names=staff_member.middle_names,
            last_name=staff_member.last_name,
            date_of_birth=staff_member.date_of_birth,
            email=staff_member.email,
            start_date=staff_member.start_date,
        ).to_api()
    return payload, problems


def staff_xero_employee_create(
    *, organization: Organization, actor: User, staff_member: StaffMember
) -> StaffXeroLink:
    """Create the employee in Xero and link it. The Idempotency-Key makes a double click harmless."""
    connection = _active_connection(organization)
    _payload, problems = staff_xero_employee_preview(staff_member=staff_member)
    if problems:
        raise ApplicationError(" ".join(problems))
    if StaffXeroLink.objects.filter(
        organization=organization,
        tenant_id=connection.tenant_id,
        staff_member=staff_member,
        xero_employee__isnull=False,
    ).exists():
        raise ApplicationError(f"{staff_member.full_name} is already linked to a Xero employee.")
    new = xero_types.NewEmployee(
        first_name=staff_member.first_name,
        middle_names=staff_member.middle_names,
        last_name=staff_member.last_name,
        date_of_birth=staff_member.date_of_birth,
        email=staff_member.email,
        start_date=staff_member.start_date,
    )
    key = hashlib.sha256(f"create-employee:{connection.tenant_id}:{staff_member.pk}".encode()).hexdigest()

    def create(client: XeroApi):
        return client.create_employee(new, idempotency_key=key)

    created = xero_call(organization=organization, call=create)
    with transaction.atomic():
        _upsert_employees(organization, connection.tenant_id, [created])
        employee = XeroEmployee.objects.get(
            organization=organization, tenant_id=connection.tenant_id, employee_id=created.employee_id
        )
        return _relink(
            organization=organization,
            actor=actor,
            staff_member=staff_member,
            employee=employee,
            kind=StaffXeroLink.Kind.CREATED,
            tenant_id=connection.tenant_id,
        )
