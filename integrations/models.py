"""The Xero connection of an organisation (issue: Settings > Integrations)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from timeclamp.fields import EncryptedTextField
from timeclamp.tenancy.models import OrganizationOwnedModel

REFRESH_TOKEN_LIFETIME = datetime.timedelta(days=60)  # Xero: dies after 60 days unused


class XeroConnection(OrganizationOwnedModel):
    """One Xero organisation per Timeclamp organisation.

    Tokens are encrypted by their field, never logged (no __repr__ of them), never in the admin and
    never in task arguments: tasks take the organisation id and call xero_access_token_get().
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        CHOOSING_TENANT = "choosing_tenant", "Choose an organisation"
        NEEDS_RECONNECT = "needs_reconnect", "Reconnect required"
        LEGACY_OAUTH1 = "legacy_oauth1", "Retired OAuth 1.0 connection"
        DISCONNECTED = "disconnected", "Not connected"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    tenant_id = models.CharField(max_length=64, blank=True, db_index=True)
    tenant_name = models.CharField(max_length=255, blank=True)
    connection_id = models.CharField(max_length=64, blank=True)  # Xero's connection id (for DELETE)
    auth_event_id = models.CharField(max_length=64, blank=True)
    # Organisations offered by the last consent when more than one was granted.
    pending_tenants = models.JSONField(default=list, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    xero_user_name = models.CharField(max_length=255, blank=True)
    xero_user_email = models.CharField(max_length=255, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)

    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_issued_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    token_version = models.PositiveIntegerField(default=0)

    last_api_success_at = models.DateTimeField(null=True, blank=True)
    last_health_check_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(max_length=500, blank=True)
    problem_since = models.DateTimeField(null=True, blank=True)
    legacy_token_id = models.CharField(max_length=128, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="integrations_xeroconnection_one_per_org"),
        ]

    def __str__(self) -> str:
        return f"Xero {self.get_status_display()}: {self.tenant_name or '-'}"

    def __repr__(self) -> str:
        return f"<XeroConnection {self.pk} org={self.organization_id} status={self.status}>"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def blocks_payroll(self) -> bool:
        return self.status != self.Status.ACTIVE

    @property
    def refresh_token_expires_at(self) -> datetime.datetime | None:
        if self.refresh_token_issued_at is None:
            return None
        return self.refresh_token_issued_at + REFRESH_TOKEN_LIFETIME

    @property
    def refresh_token_age_days(self) -> int | None:
        if self.refresh_token_issued_at is None:
            return None
        return (timezone.now() - self.refresh_token_issued_at).days


class XeroEmployee(OrganizationOwnedModel):
    """Our copy of one Xero Payroll employee, per Xero organisation (tenant)."""

    tenant_id = models.CharField(max_length=64)
    employee_id = models.CharField(max_length=64)
    first_name = models.CharField(max_length=255, blank=True)
    middle_names = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, default="ACTIVE")
    start_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    payroll_calendar_id = models.CharField(max_length=64, blank=True)
    ordinary_earnings_rate_id = models.CharField(max_length=64, blank=True)
    xero_updated_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)  # no longer returned by Xero
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tenant_id", "employee_id"], name="integrations_xeroemployee_unique"
            ),
        ]

    def __str__(self) -> str:
        return (
            " ".join(p for p in (self.first_name, self.middle_names, self.last_name) if p) or self.employee_id
        )

    @property
    def full_name(self) -> str:
        return str(self)

    @property
    def is_terminated(self) -> bool:
        return self.status == "TERMINATED"


