from django.urls import path

from . import views

app_name = "timesheets"
urlpatterns = [
    path("", views.timesheet_week, name="week"),
    path("team/", views.timesheet_team, name="team"),
]
