import base64
import datetime
import json
import time
import uuid

import pytest
import responses
from django.conf import settings
from django.utils import timezone

from integrations.models import XeroConnection

TOKEN_URL = f"{settings.XERO_IDENTITY_URL}/connect/token"
CONNECTIONS_URL = f"{settings.XERO_API_URL}/connections"


def fake_jwt(**claims) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


class TokenEndpoint:
    """A strict fake of Xero's token endpoint (rotation, counting) for responses-based tests."""

    def __init__(self, rsps: responses.RequestsMock):
        self.calls = 0
        self.valid = {"xero_test_tok_refresh_0"}
        self.counter = 0
        self.fail_with: str | None = None
        self.delay = 0.0
        rsps.add_callback(responses.POST, TOKEN_URL, callback=self)

    def __call__(self, request):
        self.calls += 1
        time.sleep(self.delay)
        body = dict(p.split("=", 1) for p in request.body.split("&"))
        if self.fail_with:
            return 400, {}, json.dumps({"error": self.fail_with})
        if body.get("grant_type") == "refresh_token":
            if body.get("refresh_token") not in self.valid:
                return 400, {}, json.dumps({"error": "invalid_grant"})
            self.valid.discard(body["refresh_token"])
        self.counter += 1
        new_refresh = f"xero_test_tok_refresh_{self.counter}"
        self.valid.add(new_refresh)
        return (
            200,
            {},
            json.dumps(
                {
                    "access_token": fake_jwt(
                        authentication_event_id="evt-1", xero_userid="u-1", n=self.counter
                    ),
                    "refresh_token": new_refresh,
                    "expires_in": 1800,
                    "token_type": "Bearer",
                    "scope": "offline_access payroll.employees payroll.timesheets",
                }
            ),
        )


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def token_endpoint(rsps):
    return TokenEndpoint(rsps)


@pytest.fixture
def connection(organization):
    connection = XeroConnection.objects.create(
        organization=organization,
        status=XeroConnection.Status.ACTIVE,
        tenant_id=str(uuid.uuid4()),
        tenant_name="Demo Cafe Pty Ltd (AU)",
        connection_id=str(uuid.uuid4()),
        access_token=fake_jwt(n=0),
        refresh_token="xero_test_tok_refresh_0",
        access_token_expires_at=timezone.now() - datetime.timedelta(minutes=1),
        refresh_token_issued_at=timezone.now() - datetime.timedelta(days=1),
        last_refreshed_at=timezone.now() - datetime.timedelta(days=1),
    )
    return connection


@pytest.fixture
def world(monkeypatch, tmp_path, settings):
    """Demo Cafe in Timeclamp and in the Xero sandbox, an admin logged in, HTTP routed in-process."""
    from tests.integrations.sandbox_world import make_world

    return make_world(monkeypatch, tmp_path, settings)
