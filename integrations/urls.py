from django.urls import path

from .views import payroll, xero

app_name = "integrations"
urlpatterns = [
    path("settings/integrations/", xero.xero_settings, name="xero_settings"),
    path("settings/integrations/xero/connect/", xero.xero_connect, name="xero_connect"),
    path("settings/integrations/xero/choose/", xero.xero_choose, name="xero_choose"),
    path("settings/integrations/xero/disconnect/", xero.xero_disconnect_view, name="xero_disconnect"),
    path("timesheets/payroll/", payroll.payroll, name="payroll"),
]
