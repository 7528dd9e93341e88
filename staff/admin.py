"""Support staff's view of organisations and people. Read-mostly: changes go through the product (and
its services and audit log); only user accounts can be edited here (lock-outs, support access)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import AuditEvent, Invitation, Membership, Organization, StaffMember, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class TenantReadOnlyAdmin(ReadOnlyAdmin):
    """Tenant-owned rows: read through the deliberate cross-tenant door, not the scoped manager."""

    list_select_related = ("organization",)

    def get_queryset(self, request):
        queryset = self.model.all_organizations.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes = {}


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)
        field_classes = {}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name")
    ordering = ("email",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: staff records and audit rows point at users


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("name", "slug", "timezone", "is_active", "created_at")
    list_filter = ("is_active", "timezone")
    search_fields = ("name", "slug")
    ordering = ("name",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role",)
    list_select_related = ("user", "organization")
    search_fields = ("user__email", "organization__name", "organization__slug")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    # The token is a secret that logs someone in: never shown.
    fields = ("organization", "email", "role", "invited_by", "created_at", "expires_at", "accepted_at")
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("role",)
    list_select_related = ("organization", "invited_by")
    search_fields = ("email", "organization__name")


@admin.register(StaffMember)
class StaffMemberAdmin(TenantReadOnlyAdmin):
    list_display = ("full_name", "organization", "employee_code", "date_of_birth", "is_active", "archived_at")
    list_filter = ("is_active", ("archived_at", admin.EmptyFieldListFilter))
    list_select_related = ("organization", "user")
    search_fields = (
        "first_name",
        "middle_names",
        "last_name",
        "email",
        "employee_code",
        "organization__slug",
    )
    ordering = ("organization__name", "last_name", "first_name")


@admin.register(AuditEvent)
class AuditEventAdmin(TenantReadOnlyAdmin):
    list_display = ("created_at", "organization", "actor", "action", "summary")
    list_filter = ("action",)
    list_select_related = ("organization", "actor")
    search_fields = ("action", "summary", "organization__slug", "actor__email")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
