"""Payroll AU v1, mounted at /xero-sandbox/api/payroll.xro/1.0/ (paths exactly as Xero's)."""

from django.urls import path

from . import views

urlpatterns = [
    path("Employees", views.employees, name="payroll-employees"),
    path("Employees/<str:employee_id>", views.employee, name="payroll-employee"),
    path("PayrollCalendars", views.payroll_calendars, name="payroll-calendars"),
    path("PayrollCalendars/<str:calendar_id>", views.payroll_calendar, name="payroll-calendar"),
    path("PayItems", views.pay_items, name="payroll-pay-items"),
    path("Settings", views.payroll_settings, name="payroll-settings"),
    path("Timesheets", views.timesheets, name="payroll-timesheets"),
    path("Timesheets/<str:timesheet_id>", views.timesheet, name="payroll-timesheet"),
]
