from django.http import HttpRequest

from integrations.models import XeroConnection


def xero_banner(request: HttpRequest) -> dict:
    """'Reconnect required' / 'OAuth 1.0 retired' on every page, for admins and managers."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_manager:
        return {}
    connection = (
        XeroConnection.objects.filter(organization=membership.organization)
        .only("status", "tenant_name", "problem")
        .first()
    )
    if connection is None or connection.status not in (
        XeroConnection.Status.NEEDS_RECONNECT,
        XeroConnection.Status.LEGACY_OAUTH1,
    ):
        return {}
    return {"xero_banner_connection": connection}
