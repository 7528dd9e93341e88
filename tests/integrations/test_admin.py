import pytest
from django.urls import reverse

from integrations.models import XeroConnection
from tests.factories import OrganizationFactory, UserFactory
from timeclamp.tenancy import unscoped


@pytest.mark.django_db
def test_support_sees_connections_but_never_tokens(client):
    support = UserFactory(is_staff=True, is_superuser=True)
    with unscoped():
        connection = XeroConnection.all_organizations.create(
            organization=OrganizationFactory(),
            status="active",
            tenant_name="Cafe",
            refresh_token="xero_test_tok_secret",
            access_token="xero_test_tok_access",
        )
    client.force_login(support)
    listing = client.get(reverse("admin:integrations_xeroconnection_changelist"))
    detail = client.get(reverse("admin:integrations_xeroconnection_change", args=[connection.pk]))
    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "Cafe" in listing.content.decode()
    assert "xero_test_tok" not in detail.content.decode()
    assert "xero_test_tok" not in listing.content.decode()
