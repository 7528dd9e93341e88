"""Connecting, watching and disconnecting an organisation's Xero connection; the one place that hands
out an access token.

Rules that matter (xero-api-notes §1, reliability-notes §1):
- Tokens are saved the moment Xero rotates them, under a row lock, before anyone uses them.
- ``invalid_grant`` and a 403 for our tenant are terminal: the connection is marked "Reconnect
  required", tokens are wiped, admins are told, and no further call is made.
- Disconnect removes only our tenant (DELETE /connections/{id}); revoking would drop every
  organisation that Xero user connected to Timeclamp.
"""

import datetime
import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations.exceptions import (
    XeroNotConnected,
    XeroReconnectRequired,
    XeroTenantAlreadyLinked,
    XeroTenantChoiceRequired,
)
from integrations.models import XeroConnection
from integrations.services.xero_factory import xero_client, xero_oauth
from integrations.xero import (
    AuthorizationRequest,
    TokenSet,
    XeroApi,
    XeroAuthError,
    XeroError,
    XeroForbidden,
    XeroInvalidGrant,
    XeroOAuth,
    XeroTenant,
    XeroUnavailable,
)
from staff.models import Membership, Organization, Role, User
from staff.services import audit_record
from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy import organization_scope, unscoped

logger = logging.getLogger(__name__)
T = TypeVar("T")

REFRESH_MARGIN = datetime.timedelta(seconds=60)
KEEPALIVE_AFTER = datetime.timedelta(days=30)


# --- reads ----------------------------------------------------------------------------------------
def xero_connection_get(*, organization: Organization) -> XeroConnection | None:
    return XeroConnection.objects.filter(organization=organization).first()


def _connection_for_update(organization: Organization) -> XeroConnection:
    connection, _ = XeroConnection.objects.get_or_create(organization=organization)
    return XeroConnection.objects.select_for_update().get(pk=connection.pk, organization=organization)


# --- connect --------------------------------------------------------------------------------------
def xero_connect_start(
    *, organization: Organization, actor: User, oauth: XeroOAuth | None = None
) -> AuthorizationRequest:
    """Build Xero's authorize URL (state + PKCE S256). The caller keeps state and verifier in the
    user's session, bound to this organisation."""
    return (oauth or xero_oauth()).authorization_request()


def _apply_tokens(connection: XeroConnection, tokens: TokenSet) -> None:
    now = timezone.now()
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.access_token_expires_at = tokens.expires_at
    connection.refresh_token_issued_at = now
    connection.last_refreshed_at = now
    connection.token_version += 1
    if tokens.scopes:
        connection.scopes = list(tokens.scopes)


def _wipe_tokens(connection: XeroConnection) -> None:
    connection.access_token = ""
    connection.refresh_token = ""
    connection.access_token_expires_at = None
    connection.refresh_token_issued_at = None
    connection.token_version += 1


