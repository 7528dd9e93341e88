"""Every write to time entries: record, change, delete, clock in/out, submit, approve, reopen, and
marking approved hours as sent to Xero Payroll (called by the payroll push in integrations).

Each action is one transaction that checks who is acting, validates, writes, and appends an audit row.
Staff may act on their own staff record only (StaffMember.user); managers and admins on anyone's.
"Not yours" raises the same DoesNotExist as "missing", so views turn both into one 404.

Times arrive as a calendar date and wall-clock times in the organisation's time zone and are stored
as aware UTC datetimes; durations are computed in UTC so daylight-saving days come out right.
"""

from ._common import TimeEntryInvalid, TimesheetLocked, TimesheetPermissionDenied
from .entries import (
    time_entry_clock_in,
    time_entry_clock_out,
    time_entry_create,
    time_entry_delete,
    time_entry_update,
)
from .workflow import (
    ApprovalResult,
    SubmitResult,
    time_entries_approve,
    time_entries_mark_pushed,
    time_entries_submit,
    time_entry_reopen,
)

__all__ = [
    "ApprovalResult",
    "SubmitResult",
    "TimeEntryInvalid",
    "TimesheetLocked",
    "TimesheetPermissionDenied",
    "time_entries_approve",
    "time_entries_mark_pushed",
    "time_entries_submit",
    "time_entry_clock_in",
    "time_entry_clock_out",
    "time_entry_create",
    "time_entry_delete",
    "time_entry_reopen",
    "time_entry_update",
]
