"""Support's read-only window onto time entries. Changes go through the app (services + audit log),
never through the admin: approved hours may already be in payroll."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .formatting import format_minutes
from .models import TimeEntry, TimeEntryReopening


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class TimeEntryReopeningInline(admin.TabularInline):
    model = TimeEntryReopening
    fields = ("created_at", "reopened_by", "reason", "entry_pushed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return TimeEntryReopening.all_organizations.select_related("reopened_by")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "staff_member",
        "work_date",
        "start_at",
        "end_at",
        "hours",
        "status",
        "pushed_at",
    )
    list_filter = ("status", "work_date", "organization")
    list_select_related = ("organization", "staff_member")
    search_fields = (
        "staff_member__first_name",
        "staff_member__last_name",
        "staff_member__employee_code",
        "notes",
    )
    date_hierarchy = "work_date"
    ordering = ("-work_date", "-start_at")
    inlines = [TimeEntryReopeningInline]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[TimeEntry]:
        return TimeEntry.all_organizations.select_related("organization", "staff_member", "approved_by")

    @admin.display(description="hours", ordering="minutes")
    def hours(self, obj: TimeEntry) -> str:
        return "clocked in" if obj.is_open else format_minutes(obj.minutes)


@admin.register(TimeEntryReopening)
class TimeEntryReopeningAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "organization",
        "time_entry",
        "reopened_by",
        "created_at",
        "entry_pushed_at",
        "reason",
    )
    list_filter = ("organization",)
    list_select_related = ("organization", "time_entry", "reopened_by")
    search_fields = ("reason",)
    ordering = ("-created_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TimeEntryReopening]:
        return TimeEntryReopening.all_organizations.select_related(
            "organization", "time_entry", "reopened_by"
        )
