from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("settings/integrations/", views.xero_settings, name="xero_settings"),
    path("timesheets/payroll/", views.payroll, name="payroll"),
]
