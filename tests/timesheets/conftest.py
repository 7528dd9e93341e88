"""Timesheet fixtures: a frozen "now" in Sydney, a staff member with a login, and entry helpers.

"Now" is Wednesday 4 March 2026, 10:00 am in Sydney (AEDT, UTC+11): the week is Mon 2 to Sun 8 Mar.
"""

import datetime
import zoneinfo

import pytest

from staff.models import StaffMember
from tests.factories import StaffMemberFactory, TimeEntryFactory
from timesheets.models import TimeEntry

SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
NOW = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=SYDNEY)
TODAY = NOW.date()
MONDAY = datetime.date(2026, 3, 2)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """Wall-clock time in Sydney (first occurrence in the repeated hour)."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SYDNEY)


def make_entry(
    staff_member: StaffMember,
    day: datetime.date,
    start: tuple[int, int] = (9, 0),
    end: tuple[int, int] | None = (17, 0),
    *,
    break_minutes: int = 30,
    status: str = TimeEntry.Status.DRAFT,
    pushed_at: datetime.datetime | None = None,
) -> TimeEntry:
    start_at = at(day, *start)
    end_at = at(day, *end) if end is not None else None
    minutes = 0
    if end_at is not None:
        minutes = int(
            (end_at.astimezone(datetime.UTC) - start_at.astimezone(datetime.UTC)).total_seconds() // 60
        )
        minutes -= break_minutes
    return TimeEntryFactory(
        staff_member=staff_member,
        work_date=day,
        start_at=start_at,
        end_at=end_at,
        break_minutes=break_minutes if end_at else 0,
        minutes=minutes,
        status=status,
        pushed_at=pushed_at,
    )


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def person(staff_login) -> StaffMember:
    """The staff record of the logged-in staff-role user (``staff_client``)."""
    return StaffMember.all_organizations.get(user=staff_login.user)


@pytest.fixture
def colleague(organization) -> StaffMember:
    """Another staff member of the same organisation, without a login."""
    return StaffMemberFactory(organization=organization, first_name="Casey", last_name="Nguyen")
