import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


def test_base_urls_point_at_the_sandbox_in_tests():
    assert settings.XERO_API_URL == "https://xero-sandbox.test/xero-sandbox/api"
    assert settings.XERO_LOGIN_URL == "https://xero-sandbox.test/xero-sandbox/login"
    assert settings.XERO_IDENTITY_URL == "https://xero-sandbox.test/xero-sandbox/identity"


def test_requests_reach_the_sandbox_in_process(xero_http):
    response = xero_http.get(f"{settings.XERO_API_URL}/no-such-path", timeout=5)
    assert response.status_code == 404
