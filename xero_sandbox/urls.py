"""Mounted at /xero-sandbox/ when XERO_SANDBOX is on. Below each prefix the paths are exactly Xero's:

login/identity/connect/authorize            (XERO_LOGIN_URL    = <site>/xero-sandbox/login)
identity/connect/token, /connect/revocation (XERO_IDENTITY_URL = <site>/xero-sandbox/identity)
api/connections, api/payroll.xro/1.0/...    (XERO_API_URL      = <site>/xero-sandbox/api)
"""

from django.urls import include, path

app_name = "xero_sandbox"
urlpatterns = [
    path("login/", include("xero_sandbox.identity.urls_login")),
    path("identity/", include("xero_sandbox.identity.urls_identity")),
    path("api/", include("xero_sandbox.identity.urls_connections")),
    path("api/payroll.xro/1.0/", include("xero_sandbox.payroll.urls")),
    path("control/", include("xero_sandbox.control.urls")),
]
