from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpResponse

from staff.models import Role

from .security import access_denied, member_access_denied


def organization_member_required(role: str = Role.STAFF) -> Callable:
    """Require membership of the URL's organisation with at least ``role``.

    Not enough rights is a 404 like "not a member": a staff member cannot even learn that a settings
    page exists. Drops the ``org_slug`` kwarg so views are ``def view(request, ...)``.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request, *args, org_slug: str, **kwargs) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.organization.slug != org_slug:
                raise Http404("No such organisation.")
            if not Role.at_least(membership.role, role):
                access_denied(request, reason=f"needs the {role} role, has {membership.role}")
                member_access_denied.send(
                    sender=membership.organization, request=request, needs=role, has=membership.role
                )
                raise Http404("No such page.")
            return view(request, *args, **kwargs)

        wrapper.organization_role = role  # read by the isolation sweep
        return wrapper

    return decorator
