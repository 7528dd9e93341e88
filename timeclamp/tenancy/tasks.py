"""OrganizationTask: background work re-enters the tenant scope from an id (pretix's EventTask shape).

Callers pass ``organization_id=<int>``; the task body receives ``organization=`` and runs inside
``organization_scope(organization)``. Tasks never take tenant data or secrets as arguments.
"""

from celery.contrib.django.task import DjangoTask

from . import organization_scope, unscoped


class OrganizationTask(DjangoTask):
    abstract = True
    typing = False  # callers pass organization_id; the body receives organization

    def __call__(self, *args, organization_id: int, **kwargs):
        from staff.models import Organization

        with unscoped():
            organization = Organization.objects.filter(pk=organization_id, is_active=True).first()
        if organization is None:
            return None  # deleted or deactivated since it was queued: nothing to do
        with organization_scope(organization):
            return super().__call__(*args, organization=organization, **kwargs)

    def retry(self, args=None, kwargs=None, *more, **options):
        """Retries (including autoretry_for) re-send the message's own arguments: the organisation's id,
        never the Organization object the body received (Task.__call__ records the call's kwargs)."""
        kwargs = dict(self.request.kwargs or {} if kwargs is None else kwargs)
        organization = kwargs.pop("organization", None)
        if organization is not None:
            kwargs.setdefault("organization_id", organization.pk)
        return super().retry(args, kwargs, *more, **options)
