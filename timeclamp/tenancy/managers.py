"""Fail-closed tenant managers.

django-scopes' ScopedManager raises outside a scope for most queryset methods but lets a few through
(``exists()``, ``exclude()``, ``in_bulk()``, ``contains()``, ``select_related()`` ...). We close those
too, so that any read of a tenant-owned table outside a scope raises.
"""

from django.db import models
from django_scopes import ScopedManager
from django_scopes.manager import DisabledQuerySet


class ClosedQuerySet(DisabledQuerySet):
    exists = DisabledQuerySet.error
    exclude = DisabledQuerySet.error
    in_bulk = DisabledQuerySet.error
    contains = DisabledQuerySet.error
    select_related = DisabledQuerySet.error
    prefetch_related = DisabledQuerySet.error
    distinct = DisabledQuerySet.error
    defer = DisabledQuerySet.error
    alias = DisabledQuerySet.error
    extra = DisabledQuerySet.error
    bulk_update = DisabledQuerySet.error
    explain = DisabledQuerySet.error


def OrganizationScopedManager() -> models.Manager:
    base = type(ScopedManager(organization="organization"))

    class Manager(base):  # type: ignore[misc, valid-type]
        def get_queryset(self):
            qs = super().get_queryset()
            if isinstance(qs, DisabledQuerySet):
                return ClosedQuerySet(self.model, using=self._db, missing_scopes=qs.missing_scopes)
            return qs

    return Manager()
