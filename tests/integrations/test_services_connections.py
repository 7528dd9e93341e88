"""Token handling, reconnect-required, disconnect and legacy connections (Xero faked with responses)."""

import datetime
import json

import pytest
import requests
import responses
from django.core import mail
from django.utils import timezone

from integrations.exceptions import XeroNotConnected, XeroReconnectRequired
from integrations.models import XeroConnection
from integrations.services.connections import (
    xero_access_token_get,
    xero_call,
    xero_disconnect,
    xero_health_check,
    xero_legacy_connection_import,
    xero_tokens_keepalive,
)
from staff.models import AuditEvent
from tests.integrations.conftest import CONNECTIONS_URL
from timeclamp.tenancy import unscoped


def test_fresh_token_is_returned_without_calling_xero(connection, token_endpoint):
    connection.access_token_expires_at = timezone.now() + datetime.timedelta(minutes=20)
    connection.save()
    assert xero_access_token_get(organization=connection.organization) == connection.access_token
    assert token_endpoint.calls == 0


def test_expiring_token_is_refreshed_and_the_rotated_refresh_token_saved(connection, token_endpoint):
    token = xero_access_token_get(organization=connection.organization)
    connection.refresh_from_db()
    assert token_endpoint.calls == 1
    assert connection.refresh_token == "xero_test_tok_refresh_1"
    assert connection.access_token == token
    assert connection.access_token_expires_at > timezone.now() + datetime.timedelta(minutes=29)
    assert connection.token_version == 1


def test_tokens_are_encrypted_at_rest(connection, token_endpoint):
    xero_access_token_get(organization=connection.organization)
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT refresh_token, access_token FROM integrations_xeroconnection")
        raw_refresh, raw_access = cursor.fetchone()
    assert "xero_test_tok" not in raw_refresh
    assert raw_access.startswith("gAAAA")  # Fernet


def test_invalid_grant_marks_reconnect_required_wipes_tokens_and_emails_admins(
    connection, token_endpoint, admin_member, django_capture_on_commit_callbacks
):
    token_endpoint.fail_with = "invalid_grant"
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(XeroReconnectRequired):
        xero_access_token_get(organization=connection.organization)
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.NEEDS_RECONNECT
    assert connection.refresh_token == ""
    assert connection.access_token == ""
    assert [m.to for m in mail.outbox] == [[admin_member.user.email]]
    assert "reconnect" in mail.outbox[0].subject.lower()
    # no further calls are made
    with pytest.raises(XeroReconnectRequired):
        xero_access_token_get(organization=connection.organization)
    assert token_endpoint.calls == 1


def test_lost_refresh_response_is_retried_inside_the_grace_period(connection, rsps):
    from tests.integrations.conftest import TOKEN_URL, fake_jwt

    answers = [requests.ReadTimeout("lost"), None]
    sent = []

    def callback(request):
        sent.append(request.body)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return (
            200,
            {},
            json.dumps(
                {
                    "access_token": fake_jwt(n=9),
                    "refresh_token": "xero_test_tok_refresh_9",
                    "expires_in": 1800,
                    "token_type": "Bearer",
                }
            ),
        )

    rsps.add_callback(responses.POST, TOKEN_URL, callback=callback)
    xero_access_token_get(organization=connection.organization)
    connection.refresh_from_db()
    assert len(sent) == 2
    assert sent[0] == sent[1]  # the same refresh token, replayed
    assert connection.refresh_token == "xero_test_tok_refresh_9"
    assert connection.status == XeroConnection.Status.ACTIVE


def test_403_for_our_tenant_marks_reconnect_required(connection, token_endpoint, rsps):
    from django.conf import settings

    rsps.get(
        f"{settings.XERO_API_URL}/payroll.xro/1.0/PayrollCalendars",
        status=403,
        json={"Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"},
    )
    with pytest.raises(XeroReconnectRequired):
        xero_call(organization=connection.organization, call=lambda client: client.list_payroll_calendars())
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.NEEDS_RECONNECT


