"""Mounted at /xero-sandbox/api/ (XERO_API_URL): Xero's api.xero.com connections paths.

The spec spells them /Connections; clients use /connections. Both are served."""

from django.urls import path

from . import views_connections

urlpatterns = [
    path("connections", views_connections.connections, name="connections"),
    path("Connections", views_connections.connections),
    path("connections/<uuid:connection_id>", views_connections.connection, name="connection"),
    path("Connections/<uuid:connection_id>", views_connections.connection),
]
