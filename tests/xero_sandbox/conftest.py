"""Sandbox tests: mark modules with
pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])
"""

import pytest

from tests.sandbox_http import sandbox_session


@pytest.fixture
def xero_http():
    """A requests.Session whose calls to https://xero-sandbox.test/ reach the sandbox in-process."""
    return sandbox_session()
