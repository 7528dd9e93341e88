"""Ten workers with an expired token cause exactly one refresh (PostgreSQL row lock)."""

import datetime
import threading
import uuid

import pytest
import responses
from django.db import connection as db_connection
from django.utils import timezone

from integrations.models import XeroConnection
from integrations.services.connections import xero_access_token_get
from tests.factories import OrganizationFactory
from tests.integrations.conftest import TokenEndpoint, fake_jwt
from timeclamp.tenancy import organization_scope, unscoped


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_workers_cause_exactly_one_refresh():
    with unscoped():
        organization = OrganizationFactory()
        XeroConnection.all_organizations.create(
            organization=organization,
            status=XeroConnection.Status.ACTIVE,
            tenant_id=str(uuid.uuid4()),
            tenant_name="Demo",
            connection_id=str(uuid.uuid4()),
            access_token=fake_jwt(n=0),
            refresh_token="xero_test_tok_refresh_0",
            access_token_expires_at=timezone.now() - datetime.timedelta(minutes=1),
            refresh_token_issued_at=timezone.now(),
            last_refreshed_at=timezone.now(),
        )
    tokens, errors = [], []
    barrier = threading.Barrier(10)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        endpoint = TokenEndpoint(rsps)
        endpoint.delay = 0.2  # widen the race window

        def worker():
            try:
                barrier.wait()
                with organization_scope(organization):
                    tokens.append(xero_access_token_get(organization=organization))
            except Exception as exc:
                errors.append(exc)
            finally:
                db_connection.close()

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    assert endpoint.calls == 1
    assert len(set(tokens)) == 1
    with unscoped():
        stored = XeroConnection.all_organizations.get(organization=organization)
    assert stored.refresh_token == "xero_test_tok_refresh_1"
    assert stored.status == XeroConnection.Status.ACTIVE
