from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.decorators.http import require_http_methods
from django.views.generic import RedirectView

from integrations.views.xero import xero_callback
from staff.views import accounts

from . import views

handler500 = "timeclamp.views.server_error"

admin.site.site_header = "Timeclamp support"
admin.site.site_title = "Timeclamp support"

# Everything a member does lives under o/<org_slug>/: OrganizationMiddleware checks membership and
# scopes the request, and tests/tenancy/test_isolation.py sweeps every pattern here.
organization_patterns = [
    path("", accounts.dashboard, name="dashboard"),
    path("settings/", accounts.organization_settings, name="organization_settings"),
    path("settings/members/", include("staff.urls_members")),
    path("staff/", include("staff.urls")),
    path("", include("integrations.urls")),  # before timesheets: timesheets/payroll/ is $Payroll
    path("timesheets/", include("timesheets.urls")),
]

# Django's form views also take PUT as a POST, and LoginView redirects a signed-in caller before it
# looks at the method: these answer only what a browser sends, 405 otherwise, before anything else.
form_methods = require_http_methods(["GET", "HEAD", "POST"])

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("favicon.ico", login_not_required(RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg"))),
    path("accounts/signup/", accounts.signup, name="signup"),
    path(
        "accounts/login/",
        form_methods(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        form_methods(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        form_methods(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("invite/<str:token>/", accounts.invitation_detail, name="invitation"),
    path("o/new/", accounts.organization_new, name="organization_new"),
    # Xero redirect URIs are registered exactly: one global callback; the state names the organisation.
    path("integrations/xero/callback/", xero_callback, name="xero_callback"),
    path("o/<slug:org_slug>/", include(organization_patterns)),
    path("admin/", admin.site.urls),
]

if settings.XERO_SANDBOX:  # a string include: product code never imports the sandbox
    urlpatterns.append(path("xero-sandbox/", include("xero_sandbox.urls")))
