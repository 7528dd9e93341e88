"""Support staff's read-only view of Xero connections, matching and pushes. Tokens are never shown."""

from django.contrib import admin

from staff.admin import TenantReadOnlyAdmin

from .models import PayrollPush, PayrollPushItem, StaffXeroLink, XeroConnection, XeroEmployee, XeroSyncRun


@admin.register(XeroConnection)
class XeroConnectionAdmin(TenantReadOnlyAdmin):
    list_display = (
        "organization",
        "status",
        "tenant_name",
        "connected_at",
        "last_refreshed_at",
        "last_api_success_at",
    )
    list_filter = ("status",)
    search_fields = ("organization__name", "tenant_name", "tenant_id")
    # Tokens never appear here: only what support needs to diagnose a connection.
    fields = (
        "organization",
        "status",
        "tenant_name",
        "tenant_id",
        "connection_id",
        "scopes",
        "xero_user_email",
        "connected_by",
        "connected_at",
        "access_token_expires_at",
        "refresh_token_issued_at",
        "last_refreshed_at",
        "last_api_success_at",
        "last_health_check_at",
        "problem",
        "problem_since",
    )


@admin.register(XeroEmployee)
class XeroEmployeeAdmin(TenantReadOnlyAdmin):
    list_display = ("__str__", "organization", "date_of_birth", "status", "payroll_calendar_id", "removed_at")
    list_filter = ("status",)
    search_fields = ("first_name", "last_name", "employee_id")


@admin.register(StaffXeroLink)
class StaffXeroLinkAdmin(TenantReadOnlyAdmin):
    list_display = ("staff_member", "xero_employee", "kind", "organization", "created_at")
    list_filter = ("kind",)


@admin.register(XeroSyncRun)
class XeroSyncRunAdmin(TenantReadOnlyAdmin):
    list_display = ("organization", "status", "full", "employees_read", "calls", "started_at", "finished_at")
    list_filter = ("status",)


class PayrollPushItemInline(admin.TabularInline):
    model = PayrollPushItem
    fields = ("staff_member", "action", "status", "xero_timesheet_id", "xero_message", "attempts")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return PayrollPushItem.all_organizations.select_related("staff_member")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PayrollPush)
class PayrollPushAdmin(TenantReadOnlyAdmin):
    list_display = (
        "pk",
        "organization",
        "calendar_name",
        "period_start",
        "status",
        "sent",
        "updated",
        "failed",
        "xero_calls",
        "created_at",
    )
    list_filter = ("status",)
    inlines = [PayrollPushItemInline]
