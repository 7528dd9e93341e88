"""OrganizationTask: background work re-enters the tenant scope from an id (pretix's EventTask shape).

Callers pass ``organization_id=<int>``; the task body receives ``organization=`` and runs inside
``organization_scope(organization)``. Tasks never take tenant data or secrets as arguments.
"""

from typing import NoReturn

from celery.contrib.django.task import DjangoTask
from celery.utils.time import get_exponential_backoff_interval

from timeclamp.outages import INFRASTRUCTURE_ERRORS, OUTAGE_WAITS, outlast_outages

from . import organization_scope, unscoped


def _active_organization(organization_id: int):
    from staff.models import Organization

    with unscoped():
        return Organization.objects.filter(pk=organization_id, is_active=True).first()


class OrganizationTask(DjangoTask):
    abstract = True
    typing = False  # callers pass organization_id; the body receives organization
    outage_waits = OUTAGE_WAITS

    def __call__(self, *args, organization_id: int, **kwargs):
        # The lookup runs before the body, so outside the task's autoretry_for: a message received
        # while PostgreSQL restarts would fail (and be acked) and its push wait for the watchdog's
        # lost-message rule. It rides the restart out, then falls back to the task's retry policy.
        try:
            organization = outlast_outages(
                lambda: _active_organization(organization_id), waits=self.outage_waits
            )
        except INFRASTRUCTURE_ERRORS as exc:
            self._retry_or_raise(exc)
        if organization is None:
            return None  # deleted or deactivated since it was queued: nothing to do
        with organization_scope(organization):
            return super().__call__(*args, organization=organization, **kwargs)

    def _retry_or_raise(self, exc: Exception) -> NoReturn:
        """What Celery's autoretry wrapper (celery/app/autoretry.py) does with an error the body raised:
        retry with the task's own options, or raise the error when the task does not retry it."""
        autoretry_for = tuple(getattr(self, "autoretry_for", ()))
        dont_autoretry_for = tuple(getattr(self, "dont_autoretry_for", ()))
        if not isinstance(exc, autoretry_for) or isinstance(exc, dont_autoretry_for):
            raise exc
        options = dict(getattr(self, "retry_kwargs", None) or {})
        if getattr(self, "retry_backoff", False):
            options["countdown"] = get_exponential_backoff_interval(
                factor=int(max(1.0, float(self.retry_backoff))),
                retries=self.request.retries,
                maximum=int(getattr(self, "retry_backoff_max", 600)),
                full_jitter=getattr(self, "retry_jitter", True),
            )
        raise self.retry(exc=exc, **options)  # Retry, or exc itself once max_retries is used up

    def retry(self, args=None, kwargs=None, *more, **options):
        """Retries (including autoretry_for) re-send the message's own arguments: the organisation's id,
        never the Organization object the body received (Task.__call__ records the call's kwargs)."""
        kwargs = dict(self.request.kwargs or {} if kwargs is None else kwargs)
        organization = kwargs.pop("organization", None)
        if organization is not None:
            kwargs.setdefault("organization_id", organization.pk)
        return super().retry(args, kwargs, *more, **options)
