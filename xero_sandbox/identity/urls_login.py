"""Mounted at /xero-sandbox/login/ (XERO_LOGIN_URL): Xero's login.xero.com paths."""

from django.urls import path

from . import views_login

urlpatterns = [
    path("identity/connect/authorize", views_login.authorize, name="authorize"),
    path("identity/user/login", views_login.login, name="login"),
    path("identity/user/logout", views_login.logout, name="logout"),
]
