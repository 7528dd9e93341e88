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
