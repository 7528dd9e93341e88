from django.db import models
from django.utils import timezone

from .managers import OrganizationScopedManager


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OrganizationOwnedModel(TimeStampedModel):
    """Base of every tenant-owned row.

    ``objects`` is declared first so it is also ``_default_manager``: get_object_or_404, reverse
    relations and ModelForm choices are scoped or raise. ``all_organizations`` is the one deliberate
    cross-tenant door (admin, management commands, factories).
    """

    # related_name="+": no organization.<things> accessors; reads go through selectors.
    organization = models.ForeignKey("staff.Organization", on_delete=models.PROTECT, related_name="+")

    objects = OrganizationScopedManager()
    all_organizations = models.Manager()  # noqa: DJ012 - managers, not fields

    class Meta:
        abstract = True