def xero_connect_complete(
    *, organization: Organization, actor: User, code: str, code_verifier: str, oauth: XeroOAuth | None = None
) -> XeroConnection:
    """Exchange the code, find the organisations granted by THIS consent (authEventId), and bind one.

    HTTP first, then one short transaction: no row lock is held while Xero answers.
    """
    oauth = oauth or xero_oauth()
    tokens = oauth.exchange_code(code=code, code_verifier=code_verifier)
    granted = oauth.list_connections(access_token=tokens.access_token, auth_event_id=tokens.auth_event_id)
    if tokens.auth_event_id:
        granted = [t for t in granted if t.auth_event_id == tokens.auth_event_id]
    tenants = [t for t in granted if t.tenant_type == "ORGANISATION"]
    error: Exception | None = None
    with transaction.atomic():
        connection = _connection_for_update(organization)
        _apply_tokens(connection, tokens)
        connection.xero_user_name = str(tokens.id_token_claims.get("name") or "")
        connection.xero_user_email = str(tokens.id_token_claims.get("email") or "")
        connection.connected_by = actor
        connection.auth_event_id = tokens.auth_event_id
        connection.pending_tenants = [
            {"tenant_id": t.tenant_id, "tenant_name": t.tenant_name, "connection_id": t.connection_id}
            for t in tenants
        ]
        previous = _previous_tenant_among(connection, tenants)
        if not tenants:
            _wipe_tokens(connection)
            connection.status = XeroConnection.Status.DISCONNECTED
            connection.save()
            audit_record(
                organization=organization,
                actor=actor,
                action="xero.connect_failed",
                target=connection,
                summary="No Xero organisation was granted",
            )
            error = XeroNotConnected(
                "Xero did not grant access to any organisation. Choose an organisation on Xero's consent "
                "screen, and make sure your Xero user has payroll admin access."
            )
        elif len(tenants) > 1 and previous is None:
            connection.status = XeroConnection.Status.CHOOSING_TENANT
            connection.save()
            error = XeroTenantChoiceRequired(
                "You granted several Xero organisations: choose the one this Timeclamp organisation pays through."
            )
        else:
            error = _bind(connection, previous or tenants[0], actor=actor, confirm_shared=False)
    if error is not None:  # raised after commit: the state above is kept
        raise error
    return connection


def _previous_tenant_among(connection: XeroConnection, tenants: list[XeroTenant]) -> XeroTenant | None:
    """Reconnecting: the tenant we had before wins, so staff links and push history carry on."""
    return next((t for t in tenants if connection.tenant_id and t.tenant_id == connection.tenant_id), None)


def _tenant_from_pending(connection: XeroConnection, tenant_id: str) -> XeroTenant:
    for item in connection.pending_tenants:
        if item["tenant_id"] == tenant_id:
            return XeroTenant(
                connection_id=item["connection_id"],
                tenant_id=item["tenant_id"],
                tenant_type="ORGANISATION",
                tenant_name=item["tenant_name"],
                auth_event_id=connection.auth_event_id,
                created_at=None,
                updated_at=None,
            )
    raise XeroNotConnected("That Xero organisation was not part of your consent. Connect again.")


def xero_tenants_linked_elsewhere(*, organization: Organization, tenant_id: str) -> list[Organization]:
    """Other Timeclamp organisations already linked to this Xero organisation (a deliberate
    cross-tenant read: only used to refuse or confirm a shared link)."""
    with unscoped():
        org_ids = list(
            XeroConnection.all_organizations.filter(tenant_id=tenant_id, status=XeroConnection.Status.ACTIVE)
            .exclude(organization=organization)
            .values_list("organization_id", flat=True)
        )
    return list(Organization.objects.filter(pk__in=org_ids))


def _bind(
    connection: XeroConnection, tenant: XeroTenant, *, actor: User, confirm_shared: bool
) -> XeroTenantAlreadyLinked | None:
    """Link the tenant, or return why not (the caller raises it after its transaction commits)."""
    organization = connection.organization
    others = xero_tenants_linked_elsewhere(organization=organization, tenant_id=tenant.tenant_id)
    if others:
        administered = set(
            Membership.objects.filter(user=actor, role=Role.ADMIN, organization__in=others).values_list(
                "organization__name", flat=True
            )
        )
        if len(administered) < len(others):
            connection.status = XeroConnection.Status.DISCONNECTED
            _wipe_tokens(connection)
            connection.pending_tenants = []
            connection.save()
            return XeroTenantAlreadyLinked(
                f"{tenant.tenant_name} is already connected to another Timeclamp organisation. Its admin must "
                "disconnect it there first, or ask Timeclamp support."
            )
        if not confirm_shared:
            connection.status = XeroConnection.Status.CHOOSING_TENANT
            connection.save()
            return XeroTenantAlreadyLinked(
                f"{tenant.tenant_name} is already connected to {', '.join(sorted(administered))}. Confirm that "
                "both Timeclamp organisations should send timesheets to it.",
                extra={"needs_confirmation": True, "tenant_id": tenant.tenant_id},
            )
    reconnect = connection.tenant_id == tenant.tenant_id
    connection.tenant_id = tenant.tenant_id
    connection.tenant_name = tenant.tenant_name
    connection.connection_id = tenant.connection_id
    connection.status = XeroConnection.Status.ACTIVE
    connection.pending_tenants = []
    connection.connected_at = timezone.now()
    connection.connected_by = actor
    connection.problem = ""
    connection.problem_since = None
    connection.legacy_token_id = ""
    connection.save()
    transaction.on_commit(lambda: _sync_after_connect(organization, actor))
    audit_record(
        organization=organization,
        actor=actor,
        action="xero.connected",
        target=connection,
        summary=f"{'Reconnected' if reconnect else 'Connected'} {tenant.tenant_name}",
        data={"tenant_id": tenant.tenant_id, "reconnect": reconnect},
    )


