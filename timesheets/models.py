"""Time entries and their approval workflow: draft -> submitted -> approved (-> reopened to draft)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from timeclamp.tenancy.models import OrganizationOwnedModel

MAX_BREAK_MINUTES = 8 * 60
MAX_ENTRY_MINUTES = 24 * 60


class TimeEntry(OrganizationOwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"

    staff_member = models.ForeignKey(
        "staff.StaffMember", on_delete=models.PROTECT, related_name="time_entries"
    )
    # The calendar day in the organisation's time zone on which the shift started.
    work_date = models.DateField()
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)  # null while clocked in
    break_minutes = models.PositiveIntegerField(default=0)
    minutes = models.PositiveIntegerField(default=0)  # worked minutes: end - start - break
    notes = models.CharField(max_length=500, blank=True)
    # Not indexed on its own (three values): queries filter by period first; see Meta.indexes.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the approved hours were last sent to Xero Payroll (set by the payroll push through
    # services.time_entries_mark_pushed; cleared when the entry is reopened).
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["work_date", "start_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__isnull=True) | Q(end_at__gt=F("start_at")),
                name="timesheets_timeentry_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(break_minutes__lte=MAX_BREAK_MINUTES), name="timesheets_timeentry_break_bounded"
            ),
            models.CheckConstraint(
                condition=Q(minutes__lte=MAX_ENTRY_MINUTES), name="timesheets_timeentry_minutes_bounded"
            ),
            models.UniqueConstraint(
                fields=["organization", "staff_member"],
                condition=Q(end_at__isnull=True),
                name="timesheets_timeentry_one_open_clock",
            ),
        ]
        indexes = [
            # A period of the whole organisation. Covering for the team totals (minutes per day and
            # status, running shifts) and the approval counts: they read the index only, not one
            # table row per entry, which matters with thousands of entries in a pay period.
            models.Index(
                fields=["organization", "work_date", "status", "minutes", "end_at"],
                name="timesheets_entry_period_idx",
            ),
            # Some people's period (a week page, one page of the team view).
            models.Index(
                fields=["organization", "staff_member", "work_date"], name="timesheets_entry_person_idx"
            ),
        ]
        verbose_name_plural = "time entries"

    def __str__(self) -> str:
        return f"{self.staff_member_id} on {self.work_date}"

    def clean(self) -> None:
        if self.staff_member_id and self.staff_member.organization_id != self.organization_id:
            raise ValidationError("A time entry belongs to the same organisation as its staff member.")

    @property
    def is_open(self) -> bool:
        return self.end_at is None

    @property
    def is_editable(self) -> bool:
        return self.status != self.Status.APPROVED

    @property
    def is_pushed(self) -> bool:
        """Approved and sent to Xero Payroll (since the last reopening)."""
        return self.status == self.Status.APPROVED and self.pushed_at is not None


class TimeEntryReopening(OrganizationOwnedModel):
    """Why an approved entry was reopened, and by whom (kept forever).

    Kept even when the entry is later deleted (``time_entry`` becomes null): an approved entry may
    already have gone to payroll, so the reason it changed must outlive it.
    """

    time_entry = models.ForeignKey(
        TimeEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="reopenings"
    )
    reason = models.CharField(max_length=500)
    # The entry's pushed_at when it was reopened: set when the hours had already gone to Xero
    # Payroll, so the period must be pushed again once the entry is approved again.
    entry_pushed_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Reopened entry {self.time_entry_id}"

    def clean(self) -> None:
        if self.time_entry is not None and self.time_entry.organization_id != self.organization_id:
            raise ValidationError("A reopening belongs to the same organisation as its time entry.")
