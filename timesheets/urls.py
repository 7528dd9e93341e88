from django.urls import path

from . import views

# Id parameters name their kind (staff_member_id, entry_id): tests/tenancy/test_isolation.py builds
# another organisation's objects by parameter name and proves each URL 404s for them.
# Not "payroll/": timesheets/payroll/ is the $Payroll page of the integrations app.
app_name = "timesheets"
urlpatterns = [
    path("", views.timesheet_week, name="week"),
    path("team/", views.timesheet_team, name="team"),
    path("staff/<int:staff_member_id>/", views.staff_week, name="staff_week"),
    path("staff/<int:staff_member_id>/entries/add/", views.entry_create, name="entry_create"),
    path("entries/<int:entry_id>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:entry_id>/delete/", views.entry_delete, name="entry_delete"),
    path("entries/<int:entry_id>/reopen/", views.entry_reopen, name="entry_reopen"),
    path("entries/approve/", views.entries_approve, name="approve"),
    path("clock/", views.clock, name="clock"),
    path("submit/", views.submit, name="submit"),
]