def _sync_after_connect(organization: Organization, actor: User) -> None:
    from integrations.services.matching import xero_sync_request

    try:
        with organization_scope(organization):  # on_commit callbacks may run outside the request's scope
            xero_sync_request(organization=organization, actor=actor)
    except (XeroError, ApplicationError):  # matching can always be re-checked by hand
        logger.warning("Could not start the employee sync after connecting org %s", organization.pk)


def xero_tenant_choose(
    *, organization: Organization, actor: User, tenant_id: str, confirm_shared: bool = False
) -> XeroConnection:
    with transaction.atomic():
        connection = _connection_for_update(organization)
        if connection.status != XeroConnection.Status.CHOOSING_TENANT or not connection.refresh_token:
            raise XeroNotConnected("This choice has expired. Connect to Xero again.")
        _bind(
            connection,
            _tenant_from_pending(connection, tenant_id),
            actor=actor,
            confirm_shared=confirm_shared,
        )
        return connection


# --- disconnect -----------------------------------------------------------------------------------
def xero_disconnect(*, organization: Organization, actor: User, oauth: XeroOAuth | None = None) -> str:
    """Remove our tenant at Xero if we can, then wipe tokens locally whatever Xero said.

    Returns a message for the admin that says what happened at Xero's end.
    """
    connection = xero_connection_get(organization=organization)
    if connection is None or connection.status == XeroConnection.Status.DISCONNECTED:
        return "Xero was not connected."
    remote = "Xero has removed Timeclamp's access to this organisation."
    if connection.status == XeroConnection.Status.LEGACY_OAUTH1 or not connection.connection_id:
        remote = "The old connection was removed."
    else:
        try:
            token = xero_access_token_get(organization=organization, oauth=oauth)
            (oauth or xero_oauth()).delete_connection(
                access_token=token, connection_id=connection.connection_id
            )
        except (XeroReconnectRequired, XeroNotConnected, XeroForbidden, XeroInvalidGrant):
            remote = "Xero had already removed our access, so there was nothing to remove there."
        except XeroError as exc:
            logger.warning(
                "Xero disconnect for org %s failed remotely: %s", organization.pk, type(exc).__name__
            )
            remote = (
                "We could not reach Xero, so Timeclamp may still be listed under Connected Apps in Xero; "
                "you can remove it there."
            )
    with transaction.atomic():
        connection = _connection_for_update(organization)
        tenant_name = connection.tenant_name
        _wipe_tokens(connection)
        connection.status = XeroConnection.Status.DISCONNECTED
        connection.connection_id = ""
        connection.pending_tenants = []
        connection.problem = ""
        connection.problem_since = None
        connection.legacy_token_id = ""
        connection.save()  # tenant_id is kept: reconnecting the same organisation keeps links and history
        audit_record(
            organization=organization,
            actor=actor,
            action="xero.disconnected",
            target=connection,
            summary=f"Disconnected {tenant_name}",
            data={"remote": remote},
        )
    return f"Disconnected from Xero. {remote}"


