"""State of the simulated Xero: apps, users, organisations, grants and tokens, Payroll AU data,
and the request log, fault rules and idempotency records that make it observable and controllable.

Everything here lives in the ``xero_sandbox`` database (see router.py). Nothing in the product
imports this module: the product reaches the sandbox only over HTTP.
"""

import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone


class OAuthApp(models.Model):
    """A registered Xero app (client)."""

    name = models.CharField(max_length=100, default="Timeclamp")
    client_id = models.CharField(max_length=64, unique=True)
    client_secret = models.CharField(max_length=128)
    redirect_uris = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class SandboxUser(models.Model):
    """A person who signs in on the sandbox's Xero login page."""

    email = models.EmailField(unique=True)
    password_hash = models.CharField(max_length=256)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    xero_userid = models.UUIDField(default=uuid.uuid4, unique=True)

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw: str) -> None:
        self.password_hash = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return check_password(raw, self.password_hash)


class Organisation(models.Model):
    """A Xero tenant."""

    tenant_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=200)
    tenant_type = models.CharField(max_length=32, default="ORGANISATION")
    users = models.ManyToManyField(SandboxUser, related_name="organisations", blank=True)
    # A user without payroll admin rights can connect but every payroll call is 403.
    payroll_admins = models.ManyToManyField(SandboxUser, related_name="payroll_organisations", blank=True)

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """What one user allowed one app (Xero's token set belongs to user + app, not to an org)."""

    app = models.ForeignKey(OAuthApp, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="grants")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app", "user"], name="sandbox_grant_one_per_app_user")]


class Connection(models.Model):
    """One organisation reachable through a grant. Deleted rows are kept with ``deleted_at``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="connections")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="connections")
    auth_event_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=128, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE)
    redirect_uri = models.CharField(max_length=500)
    scopes = models.JSONField(default=list)
    auth_event_id = models.UUIDField()
    code_challenge = models.CharField(max_length=128, blank=True)
    code_challenge_method = models.CharField(max_length=16, blank=True)
    nonce = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Added by the identity side: the sign-in this consent came from (copied into the tokens), and
    # the token family: every token issued from this code, and from its refresh chain, shares it, so
    # that replaying the code can revoke them all (RFC 6749 4.1.2).
    auth_time = models.DateTimeField(null=True, blank=True)
    global_session_id = models.CharField(max_length=64, blank=True)
    family_id = models.UUIDField(null=True, blank=True, db_index=True)


class RefreshToken(models.Model):
    """Opaque, single use, rotated on every use; replayable within the grace period."""

    token = models.CharField(max_length=128, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="refresh_tokens")
    auth_event_id = models.UUIDField()
    scopes = models.JSONField(default=list)
    issued_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)
    # The response given when this token was used, replayed verbatim inside the grace period.
    rotation_response = models.JSONField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Added by the identity side: carried along the rotation chain (see AuthorizationCode).
    auth_time = models.DateTimeField(null=True, blank=True)
    global_session_id = models.CharField(max_length=64, blank=True)
    family_id = models.UUIDField(null=True, blank=True, db_index=True)


class AccessToken(models.Model):
    """Issued JWT access tokens, by ``jti``, so that revocation can kill them early."""

    jti = models.CharField(max_length=64, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="access_tokens")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Added by the identity side: the token family (see AuthorizationCode) and when it was issued.
    family_id = models.UUIDField(null=True, blank=True, db_index=True)
    issued_at = models.DateTimeField(default=timezone.now)


class SigningKey(models.Model):
    """RSA key that signs access and id tokens; published as JWKS."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)


# --- Payroll AU ---------------------------------------------------------------------------------


class PayrollCalendar(models.Model):
    class Type(models.TextChoices):
        WEEKLY = "WEEKLY"
        FORTNIGHTLY = "FORTNIGHTLY"
        FOURWEEKLY = "FOURWEEKLY"
        MONTHLY = "MONTHLY"
        TWICEMONTHLY = "TWICEMONTHLY"
        QUARTERLY = "QUARTERLY"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="calendars")
    calendar_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=100)
    calendar_type = models.CharField(max_length=16, choices=Type.choices)
    start_date = models.DateField(help_text="Start of the upcoming pay period.")
    payment_date = models.DateField()
    reference_date = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)


class EarningsRate(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="earnings_rates")
    earnings_rate_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=100)
    earnings_type = models.CharField(max_length=40, default="ORDINARYTIMEEARNINGS")
    rate_type = models.CharField(max_length=20, default="RATEPERUNIT")
    type_of_units = models.CharField(max_length=50, default="Hours")
    rate_per_unit = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    multiplier = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    current_record = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)


class Employee(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="employees")
    employee_id = models.UUIDField(default=uuid.uuid4, unique=True)
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.CharField(max_length=200, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    status = models.CharField(max_length=16, default="ACTIVE")
    start_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    payroll_calendar = models.ForeignKey(PayrollCalendar, on_delete=models.SET_NULL, null=True, blank=True)
    ordinary_earnings_rate = models.ForeignKey(EarningsRate, on_delete=models.SET_NULL, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]


class Timesheet(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="timesheets")
    timesheet_id = models.UUIDField(default=uuid.uuid4, unique=True)
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="timesheets")
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=16, default="DRAFT")
    lines = models.JSONField(default=list)  # [{"EarningsRateID", "TrackingItemID"?, "NumberOfUnits": [...]}]
    hours = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]


# --- Observability and control ------------------------------------------------------------------


class RequestLog(models.Model):
    """Every request the sandbox received: what Timeclamp sent, and what it got back."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    query = models.CharField(max_length=1000, blank=True)
    tenant_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.PositiveIntegerField(default=0)
    duration_ms = models.FloatField(default=0)
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    fault = models.CharField(max_length=32, blank=True)
    # Added by the gateway: the app that called, Xero-Correlation-Id, and whether the call counted
    # against the rate limits (401/403 and 429 answers do not; reset_limits() clears the flag).
    client_id = models.CharField(max_length=64, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=64, blank=True)
    counted = models.BooleanField(default=False)
    # The tenant's calls being processed when this one was admitted, itself included: what Xero's
    # limit of 5 concurrent calls counts (the log's start and duration also cover the wait to be
    # admitted and the time to write this row, so overlapping them over-counts).
    in_flight = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-id"]


class InFlight(models.Model):
    """One row per tenant request being processed (the 5-in-flight limit, across processes)."""

    tenant_id = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    client_id = models.CharField(max_length=64, blank=True)  # limits are per tenant *per app*


class FaultRule(models.Model):
    """Make the next ``remaining`` matching calls fail in a chosen way."""

    class Kind(models.TextChoices):
        ERROR_500 = "500", "500 Internal Server Error"
        ERROR_503 = "503", "503 maintenance"
        HANG = "hang", "Hang past the client's timeout"
        DROP_AFTER_PROCESS = "drop", "Process, then drop the response"
        RATE_LIMIT_MINUTE = "429-minute", "429 minute limit"
        RATE_LIMIT_DAY = "429-day", "429 daily limit"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    remaining = models.PositiveIntegerField(default=1)
    method = models.CharField(max_length=10, blank=True, help_text="Empty matches any method.")
    path_contains = models.CharField(max_length=200, blank=True)
    tenant_id = models.CharField(max_length=64, blank=True)
    hang_seconds = models.FloatField(default=35)
    retry_after = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)


class IdempotencyRecord(models.Model):
    tenant_id = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "key"], name="sandbox_idempotency_unique_key"),
        ]
