from django.http import HttpRequest

from staff.models import Membership, Organization


class OrganizationRequest(HttpRequest):
    """An HttpRequest inside /o/<org_slug>/, after OrganizationMiddleware (for type hints only)."""

    organization: Organization
    membership: Membership