# --- tokens ---------------------------------------------------------------------------------------
def xero_mark_reconnect_required(*, organization: Organization, reason: str) -> None:
    """Terminal Xero refusal: stop calling, wipe tokens, tell every admin once."""
    with transaction.atomic():
        connection = _connection_for_update(organization)
        if connection.status == XeroConnection.Status.NEEDS_RECONNECT:
            return
        connection.status = XeroConnection.Status.NEEDS_RECONNECT
        connection.problem = reason[:500]
        connection.problem_since = timezone.now()
        _wipe_tokens(connection)
        connection.save()
        audit_record(
            organization=organization,
            actor=None,
            action="xero.reconnect_required",
            target=connection,
            summary=reason[:255],
        )
        admins = list(
            Membership.objects.filter(organization=organization, role=Role.ADMIN).values_list(
                "user__email", flat=True
            )
        )
        path = reverse("integrations:xero_settings", kwargs={"org_slug": organization.slug})
        subject = f"Timeclamp: reconnect Xero for {organization.name}"
        body = (
            f"Xero stopped accepting Timeclamp's connection to {connection.tenant_name or 'your organisation'}: "
            f"{reason}\n\nNo timesheets can be sent until an admin reconnects. Open Settings > Integrations "
            f'and press "Reconnect Xero": {path}\n'
        )
        transaction.on_commit(
            lambda: send_mass_mail([(subject, body, None, [email]) for email in admins], fail_silently=True)
        )


def xero_access_token_get(
    *, organization: Organization, force_refresh: bool = False, oauth: XeroOAuth | None = None
) -> str:
    """The one place that hands out an access token.

    Locks the connection row, re-reads it, refreshes only when the token expires within 60 s (or a
    401 said so), and saves the rotated refresh token before returning. Ten workers with an expired
    token cause one refresh: the other nine wait on the lock and then find a fresh token.
    """
    with transaction.atomic():
        connection = _connection_for_update(organization)
        _raise_unless_usable(connection)
        fresh = (
            connection.access_token_expires_at
            and connection.access_token_expires_at > timezone.now() + REFRESH_MARGIN
        )
        if fresh and not force_refresh:
            return connection.access_token
        used = connection.refresh_token
        try:
            tokens = _refresh_with_grace_retry(oauth or xero_oauth(), used)
        except XeroInvalidGrant:
            connection.refresh_from_db()
            if connection.refresh_token != used and connection.is_active:  # someone else rotated it
                return connection.access_token
            invalid = True
        else:
            invalid = False
            _apply_tokens(connection, tokens)
            connection.save()
            return connection.access_token
    if invalid:
        xero_mark_reconnect_required(
            organization=organization,
            reason="Xero no longer accepts our sign-in (access was revoked in Xero, or it went unused for 60 days).",
        )
        raise XeroReconnectRequired("Xero access has ended: an admin must reconnect Xero.")
    raise AssertionError("unreachable")  # pragma: no cover


def _refresh_with_grace_retry(oauth: XeroOAuth, refresh_token: str) -> TokenSet:
    """A refresh whose answer was lost may already have rotated the token at Xero: Xero accepts the
    same refresh token again for 30 minutes and returns the same pair, so retry once at once."""
    try:
        return oauth.refresh(refresh_token=refresh_token)
    except XeroUnavailable as exc:
        if not exc.outcome_unknown:
            raise
        return oauth.refresh(refresh_token=refresh_token)


def _raise_unless_usable(connection: XeroConnection) -> None:
    if connection.status == XeroConnection.Status.NEEDS_RECONNECT:
        raise XeroReconnectRequired("Xero access has ended: an admin must reconnect Xero.")
    if connection.status == XeroConnection.Status.LEGACY_OAUTH1:
        raise XeroReconnectRequired("Xero retired OAuth 1.0: disconnect and connect again.")
    if connection.status != XeroConnection.Status.ACTIVE or not connection.refresh_token:
        raise XeroNotConnected("Xero is not connected. An admin can connect it in Settings > Integrations.")


