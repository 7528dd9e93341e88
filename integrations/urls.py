from django.urls import path

from .views import matching, payroll, xero

app_name = "integrations"
urlpatterns = [
    path("settings/integrations/", xero.xero_settings, name="xero_settings"),
    path("settings/integrations/xero/connect/", xero.xero_connect, name="xero_connect"),
    path("settings/integrations/xero/choose/", xero.xero_choose, name="xero_choose"),
    path("settings/integrations/xero/disconnect/", xero.xero_disconnect_view, name="xero_disconnect"),
    path("settings/integrations/staff-matching/", matching.staff_matching, name="staff_matching"),
    path(
        "settings/integrations/staff-matching/progress/",
        matching.staff_matching_progress,
        name="staff_matching_progress",
    ),
    path(
        "settings/integrations/staff-matching/recheck/",
        matching.staff_matching_recheck,
        name="staff_matching_recheck",
    ),
    path(
        "settings/integrations/staff-matching/<int:staff_member_id>/link/",
        matching.staff_matching_link,
        name="staff_matching_link",
    ),
    path(
        "settings/integrations/staff-matching/<int:staff_member_id>/unlink/",
        matching.staff_matching_unlink,
        name="staff_matching_unlink",
    ),
    path(
        "settings/integrations/staff-matching/<int:staff_member_id>/exclude/",
        matching.staff_matching_exclude,
        name="staff_matching_exclude",
    ),
    path(
        "settings/integrations/staff-matching/<int:staff_member_id>/create-in-xero/",
        matching.staff_matching_create,
        name="staff_matching_create",
    ),
    path("settings/integrations/payroll/", payroll.payroll_settings_view, name="payroll_settings"),
    path("timesheets/payroll/", payroll.payroll, name="payroll"),
    path(
        "timesheets/payroll/calendars/refresh/",
        payroll.payroll_calendars_refresh_view,
        name="payroll_calendars_refresh",
    ),
    path("timesheets/payroll/push/", payroll.payroll_push_create, name="payroll_push_create"),
    path("timesheets/payroll/pushes/<int:push_id>/", payroll.payroll_push_detail, name="payroll_push"),
    path(
        "timesheets/payroll/pushes/<int:push_id>/retry/",
        payroll.payroll_push_retry,
        name="payroll_push_retry",
    ),
]