def test_401_refreshes_once_then_succeeds(connection, token_endpoint, rsps):
    from django.conf import settings

    url = f"{settings.XERO_API_URL}/payroll.xro/1.0/PayrollCalendars"
    rsps.get(url, status=401, json={"Title": "Unauthorized", "Detail": "TokenExpired"})
    rsps.get(url, json={"Status": "OK", "PayrollCalendars": []})
    assert xero_call(organization=connection.organization, call=lambda c: c.list_payroll_calendars()) == []
    assert token_endpoint.calls == 2  # expired at start, then forced once by the 401
    connection.refresh_from_db()
    assert connection.last_api_success_at is not None


def test_disconnect_deletes_our_connection_and_wipes_tokens(connection, token_endpoint, rsps, admin_member):
    rsps.delete(f"{CONNECTIONS_URL}/{connection.connection_id}", status=204)
    message = xero_disconnect(organization=connection.organization, actor=admin_member.user)
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.DISCONNECTED
    assert (connection.access_token, connection.refresh_token) == ("", "")
    assert connection.tenant_id  # kept, so reconnecting keeps staff links and history
    assert "removed" in message
    with unscoped():
        assert AuditEvent.objects.filter(action="xero.disconnected").count() == 1


def test_disconnect_still_happens_locally_when_xero_is_unreachable(
    connection, token_endpoint, rsps, admin_member
):
    rsps.delete(f"{CONNECTIONS_URL}/{connection.connection_id}", body=requests.ConnectionError("down"))
    message = xero_disconnect(organization=connection.organization, actor=admin_member.user)
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.DISCONNECTED
    assert "could not reach Xero" in message


def test_disconnect_with_a_dead_grant_says_so(connection, token_endpoint, admin_member):
    token_endpoint.fail_with = "invalid_grant"
    message = xero_disconnect(organization=connection.organization, actor=admin_member.user)
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.DISCONNECTED
    assert "already removed" in message


def test_legacy_connection_blocks_payroll_until_reconnected(organization, admin_member):
    connection = xero_legacy_connection_import(
        organization=organization, tenant_name="Old Cafe", legacy_token_id="L1"
    )
    assert connection.status == XeroConnection.Status.LEGACY_OAUTH1
    with pytest.raises(XeroReconnectRequired, match=r"OAuth 1\.0"):
        xero_access_token_get(organization=organization)
    xero_disconnect(organization=organization, actor=admin_member.user)
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.DISCONNECTED


def test_not_connected_is_a_clear_error(organization):
    with pytest.raises(XeroNotConnected):
        xero_call(organization=organization, call=lambda c: None)


def test_keepalive_refreshes_only_connections_idle_for_30_days(connection, token_endpoint):
    connection.access_token_expires_at = timezone.now() + datetime.timedelta(minutes=20)
    connection.save()
    assert xero_tokens_keepalive(organization=connection.organization) is False
    connection.last_refreshed_at = timezone.now() - datetime.timedelta(days=31)
    connection.save()
    assert xero_tokens_keepalive(organization=connection.organization) is True
    assert token_endpoint.calls == 1


def test_health_check_notices_a_connection_removed_in_xero(connection, token_endpoint, rsps):
    rsps.get(CONNECTIONS_URL, json=[])
    assert xero_health_check(organization=connection.organization) is False
    connection.refresh_from_db()
    assert connection.status == XeroConnection.Status.NEEDS_RECONNECT
    assert "no longer connected" in connection.problem


def test_rotate_token_keys_re_encrypts_under_the_new_key(connection, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_token_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]
    connection = XeroConnection.objects.get(pk=connection.pk)
    assert connection.refresh_token == "xero_test_tok_refresh_0"


def test_wrong_key_raises_and_makes_no_request(connection, settings, token_endpoint):
    from cryptography.fernet import Fernet

    from timeclamp.fields import DecryptionError

    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError):
        xero_access_token_get(organization=connection.organization)
    assert token_endpoint.calls == 0
