"""Mounted at /xero-sandbox/control/ (see views.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.control_page, name="control"),
    path("log", views.control_log, name="control-log"),
    path("api", views.control_api, name="control-api"),
]
