from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from staff.models import Membership

from . import organization_scope, unscoped
from .security import access_denied


class OrganizationMiddleware:
    """One entry point per request: ``o/<org_slug>/`` -> membership -> scope.

    Not a member (or no such organisation, or an inactive one): 404, never 403, so the existence of
    another organisation is not disclosed. The view, and template rendering, run inside the scope and
    in the organisation's time zone (what the page footer promises).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)  # LoginRequiredMiddleware redirects private views
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if match.namespace == "admin" or request.path_info.startswith("/admin/"):
            if user.is_staff:
                with unscoped():
                    return self.get_response(request)
            return self.get_response(request)
        org_slug = match.kwargs.get("org_slug")
        if org_slug is None:
            return self.get_response(request)
        membership = (
            Membership.objects.select_related("organization")
            .filter(user=user, organization__slug=org_slug, organization__is_active=True)
            .first()
        )
        if membership is None:
            access_denied(request, reason="not a member of that organisation, or no such organisation")
            raise Http404("No such organisation.")
        request.organization = membership.organization
        request.membership = membership
        with organization_scope(membership.organization), timezone.override(membership.organization.tzinfo):
            return self.get_response(request)
