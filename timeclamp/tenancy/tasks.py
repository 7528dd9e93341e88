"""OrganizationTask: background work re-enters the tenant scope from an id (pretix's EventTask shape).

Callers pass ``organization_id=<int>``; the task body receives ``organization=`` and runs inside
``organization_scope(organization)``. Tasks never take tenant data or secrets as arguments.
"""

import functools

from celery.contrib.django.task import DjangoTask

from timeclamp.outages import OUTAGE_WAITS, outlast_outages

from . import organization_scope, unscoped


def _active_organization(organization_id: int):
    from staff.models import Organization

    with unscoped():
        return Organization.objects.filter(pk=organization_id, is_active=True).first()


def _in_organization_scope(body):
    """The task's run: look the organisation up, then run ``body`` in its scope. It is the body Celery
    wraps with the task's autoretry_for, so the lookup is covered by the task's own retry policy: a
    message received while PostgreSQL restarts rides the restart out (outlast_outages), then retries
    as the body would, instead of failing, being acked, and leaving its push to the watchdog."""
    bound = not isinstance(body, staticmethod)  # @shared_task(bind=True) bodies take the task first
    fun = body if bound else body.__func__

    @functools.wraps(fun)
    def run(self, *args, organization_id: int, **kwargs):
        organization = outlast_outages(lambda: _active_organization(organization_id), waits=self.outage_waits)
        if organization is None:
            return None  # deleted or deactivated since it was queued: nothing to do
        with organization_scope(organization):
            if bound:
                return fun(self, *args, organization=organization, **kwargs)
            return fun(*args, organization=organization, **kwargs)

    return run


class OrganizationTask(DjangoTask):
    abstract = True
    typing = False  # callers pass organization_id; the body receives organization
    outage_waits = OUTAGE_WAITS

    def __init_subclass__(cls, **kwargs):
        """Each @shared_task(base=OrganizationTask) is a subclass whose ``run`` is its body."""
        super().__init_subclass__(**kwargs)
        body = cls.__dict__.get("run")
        if body is not None:
            cls.run = _in_organization_scope(body)

    def retry(self, args=None, kwargs=None, *more, **options):
        """Retries (including autoretry_for) re-send the message's own arguments: the organisation's id,
        never an Organization object a body passed on."""
        kwargs = dict(self.request.kwargs or {} if kwargs is None else kwargs)
        organization = kwargs.pop("organization", None)
        if organization is not None:
            kwargs.setdefault("organization_id", organization.pk)
        return super().retry(args, kwargs, *more, **options)
