"""Timesheet pages: one person's week, the team's period, and the entry actions.

Thin FBVs: role decorator -> selector lookups (missing and not-yours are the same 404) -> form ->
service -> redirect with a message. Everything works without JavaScript; with htmx the add and edit
forms open inline inside the day they belong to.
"""

from .actions import clock, entries_approve, submit
from .entries import entry_create, entry_delete, entry_edit, entry_reopen
from .team import timesheet_team
from .week import staff_week, timesheet_week

__all__ = [
    "clock",
    "entries_approve",
    "entry_create",
    "entry_delete",
    "entry_edit",
    "entry_reopen",
    "staff_week",
    "submit",
    "timesheet_team",
    "timesheet_week",
]
