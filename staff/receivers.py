"""Signal receivers of the staff app (connected in StaffConfig.ready)."""

import datetime

from django.dispatch import receiver
from django.utils import timezone

from staff.models import AuditEvent
from staff.services import audit_record
from timeclamp.tenancy import organization_scope
from timeclamp.tenancy.security import member_access_denied

DENIAL_AUDIT_EVERY = datetime.timedelta(hours=1)


@receiver(member_access_denied)
def audit_member_access_denied(sender, *, request, needs: str, has: str, **kwargs) -> None:
    """One audit row per member and page per hour: reloading a refused page cannot flood the trail
    (every refusal is in the security log regardless)."""
    summary = f"{request.method} {request.path}"[:255]
    with organization_scope(sender):
        recent = AuditEvent.objects.filter(
            organization=sender,
            actor=request.user,
            action="access.denied",
            summary=summary,
            created_at__gte=timezone.now() - DENIAL_AUDIT_EVERY,
        ).exists()
        if not recent:
            audit_record(
                organization=sender,
                actor=request.user,
                action="access.denied",
                summary=summary,
                data={"needs": needs, "has": has},
            )
