"""Sandbox rows -> Xero Payroll AU v1 JSON shapes (schemas in xero-payroll-au.yaml).

Like Xero's .NET serializer, empty optional fields are left out rather than sent as null.
"""

import uuid
from decimal import Decimal

from xero_sandbox.models import EarningsRate, Employee, Organisation, PayrollCalendar, Timesheet

from .xerojson import ms_date, ms_datetime


def _compact(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, "")}


def _number(value) -> float | int:
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def employee_json(employee: Employee, *, detail: bool = False) -> dict:
    """The list endpoint returns a summary; nested data (PayTemplate ...) only comes from
    GET /Employees/{id} (Xero staff, notes §2.2)."""
    data = _compact(
        {
            "EmployeeID": str(employee.employee_id),
            "Title": employee.title,
            "FirstName": employee.first_name,
            "MiddleNames": employee.middle_names,
            "LastName": employee.last_name,
            "Status": employee.status,
            "Email": employee.email,
            "DateOfBirth": ms_date(employee.date_of_birth),
            "Gender": employee.gender,
            "StartDate": ms_date(employee.start_date),
            "TerminationDate": ms_date(employee.termination_date),
            "OrdinaryEarningsRateID": str(employee.ordinary_earnings_rate.earnings_rate_id)
            if employee.ordinary_earnings_rate_id
            else None,
            "PayrollCalendarID": str(employee.payroll_calendar.calendar_id)
            if employee.payroll_calendar_id
            else None,
            "UpdatedDateUTC": ms_datetime(employee.updated_at),
        }
    )
    data["IsSTP2Qualified"] = False
    if detail:
        earnings_lines = []
        if employee.ordinary_earnings_rate_id:
            earnings_lines.append(
                {
                    "EarningsRateID": str(employee.ordinary_earnings_rate.earnings_rate_id),
                    "CalculationType": "USEEARNINGSRATE",
                    "NumberOfUnitsPerWeek": 38,
                }
            )
        data["PayTemplate"] = {
            "EarningsLines": earnings_lines,
            "DeductionLines": [],
            "SuperLines": [],
            "ReimbursementLines": [],
            "LeaveLines": [],
        }
        data["BankAccounts"] = []
        data["SuperMemberships"] = []
        data["LeaveBalances"] = []
    return data


def calendar_json(calendar: PayrollCalendar) -> dict:
    return _compact(
        {
            "PayrollCalendarID": str(calendar.calendar_id),
            "Name": calendar.name,
            "CalendarType": calendar.calendar_type,
            "StartDate": ms_date(calendar.start_date),
            "PaymentDate": ms_date(calendar.payment_date),
            "UpdatedDateUTC": ms_datetime(calendar.updated_at),
            "ReferenceDate": ms_date(calendar.reference_date),
        }
    )


def earnings_rate_json(rate: EarningsRate) -> dict:
    exempt_from_super = rate.earnings_type == "OVERTIMEEARNINGS"
    data = {
        "EarningsRateID": str(rate.earnings_rate_id),
        "Name": rate.name,
        "EarningsType": rate.earnings_type,
        "RateType": rate.rate_type,
        "AccountCode": "477",
        "TypeOfUnits": rate.type_of_units if rate.rate_type == "RATEPERUNIT" else None,
        # RatePerUnit is a *string* in the spec.
        "RatePerUnit": str(_number(rate.rate_per_unit)) if rate.rate_per_unit is not None else None,
        "Multiplier": _number(rate.multiplier) if rate.multiplier is not None else None,
        "IsExemptFromTax": False,
        "IsExemptFromSuper": exempt_from_super,
        "IsReportableAsW1": False,
        "IsQualifyingEarnings": rate.earnings_type == "ORDINARYTIMEEARNINGS",
        "AllowanceContributesToAnnualLeaveRate": False,
        "AllowanceContributesToOvertimeRate": False,
        "UpdatedDateUTC": ms_datetime(rate.updated_at),
        "CurrentRecord": rate.current_record,
    }
    return _compact(data)


def timesheet_json(timesheet: Timesheet) -> dict:
    updated = ms_datetime(timesheet.updated_at)
    lines = []
    for line in timesheet.lines or []:
        lines.append(
            _compact(
                {
                    "EarningsRateID": line.get("EarningsRateID"),
                    "TrackingItemID": line.get("TrackingItemID"),
                    "NumberOfUnits": [_number(u) for u in line.get("NumberOfUnits", [])],
                    "UpdatedDateUTC": updated,
                }
            )
        )
    return {
        "TimesheetID": str(timesheet.timesheet_id),
        "EmployeeID": str(timesheet.employee.employee_id),
        "StartDate": ms_date(timesheet.start_date),
        "EndDate": ms_date(timesheet.end_date),
        "Status": timesheet.status,
        "Hours": _number(timesheet.hours),
        "TimesheetLines": lines,
        "UpdatedDateUTC": updated,
    }


_SETTINGS_NS = uuid.UUID("5d3c0b5e-6a57-4c43-9a3a-0f2f1d0f5e10")


def settings_json(organisation: Organisation) -> dict:
    """Payroll settings. The sandbox has no accounting side: accounts and the two tracking
    categories are fixed per organisation (stable ids derived from the tenant id)."""

    def sid(name: str) -> str:
        return str(uuid.uuid5(_SETTINGS_NS, f"{organisation.tenant_id}:{name}"))

    accounts = [
        ("BANK", "090", "Business Bank Account"),
        ("WAGESPAYABLELIABILITY", "804", "Wages Payable - Payroll"),
        ("PAYGLIABILITY", "825", "PAYG Withholdings Payable"),
        ("SUPERANNUATIONEXPENSE", "478", "Superannuation"),
        ("SUPERANNUATIONLIABILITY", "826", "Superannuation Payable"),
        ("WAGESEXPENSE", "477", "Wages and Salaries"),
    ]
    return {
        "Accounts": [
            {"AccountID": sid(f"account:{code}"), "Type": kind, "Code": code, "Name": name}
            for kind, code, name in accounts
        ],
        "TrackingCategories": {
            "EmployeeGroups": {
                "TrackingCategoryID": sid("tracking:employee"),
                "TrackingCategoryName": "Team",
            },
            "TimesheetCategories": {
                "TrackingCategoryID": sid("tracking:timesheet"),
                "TrackingCategoryName": "Location",
            },
        },
        "DaysInPayrollYear": 365,
        "EmployeesAreSTP2": True,
    }
