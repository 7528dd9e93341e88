"""GET /connections and DELETE /connections/{id} on the API host (api.xero.com).

Tokens belong to a user + app (a grant), so the list is every live connection of the token's grant
(not only the tenants of this consent); ?authEventId= narrows it to one consent.
"""

import datetime
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from xero_sandbox.models import Connection

from .api_auth import api_view, problem
from .grants import live_connections


def identity_datetime(moment: datetime.datetime) -> str:
    """Xero's identity dates: UTC, no offset, 7 fractional digits ("2019-12-07T18:46:19.5165400")."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def serialize(connection: Connection) -> dict:
    organisation = connection.organisation
    return {
        "id": str(connection.id),
        "tenantId": str(organisation.tenant_id),
        "tenantType": organisation.tenant_type,
        "tenantName": organisation.name,
        "authEventId": str(connection.auth_event_id),
        "createdDateUtc": identity_datetime(connection.created_at),
        "updatedDateUtc": identity_datetime(connection.updated_at),
    }


@require_http_methods(["GET"])
@api_view(scopes=None, tenant=False)
def connections(request: HttpRequest) -> HttpResponse:
    rows = live_connections(request.xero_claims.grant_id)
    auth_event_id = request.GET.get("authEventId", "").strip()
    if auth_event_id:
        try:
            rows = rows.filter(auth_event_id=uuid.UUID(auth_event_id))
        except ValueError:
            # Assumption: a malformed authEventId is a 400 (the spec types it as a uuid).
            return problem(400, "Bad Request", "authEventId must be a GUID")
    return JsonResponse([serialize(row) for row in rows], safe=False)


@require_http_methods(["DELETE"])
@api_view(scopes=None, tenant=False)
def connection(request: HttpRequest, connection_id: uuid.UUID) -> HttpResponse:
    updated = Connection.objects.filter(
        pk=connection_id, grant_id=request.xero_claims.grant_id, deleted_at__isnull=True
    ).update(deleted_at=timezone.now())
    if not updated:
        # Assumption: Xero's 404 body here is undocumented; a problem JSON like its other errors.
        return problem(404, "Not Found", "Resource not found")
    return HttpResponse(status=204)
