"""The one place tenancy is implemented. Nothing else imports django-scopes.

Public API:
    organization_scope(org)  -- run code as one organisation; scoped managers filter to it
    unscoped()               -- the loud escape hatch (admin, management commands, factories)
    current_organization_id()
    OrganizationScopeError   -- raised by a scoped manager used outside any scope
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django_scopes import ScopeError, get_scope, scope, scopes_disabled

OrganizationScopeError = ScopeError

__all__ = ["OrganizationScopeError", "current_organization_id", "organization_scope", "unscoped"]


@contextmanager
def organization_scope(organization: Any) -> Iterator[None]:
    """Scope every tenant-owned manager to ``organization`` (an Organization or its pk).

    django-scopes treats ``None`` as "no filter" and would return every tenant's rows; we refuse it.
    """
    if organization is None or getattr(organization, "pk", 0) is None:
        raise OrganizationScopeError("organization_scope() needs a saved organisation, not None.")
    with scope(organization=organization):
        yield


@contextmanager
def unscoped() -> Iterator[None]:
    """Disable tenant scoping. Review every use as carefully as mark_safe()."""
    with scopes_disabled():
        yield


def current_organization_id() -> int | None:
    value = get_scope().get("organization")
    if value is None:
        return None
    return getattr(value, "pk", value)
