"""What a consent creates (grant, connections, authorization code) and what revocation removes."""

import datetime
import secrets
import uuid

from django.db import transaction
from django.utils import timezone

from xero_sandbox.models import (
    AccessToken,
    AuthorizationCode,
    Connection,
    Grant,
    OAuthApp,
    Organisation,
    RefreshToken,
    SandboxUser,
)
from xero_sandbox.router import SANDBOX_DB

from . import scopes as scope_rules

# Assumption: 5 minutes. Sources disagree (30 s vs 5 min, xero-api-notes.md 1.2); the longer value
# keeps manual testing comfortable, and clients are expected to exchange the code at once anyway.
AUTHORIZATION_CODE_LIFETIME = datetime.timedelta(minutes=5)


def record_consent(
    *,
    user: SandboxUser,
    app: OAuthApp,
    scopes: list[str],
    organisations: list[Organisation],
    redirect_uri: str,
    code_challenge: str = "",
    code_challenge_method: str = "",
    nonce: str = "",
    auth_time: datetime.datetime | None = None,
    global_session_id: str = "",
) -> AuthorizationCode:
    """ "Allow access": grant (scopes additive), one connection per chosen organisation with a new
    authEventId shared by this consent, and a single-use authorization code."""
    now = timezone.now()
    with transaction.atomic(using=SANDBOX_DB):
        grant, created = Grant.objects.select_for_update().get_or_create(
            app=app, user=user, defaults={"scopes": list(scopes), "created_at": now}
        )
        if not created:
            if grant.revoked_at is not None:
                # A revoked grant lost all its scopes and tenants: this consent starts afresh.
                grant.scopes = list(scopes)
                grant.revoked_at = None
            else:
                grant.scopes = scope_rules.merge(grant.scopes, scopes)
            grant.save(update_fields=["scopes", "revoked_at"])
        auth_event_id = uuid.uuid4()
        for organisation in organisations:
            connection = (
                Connection.objects.filter(grant=grant, organisation=organisation)
                .order_by("created_at")
                .first()
            )
            if connection is None:
                Connection.objects.create(
                    grant=grant,
                    organisation=organisation,
                    auth_event_id=auth_event_id,
                    created_at=now,
                    updated_at=now,
                )
            else:  # reconnecting: same connection id, new authEventId, undeleted
                connection.auth_event_id = auth_event_id
                connection.updated_at = now
                connection.deleted_at = None
                connection.save(update_fields=["auth_event_id", "updated_at", "deleted_at"])
        # Assumption: the code carries the grant's whole (additive) scope set, not only this request's.
        return AuthorizationCode.objects.create(
            code=secrets.token_urlsafe(32),
            grant=grant,
            redirect_uri=redirect_uri,
            scopes=list(grant.scopes),
            auth_event_id=auth_event_id,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            nonce=nonce,
            expires_at=now + AUTHORIZATION_CODE_LIFETIME,
            auth_time=auth_time or now,
            global_session_id=global_session_id or uuid.uuid4().hex,
            family_id=uuid.uuid4(),
        )


def revoke_family(family_id) -> None:
    """Revoke every token issued from one authorization code (and its refresh chain)."""
    if family_id is None:
        return
    now = timezone.now()
    RefreshToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=now)
    AccessToken.objects.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=now)


def revoke_grant(grant: Grant) -> None:
    """What Xero does on /connect/revocation, or when the user removes the app inside Xero: every
    token of this user + app dies, and all of the user's connections for the app go."""
    now = timezone.now()
    with transaction.atomic(using=SANDBOX_DB):
        Grant.objects.filter(pk=grant.pk).update(revoked_at=now)
        grant.revoked_at = now
        RefreshToken.objects.filter(grant=grant, revoked_at__isnull=True).update(revoked_at=now)
        AccessToken.objects.filter(grant=grant, revoked_at__isnull=True).update(revoked_at=now)
        Connection.objects.filter(grant=grant, deleted_at__isnull=True).update(deleted_at=now)


def live_connections(grant_id: int):
    return (
        Connection.objects.filter(grant_id=grant_id, deleted_at__isnull=True)
        .select_related("organisation")
        .order_by("created_at", "organisation__name")
    )