class StaffXeroLink(OrganizationOwnedModel):
    """Which Xero employee a staff member is paid as (or that they are not paid through Xero)."""

    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", "Matched automatically"
        CONFIRMED = "confirmed", "Suggestion confirmed"
        MANUAL = "manual", "Linked by hand"
        CREATED = "created", "Created in Xero"
        EXCLUDED = "excluded", "Not paid through Xero"

    staff_member = models.ForeignKey("staff.StaffMember", on_delete=models.CASCADE, related_name="+")
    tenant_id = models.CharField(max_length=64)
    xero_employee = models.ForeignKey(
        XeroEmployee, on_delete=models.PROTECT, null=True, blank=True, related_name="links"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tenant_id", "staff_member"],
                name="integrations_staffxerolink_one_per_staff",
            ),
            models.UniqueConstraint(
                fields=["organization", "xero_employee"],
                condition=models.Q(xero_employee__isnull=False),
                name="integrations_staffxerolink_one_per_employee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_member_id} -> {self.xero_employee_id or 'not paid through Xero'}"

    @property
    def is_manual(self) -> bool:
        return self.kind in (self.Kind.MANUAL, self.Kind.CONFIRMED, self.Kind.CREATED)


class XeroSyncRun(OrganizationOwnedModel):
    """One read of Xero's employees followed by matching: shows progress while it runs."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    # An active run nothing was heard from for this long lost its worker or its message. A running
    # one saves after every page, and the task's hard time limit (CELERY_TASK_TIME_LIMIT, 3 min) ends
    # it well within 10 minutes. A pending one writes nothing while it queues; the nightly fan-out
    # can queue it behind every organisation's keep-alive and health check. Assumption: 30 minutes
    # is far longer than that queue takes (the push watchdog's lost-message rule is 15).
    STALLED_AFTER = {
        Status.RUNNING: datetime.timedelta(minutes=10),
        Status.PENDING: datetime.timedelta(minutes=30),
    }

    tenant_id = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    full = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    employees_read = models.PositiveIntegerField(default=0)
    auto_linked = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status__in=["pending", "running"]),
                name="integrations_xerosyncrun_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Employee sync {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def is_stalled(self) -> bool:
        """Nothing heard from it for longer than a healthy run can take (see STALLED_AFTER)."""
        limit = self.STALLED_AFTER.get(self.status)
        return limit is not None and self.updated_at < timezone.now() - limit


class XeroPayrollCalendar(OrganizationOwnedModel):
    """Our cached copy of a Xero payroll calendar (refreshable from the $Payroll page)."""

    tenant_id = models.CharField(max_length=64)
    calendar_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    calendar_type = models.CharField(max_length=20)
    start_date = models.DateField(null=True, blank=True)  # start of the upcoming period (Xero)
    payment_date = models.DateField(null=True, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tenant_id", "calendar_id"],
                name="integrations_xeropayrollcalendar_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.calendar_type.title()})"


class XeroEarningsRate(OrganizationOwnedModel):
    tenant_id = models.CharField(max_length=64)
    earnings_rate_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    earnings_type = models.CharField(max_length=40, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tenant_id", "earnings_rate_id"],
                name="integrations_xeroearningsrate_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PayrollSettings(OrganizationOwnedModel):
    """How this organisation sends timesheets to Xero."""

    class SendAs(models.TextChoices):
        DRAFT = "DRAFT", "Draft (payroll reviews them in Xero)"
        APPROVED = "APPROVED", "Approved (ready for the pay run)"

    send_as = models.CharField(max_length=10, choices=SendAs.choices, default=SendAs.DRAFT)
    # Optional overtime: minutes worked beyond this many per day go to the overtime earnings rate.
    overtime_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    overtime_earnings_rate_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="integrations_payrollsettings_one_per_org"),
        ]
        verbose_name_plural = "payroll settings"

    def __str__(self) -> str:
        return f"Payroll settings ({self.send_as})"


class PayrollPush(OrganizationOwnedModel):
    """One press of share > $Payroll: a pay period of one calendar, sent to Xero by a worker.

    The unit of work is resumable: each employee's outcome is recorded in a PayrollPushItem, so a
    retry (or a worker restarted after a crash) sends only what is missing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Sending"
        PARKED = "parked", "Paused by Xero's daily limit"
        SUCCEEDED = "succeeded", "Done"
        PARTIAL = "partial", "Done with failures"
        FAILED = "failed", "Failed"
        BLOCKED = "blocked", "Reconnect required"

    ACTIVE = ("pending", "running", "parked")

    tenant_id = models.CharField(max_length=64)
    calendar_id = models.CharField(max_length=64)
    calendar_name = models.CharField(max_length=255)
    period_start = models.DateField()
    period_end = models.DateField()
    send_as = models.CharField(max_length=10, default="DRAFT")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    key = models.UUIDField(unique=True)  # the push's idempotency root
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    retry_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    step = models.CharField(max_length=200, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)  # could not be sent; the preview said why
    xero_calls = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)  # a worker owns it until then
    lease_owner = models.CharField(max_length=100, blank=True)  # the Celery task id holding the lease
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Transactional outbox: set in the transaction that makes the push due (request, next turn,
    # resume), cleared once the broker took the message. Left True (broker down, or the process died
    # before publishing), the watchdog queues the push on its next run.
    needs_queueing = models.BooleanField(default=False)
    queue_priority = models.PositiveSmallIntegerField(default=0)  # Redis serves 0 first
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "calendar_id", "period_start", "period_end"],
                condition=models.Q(status__in=["pending", "running", "parked"]),
                name="integrations_payrollpush_one_active_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"Push {self.pk}: {self.calendar_name} {self.period_start}–{self.period_end} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or timezone.now()) - self.started_at


class PayrollPushItem(OrganizationOwnedModel):
    """One employee's timesheet in a push: what we meant to send and what Xero did with it."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update draft"
        SKIP = "skip", "Skip"
        BLOCKED = "blocked", "Blocked"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        IN_FLIGHT = "in_flight", "Sending"
        UNKNOWN = "unknown", "Checking with Xero"
        SENT = "sent", "Sent"
        UPDATED = "updated", "Updated"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"
        BLOCKED = "blocked", "Blocked"

    FINAL = ("sent", "updated", "skipped", "failed", "blocked")

    push = models.ForeignKey(PayrollPush, on_delete=models.CASCADE, related_name="items")
    staff_member = models.ForeignKey("staff.StaffMember", on_delete=models.PROTECT, related_name="+")
    xero_employee_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    minutes_by_day = models.JSONField(default=list)  # one int per day of the period
    earnings_rate_id = models.CharField(max_length=64, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    xero_timesheet_id = models.CharField(max_length=64, blank=True)
    xero_message = models.CharField(max_length=1000, blank=True)
    explanation = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["push", "staff_member"], name="integrations_payrollpushitem_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_member_id} in push {self.push_id}: {self.status}"

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_by_day)

    @property
    def total_hours(self) -> str:
        return f"{self.total_minutes / 60:.2f}"
