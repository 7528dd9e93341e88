"""Every write to organisations, memberships, invitations and staff records."""

import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy import organization_scope

from .models import AuditEvent, Invitation, Membership, Organization, Role, StaffMember, User
from .validation import clean_date_of_birth, clean_person_name

INVITATION_LIFETIME = timedelta(days=14)
RESERVED_SLUGS = {"new", "admin", "accounts", "static", "o", "api", "xero", "integrations"}


def audit_record(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    target: Any = None,
    summary: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one row to the organisation's audit log (call inside the action's transaction)."""
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        summary=summary[:255],
        data=data or {},
    )


def organization_slug_suggest(*, name: str) -> str:
    base = slugify(name)[:40] or "organisation"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organization_create(*, name: str, slug: str, timezone_name: str, created_by: User) -> Organization:
    if slug in RESERVED_SLUGS:
        raise ApplicationError(f"The address '{slug}' is reserved. Choose another.")
    try:
        with transaction.atomic():
            organization = Organization.objects.create(name=name.strip(), slug=slug, timezone=timezone_name)
    except IntegrityError as exc:
        raise ApplicationError(f"The address '{slug}' is already taken. Choose another.") from exc
    Membership.objects.create(user=created_by, organization=organization, role=Role.ADMIN)
    with organization_scope(organization):
        audit_record(
            organization=organization,
            actor=created_by,
            action="organization.created",
            target=organization,
            summary=f"Created {organization.name}",
        )
    return organization


@transaction.atomic
def user_signup(*, email: str, password: str, full_name: str = "") -> User:
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError("An account with this email address already exists. Log in instead.")
    return User.objects.create_user(email=email, password=password, full_name=full_name.strip())


@transaction.atomic
def organization_update(
    *, organization: Organization, actor: User, name: str, timezone_name: str
) -> Organization:
    organization.name = name.strip()
    organization.timezone = timezone_name
    organization.full_clean()
    organization.save(update_fields=["name", "timezone", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="organization.updated",
        target=organization,
        summary=f"Settings changed: {organization.name}, {organization.timezone}",
    )
    return organization


def _admins_left(organization: Organization, *, excluding: Membership) -> int:
    return (
        Membership.objects.filter(organization=organization, role=Role.ADMIN).exclude(pk=excluding.pk).count()
    )


@transaction.atomic
def membership_update_role(
    *, organization: Organization, actor: User, membership: Membership, role: str
) -> Membership:
    if membership.organization_id != organization.pk:
        raise Membership.DoesNotExist
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and _admins_left(organization, excluding=membership) == 0
    ):
        raise ApplicationError("An organisation needs at least one admin.")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="membership.role_changed",
        target=membership,
        summary=f"{membership.user.email}: {old} -> {role}",
    )
    return membership


@transaction.atomic
def membership_remove(*, organization: Organization, actor: User, membership: Membership) -> None:
    if membership.organization_id != organization.pk:
        raise Membership.DoesNotExist
    if membership.role == Role.ADMIN and _admins_left(organization, excluding=membership) == 0:
        raise ApplicationError("You cannot remove the last admin.")
    audit_record(
        organization=organization,
        actor=actor,
        action="membership.removed",
        target=membership,
        summary=f"Removed {membership.user.email}",
    )
    membership.delete()


@transaction.atomic
def member_invite(
    *, organization: Organization, actor: User, email: str, role: str
) -> Invitation | Membership:
    """Add an existing user straight away; otherwise create an invitation to accept by link."""
    email = email.strip().lower()
    existing_user = User.objects.filter(email__iexact=email).first()
    if existing_user is not None:
        if Membership.objects.filter(organization=organization, user=existing_user).exists():
            raise ApplicationError(f"{email} is already a member.")
        membership = Membership.objects.create(organization=organization, user=existing_user, role=role)
        audit_record(
            organization=organization,
            actor=actor,
            action="membership.added",
            target=membership,
            summary=f"Added {email} as {role}",
        )
        return membership
    Invitation.objects.filter(organization=organization, email=email, accepted_at__isnull=True).delete()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="invitation.created",
        target=invitation,
        summary=f"Invited {email} as {role}",
    )
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ApplicationError("This invitation has expired or was already used. Ask for a new one.")
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    with organization_scope(invitation.organization):
        audit_record(
            organization=invitation.organization,
            actor=user,
            action="invitation.accepted",
            target=membership,
            summary=f"{user.email} joined as {membership.role}",
        )
    return membership


STAFF_FIELDS = (
    "first_name",
    "middle_names",
    "last_name",
    "date_of_birth",
    "email",
    "employee_code",
    "start_date",
    "is_active",
    "user",
)


def _staff_member_validate(*, organization: Organization, values: dict, instance: StaffMember | None) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(values)
    for field, label, required in (
        ("first_name", "First name", True),
        ("middle_names", "Middle name(s)", False),
        ("last_name", "Last name", True),
    ):
        try:
            cleaned[field] = clean_person_name(values.get(field), label=label, required=required)
        except ValidationError as exc:
            errors[field] = exc.messages
    try:
        cleaned["date_of_birth"] = clean_date_of_birth(
            values.get("date_of_birth"), today=organization.today()
        )
    except ValidationError as exc:
        errors["date_of_birth"] = exc.messages
    code = (values.get("employee_code") or "").strip()
    cleaned["employee_code"] = code
    if code:
        clash = StaffMember.objects.filter(organization=organization, employee_code=code)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["employee_code"] = [f"Employee code {code} is already used by someone else."]
    user = values.get("user")
    if user is not None:
        if not Membership.objects.filter(organization=organization, user=user).exists():
            errors["user"] = ["That login is not a member of this organisation."]
        else:
            clash = StaffMember.objects.filter(organization=organization, user=user)
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors["user"] = ["That login is already linked to another staff member."]
    cleaned["email"] = (values.get("email") or "").strip().lower()
    if errors:
        raise ApplicationError("Please correct the highlighted fields.", extra={"fields": errors})
    return cleaned


@transaction.atomic
def staff_member_create(*, organization: Organization, actor: User | None, **values) -> StaffMember:
    cleaned = _staff_member_validate(organization=organization, values=values, instance=None)
    member = StaffMember.objects.create(
        organization=organization, **{k: v for k, v in cleaned.items() if k in STAFF_FIELDS}
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="staff_member.created",
        target=member,
        summary=f"Added {member.full_name}",
    )
    return member


@transaction.atomic
def staff_member_update(
    *, organization: Organization, actor: User, staff_member: StaffMember, **values
) -> StaffMember:
    if staff_member.organization_id != organization.pk:
        raise StaffMember.DoesNotExist
    merged = {field: getattr(staff_member, field) for field in STAFF_FIELDS} | values
    cleaned = _staff_member_validate(organization=organization, values=merged, instance=staff_member)
    changed = [f for f in STAFF_FIELDS if getattr(staff_member, f) != cleaned[f]]
    for field in changed:
        setattr(staff_member, field, cleaned[field])
    if changed:
        staff_member.save(update_fields=[*changed, "updated_at"])
        audit_record(
            organization=organization,
            actor=actor,
            action="staff_member.updated",
            target=staff_member,
            summary=f"Changed {', '.join(changed)} of {staff_member.full_name}",
        )
    return staff_member


@transaction.atomic
def staff_member_archive(
    *, organization: Organization, actor: User, staff_member: StaffMember
) -> StaffMember:
    if staff_member.organization_id != organization.pk:
        raise StaffMember.DoesNotExist
    staff_member.archived_at = timezone.now()
    staff_member.is_active = False
    staff_member.save(update_fields=["archived_at", "is_active", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="staff_member.archived",
        target=staff_member,
        summary=f"Archived {staff_member.full_name}",
    )
    return staff_member


@transaction.atomic
def staff_member_restore(
    *, organization: Organization, actor: User, staff_member: StaffMember
) -> StaffMember:
    if staff_member.organization_id != organization.pk:
        raise StaffMember.DoesNotExist
    staff_member.archived_at = None
    staff_member.is_active = True
    staff_member.save(update_fields=["archived_at", "is_active", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        action="staff_member.restored",
        target=staff_member,
        summary=f"Restored {staff_member.full_name}",
    )
    return staff_member