def xero_call(
    *, organization: Organization, call: Callable[[XeroApi], T], oauth: XeroOAuth | None = None
) -> T:
    """Run ``call`` with a client for the organisation's tenant.

    401 refreshes the token once and retries; a 403 for our tenant marks the connection "Reconnect
    required". A success records the time of the last successful call.
    """
    connection = xero_connection_get(organization=organization)
    if connection is None:
        raise XeroNotConnected("Xero is not connected. An admin can connect it in Settings > Integrations.")
    token = xero_access_token_get(organization=organization, oauth=oauth)
    try:
        try:
            result = call(xero_client(access_token=token, tenant_id=connection.tenant_id))
        except XeroAuthError:
            token = xero_access_token_get(organization=organization, force_refresh=True, oauth=oauth)
            result = call(xero_client(access_token=token, tenant_id=connection.tenant_id))
    except XeroForbidden as exc:
        xero_mark_reconnect_required(
            organization=organization,
            reason="Xero refused access to this organisation (access removed in Xero, or payroll rights lost).",
        )
        raise XeroReconnectRequired("Xero refused access: an admin must reconnect Xero.") from exc
    XeroConnection.objects.filter(pk=connection.pk).update(last_api_success_at=timezone.now())
    return result


# --- periodic -------------------------------------------------------------------------------------
def xero_tokens_keepalive(*, organization: Organization, oauth: XeroOAuth | None = None) -> bool:
    """Refresh a connection idle for 30+ days, so the 60-day refresh-token expiry is never reached."""
    connection = xero_connection_get(organization=organization)
    if connection is None or not connection.is_active or connection.last_refreshed_at is None:
        return False
    if timezone.now() - connection.last_refreshed_at < KEEPALIVE_AFTER:
        return False
    xero_access_token_get(organization=organization, force_refresh=True, oauth=oauth)
    return True


def xero_health_check(*, organization: Organization, oauth: XeroOAuth | None = None) -> bool:
    """GET /connections: is our tenant still granted? Detects revocation before payday."""
    connection = xero_connection_get(organization=organization)
    if connection is None or not connection.is_active:
        return False
    oauth = oauth or xero_oauth()
    token = xero_access_token_get(organization=organization, oauth=oauth)
    tenants = oauth.list_connections(access_token=token)
    XeroConnection.objects.filter(pk=connection.pk).update(last_health_check_at=timezone.now())
    if not any(t.tenant_id == connection.tenant_id for t in tenants):
        xero_mark_reconnect_required(
            organization=organization, reason=f"{connection.tenant_name} is no longer connected in Xero."
        )
        return False
    XeroConnection.objects.filter(pk=connection.pk).update(last_api_success_at=timezone.now())
    return True


# --- legacy ---------------------------------------------------------------------------------------
@transaction.atomic
def xero_legacy_connection_import(
    *, organization: Organization, tenant_name: str, legacy_token_id: str
) -> XeroConnection:
    """A connection carried over from the retired OAuth 1.0 integration: it has no OAuth 2.0 tokens,
    blocks payroll, and tells the admin to disconnect and connect again."""
    connection = _connection_for_update(organization)
    if connection.status == XeroConnection.Status.ACTIVE:
        return connection  # already moved to OAuth 2.0
    connection.status = XeroConnection.Status.LEGACY_OAUTH1
    connection.tenant_name = tenant_name
    connection.legacy_token_id = legacy_token_id
    _wipe_tokens(connection)
    connection.save()
    audit_record(
        organization=organization,
        actor=None,
        action="xero.legacy_imported",
        target=connection,
        summary=f"Imported OAuth 1.0 connection to {tenant_name}",
    )
    return connection
