"""Mounted at /xero-sandbox/identity/ (XERO_IDENTITY_URL): Xero's identity.xero.com paths."""

from django.urls import path

from . import views_identity

urlpatterns = [
    path("connect/token", views_identity.token, name="token"),
    path("connect/revocation", views_identity.revocation, name="revocation"),
    path("connect/userinfo", views_identity.userinfo, name="userinfo"),
    path(
        ".well-known/openid-configuration", views_identity.openid_configuration, name="openid_configuration"
    ),
    path(".well-known/openid-configuration/jwks", views_identity.jwks, name="jwks"),
]
