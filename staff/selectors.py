"""Reads of organisations, memberships and staff records. Tenant first, keyword-only."""

from django.db.models import Q, QuerySet

from .models import AuditEvent, Invitation, Membership, Organization, StaffMember, User


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def membership_get(*, organization: Organization, pk: int) -> Membership:
    return Membership.objects.select_related("user").get(organization=organization, pk=pk)


def invitation_list_open(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=organization, accepted_at__isnull=True).order_by("email")


def staff_member_list(
    *, organization: Organization, search: str = "", include_archived: bool = False
) -> QuerySet[StaffMember]:
    qs = StaffMember.objects.filter(organization=organization).select_related("user")
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    for word in search.split()[:5]:
        qs = qs.filter(
            Q(first_name__icontains=word)
            | Q(middle_names__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(employee_code__iexact=word)
        )
    return qs


def staff_member_get(*, organization: Organization, pk: int) -> StaffMember:
    return StaffMember.objects.select_related("user").get(organization=organization, pk=pk)


def staff_member_for_user(*, organization: Organization, user: User) -> StaffMember | None:
    return StaffMember.objects.filter(organization=organization, user=user, archived_at__isnull=True).first()


def audit_event_list(*, organization: Organization) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(organization=organization).select_related("actor")
