"""Demo data for `make run` (``manage.py seed_demo``): plain data and pure functions, no side effects.

Everything here is deterministic: the same ``today`` always gives the same shifts, so the Xero
sandbox can mirror ``DEMO_STAFF`` as Xero employees (with deliberate differences) and tests can rely
on it. Nothing in this module touches the database; ``staff/management/commands/seed_demo.py`` does.
"""

import datetime
import hashlib
import zoneinfo
from dataclasses import dataclass

# A fixed, documented password for the local demo logins (the command refuses to run with DEBUG off
# unless forced). Never use it anywhere else.
DEMO_PASSWORD = "timeclamp-demo"  # noqa: S105 - public demo password, printed by the command

DEMO_ORGANIZATION = {"name": "Demo Cafe Pty Ltd", "slug": "demo-cafe", "timezone": "Australia/Sydney"}
DEMO_SECOND_ORGANIZATION = {
    "name": "Harbour Bakery",
    "slug": "harbour-bakery",
    "timezone": "Australia/Sydney",
}

# Logins. ``memberships`` maps organisation slug -> role (staff.models.Role values).
DEMO_USERS = [
    {
        "email": "admin@demo-cafe.test",
        "full_name": "Hannah Brooks",
        "memberships": {"demo-cafe": "admin", "harbour-bakery": "admin"},
    },
    {
        "email": "manager@demo-cafe.test",
        "full_name": "Daniel Costa",
        "memberships": {"demo-cafe": "manager"},
    },
    {
        "email": "staff@demo-cafe.test",
        "full_name": "Liam Thompson",
        "memberships": {"demo-cafe": "staff"},
    },
]
DEMO_ADMIN_EMAIL = "admin@demo-cafe.test"
DEMO_MANAGER_EMAIL = "manager@demo-cafe.test"
DEMO_STAFF_LOGIN_EMAIL = "staff@demo-cafe.test"
# The staff login is linked to this staff record, so "my timesheet" has entries.
DEMO_STAFF_LOGIN_EMPLOYEE_CODE = "DC002"

# The 25 people Demo Cafe pays. Keys are StaffMember field names. Keep the order and values stable:
# the Xero sandbox mirrors this list.
DEMO_STAFF: list[dict] = [
    {
        "employee_code": "DC001",
        "first_name": "Charlotte",
        "middle_names": "Anne",
        "last_name": "Mitchell",
        "date_of_birth": datetime.date(1988, 4, 12),
        "email": "charlotte.mitchell@example.com",
        "start_date": datetime.date(2019, 2, 4),
    },
    {
        "employee_code": "DC002",
        "first_name": "Liam",
        "middle_names": "",
        "last_name": "Thompson",
        "date_of_birth": datetime.date(1995, 9, 23),
        "email": "liam.thompson@example.com",
        "start_date": datetime.date(2021, 6, 14),
    },
    {
        "employee_code": "DC003",
        "first_name": "Mai",
        "middle_names": "Thi",
        "last_name": "Nguyen",
        "date_of_birth": datetime.date(1992, 11, 2),
        "email": "mai.nguyen@example.com",
        "start_date": datetime.date(2020, 3, 9),
    },
    {
        "employee_code": "DC004",
        "first_name": "Jack",
        "middle_names": "Robert",
        "last_name": "Wilson",
        "date_of_birth": datetime.date(1999, 1, 30),
        "email": "jack.wilson@example.com",
        "start_date": datetime.date(2022, 1, 10),
    },
    {
        "employee_code": "DC005",
        "first_name": "Aarav",
        "middle_names": "",
        "last_name": "Sharma",
        "date_of_birth": datetime.date(2001, 7, 17),
        "email": "aarav.sharma@example.com",
        "start_date": datetime.date(2023, 8, 21),
    },
    {
        "employee_code": "DC006",
        "first_name": "Sophie",
        "middle_names": "Kate",
        "last_name": "Taylor",
        "date_of_birth": datetime.date(1997, 5, 5),
        "email": "sophie.taylor@example.com",
        "start_date": datetime.date(2021, 11, 1),
    },
    {
        "employee_code": "DC007",
        "first_name": "Georgios",
        "middle_names": "",
        "last_name": "Papadopoulos",
        "date_of_birth": datetime.date(1975, 12, 19),
        "email": "georgios.papadopoulos@example.com",
        "start_date": datetime.date(2015, 3, 2),
    },
    {
        "employee_code": "DC008",
        "first_name": "Isabella",
        "middle_names": "",
        "last_name": "Rossi",
        "date_of_birth": datetime.date(2003, 2, 28),
        "email": "isabella.rossi@example.com",
        "start_date": datetime.date(2024, 2, 5),
    },
    {
        "employee_code": "DC009",
        "first_name": "Noah",
        "middle_names": "James",
        "last_name": "Anderson",
        "date_of_birth": datetime.date(1990, 8, 8),
        "email": "noah.anderson@example.com",
        "start_date": datetime.date(2018, 7, 23),
    },
    {
        "employee_code": "DC010",
        "first_name": "Chloe",
        "middle_names": "",
        "last_name": "Martin",
        "date_of_birth": datetime.date(2004, 10, 14),
        "email": "chloe.martin@example.com",
        "start_date": datetime.date(2024, 11, 25),
    },
    {
        "employee_code": "DC011",
        "first_name": "Wei",
        "middle_names": "",
        "last_name": "Zhang",
        "date_of_birth": datetime.date(1986, 3, 21),
        "email": "wei.zhang@example.com",
        "start_date": datetime.date(2017, 5, 15),
    },
    {
        "employee_code": "DC012",
        "first_name": "Ruby",
        "middle_names": "Grace",
        "last_name": "O'Brien",
        "date_of_birth": datetime.date(2000, 6, 3),
        "email": "ruby.obrien@example.com",
        "start_date": datetime.date(2022, 9, 12),
    },
    {
        "employee_code": "DC013",
        "first_name": "Oliver",
        "middle_names": "",
        "last_name": "Smith",
        "date_of_birth": datetime.date(1994, 1, 9),
        "email": "oliver.smith@example.com",
        "start_date": datetime.date(2020, 10, 5),
    },
    {
        "employee_code": "DC014",
        "first_name": "Zara",
        "middle_names": "",
        "last_name": "Haddad",
        "date_of_birth": datetime.date(1998, 12, 1),
        "email": "zara.haddad@example.com",
        "start_date": datetime.date(2023, 1, 16),
    },
    {
        "employee_code": "DC015",
        "first_name": "Matthew",
        "middle_names": "Paul",
        "last_name": "Kelly",
        "date_of_birth": datetime.date(1982, 4, 26),
        "email": "matthew.kelly@example.com",
        "start_date": datetime.date(2016, 8, 29),
    },
    {
        "employee_code": "DC016",
        "first_name": "Emily",
        "middle_names": "",
        "last_name": "Walker",
        "date_of_birth": datetime.date(2005, 3, 15),
        "email": "emily.walker@example.com",
        "start_date": datetime.date(2025, 1, 13),
    },
    {
        "employee_code": "DC017",
        "first_name": "Hamish",
        "middle_names": "",
        "last_name": "Campbell",
        "date_of_birth": datetime.date(1979, 9, 4),
        "email": "hamish.campbell@example.com",
        "start_date": datetime.date(2019, 9, 16),
    },
    {
        "employee_code": "DC018",
        "first_name": "Ananya",
        "middle_names": "",
        "last_name": "Iyer",
        "date_of_birth": datetime.date(2002, 8, 19),
        "email": "ananya.iyer@example.com",
        "start_date": datetime.date(2024, 4, 8),
    },
    {
        "employee_code": "DC019",
        "first_name": "Lachlan",
        "middle_names": "",
        "last_name": "Hughes",
        "date_of_birth": datetime.date(1996, 11, 27),
        "email": "lachlan.hughes@example.com",
        "start_date": datetime.date(2021, 3, 22),
    },
    {
        "employee_code": "DC020",
        "first_name": "Grace",
        "middle_names": "Ying",
        "last_name": "Chen",
        "date_of_birth": datetime.date(1991, 2, 14),
        "email": "grace.chen@example.com",
        "start_date": datetime.date(2019, 12, 2),
    },
    {
        "employee_code": "DC021",
        "first_name": "Thomas",
        "middle_names": "",
        "last_name": "White",
        "date_of_birth": datetime.date(2006, 5, 30),
        "email": "thomas.white@example.com",
        "start_date": datetime.date(2025, 6, 30),
    },
    {
        "employee_code": "DC022",
        "first_name": "Amelia",
        "middle_names": "Rose",
        "last_name": "Harris",
        "date_of_birth": datetime.date(1987, 7, 7),
        "email": "amelia.harris@example.com",
        "start_date": datetime.date(2018, 1, 29),
    },
    {
        "employee_code": "DC023",
        "first_name": "Sione",
        "middle_names": "",
        "last_name": "Tupou",
        "date_of_birth": datetime.date(1993, 10, 10),
        "email": "sione.tupou@example.com",
        "start_date": datetime.date(2022, 5, 2),
    },
    {
        "employee_code": "DC024",
        "first_name": "Lucy",
        "middle_names": "",
        "last_name": "Evans",
        "date_of_birth": datetime.date(1999, 4, 18),
        "email": "lucy.evans@example.com",
        "start_date": datetime.date(2023, 10, 9),
    },
    {
        "employee_code": "DC025",
        "first_name": "Ethan",
        "middle_names": "Michael",
        "last_name": "Brown",
        "date_of_birth": datetime.date(1984, 12, 24),
        "email": "ethan.brown@example.com",
        "start_date": datetime.date(2020, 2, 17),
    },
]

# Harbour Bakery is small: it exists so the organisation switcher has a second entry.
DEMO_SECOND_ORGANIZATION_STAFF: list[dict] = [
    {
        "employee_code": "HB001",
        "first_name": "Rosa",
        "middle_names": "",
        "last_name": "Esposito",
        "date_of_birth": datetime.date(1983, 6, 11),
        "email": "rosa.esposito@example.com",
        "start_date": datetime.date(2017, 4, 3),
    },
    {
        "employee_code": "HB002",
        "first_name": "Declan",
        "middle_names": "Patrick",
        "last_name": "Murphy",
        "date_of_birth": datetime.date(1998, 2, 2),
        "email": "declan.murphy@example.com",
        "start_date": datetime.date(2022, 7, 18),
    },
    {
        "employee_code": "HB003",
        "first_name": "Hiroshi",
        "middle_names": "",
        "last_name": "Tanaka",
        "date_of_birth": datetime.date(1990, 9, 29),
        "email": "hiroshi.tanaka@example.com",
        "start_date": datetime.date(2024, 3, 11),
    },
]


@dataclass(frozen=True, slots=True)
class Roster:
    """A regular shift pattern: weekdays are ``date.weekday()`` numbers (Monday is 0)."""

    weekdays: tuple[int, ...]
    start: datetime.time
    end: datetime.time
    break_minutes: int


ROSTERS: dict[str, Roster] = {
    "open": Roster((0, 1, 2, 3, 4), datetime.time(6, 0), datetime.time(14, 30), 30),
    "day": Roster((0, 1, 2, 3, 4), datetime.time(7, 0), datetime.time(15, 30), 30),
    "mid": Roster((1, 2, 3, 4, 5), datetime.time(9, 0), datetime.time(17, 30), 30),
    "close": Roster((2, 3, 4, 5, 6), datetime.time(11, 0), datetime.time(19, 30), 30),
    "kitchen": Roster((0, 1, 2, 3, 4), datetime.time(8, 0), datetime.time(16, 45), 45),
    "part_am": Roster((0, 2, 4), datetime.time(7, 0), datetime.time(12, 0), 0),
    "part_pm": Roster((3, 4, 5), datetime.time(12, 0), datetime.time(16, 0), 0),
    "weekend": Roster((5, 6), datetime.time(8, 0), datetime.time(14, 30), 30),
}

DEMO_ROSTER_BY_CODE: dict[str, str] = {
    "DC001": "open",
    "DC002": "day",
    "DC003": "day",
    "DC004": "mid",
    "DC005": "part_pm",
    "DC006": "close",
    "DC007": "kitchen",
    "DC008": "weekend",
    "DC009": "open",
    "DC010": "part_am",
    "DC011": "kitchen",
    "DC012": "mid",
    "DC013": "day",
    "DC014": "close",
    "DC015": "day",
    "DC016": "weekend",
    "DC017": "kitchen",
    "DC018": "part_am",
    "DC019": "open",
    "DC020": "mid",
    "DC021": "part_pm",
    "DC022": "day",
    "DC023": "close",
    "DC024": "weekend",
    "DC025": "kitchen",
}

DEMO_WEEKS = 3
# The two older weeks are approved. In the most recent week most entries are approved too (ready for
# $Payroll); these people's are still waiting, so the payroll preview has something to explain.
LAST_WEEK_SUBMITTED = frozenset({"DC004", "DC016"})
LAST_WEEK_DRAFT = frozenset({"DC020"})


@dataclass(frozen=True, slots=True)
class DemoShift:
    """One time entry to seed. Datetimes are aware, in the organisation's time zone."""

    employee_code: str
    work_date: datetime.date
    start_at: datetime.datetime
    end_at: datetime.datetime
    break_minutes: int
    minutes: int
    status: str  # timesheets.models.TimeEntry.Status value
    submitted_at: datetime.datetime | None
    approved_at: datetime.datetime | None


def demo_weeks(*, today: datetime.date, count: int = DEMO_WEEKS) -> list[datetime.date]:
    """Mondays of the last ``count`` complete Monday-Sunday weeks before ``today``, oldest first."""
    this_monday = today - datetime.timedelta(days=today.weekday())
    return [this_monday - datetime.timedelta(weeks=n) for n in range(count, 0, -1)]


def _pick(*parts: object) -> int:
    """A stable pseudo-random number for the given key (not for security; hash() is salted)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def worked_minutes(*, start_at: datetime.datetime, end_at: datetime.datetime, break_minutes: int) -> int:
    return int((end_at - start_at).total_seconds() // 60) - break_minutes


def demo_shifts(*, today: datetime.date, timezone_name: str = "Australia/Sydney") -> list[DemoShift]:
    """Three weeks of shifts for ``DEMO_STAFF``: the two older weeks approved, the most recent week
    approved except LAST_WEEK_SUBMITTED (submitted) and LAST_WEEK_DRAFT (draft). About one rostered day in seventeen is skipped (leave) and some shifts
    run 15 or 30 minutes over, so totals are not all identical."""
    tz = zoneinfo.ZoneInfo(timezone_name)
    weeks = demo_weeks(today=today)
    shifts = []
    for week_index, monday in enumerate(weeks):
        sunday = monday + datetime.timedelta(days=6)
        submitted_at = datetime.datetime.combine(sunday, datetime.time(20, 0), tzinfo=tz)
        approved_at = datetime.datetime.combine(
            sunday + datetime.timedelta(days=1), datetime.time(10, 0), tzinfo=tz
        )
        for person in DEMO_STAFF:
            code = person["employee_code"]
            roster = ROSTERS[DEMO_ROSTER_BY_CODE[code]]
            if week_index == len(weeks) - 1 and code in LAST_WEEK_DRAFT:
                status = "draft"
            elif week_index == len(weeks) - 1 and code in LAST_WEEK_SUBMITTED:
                status = "submitted"
            else:
                status = "approved"
            for weekday in roster.weekdays:
                work_date = monday + datetime.timedelta(days=weekday)
                roll = _pick(code, work_date.isoformat())
                if roll % 17 == 0:
                    continue  # on leave that day
                overtime = (0, 0, 0, 15, 30)[(roll // 17) % 5]
                start_at = datetime.datetime.combine(work_date, roster.start, tzinfo=tz)
                end_at = datetime.datetime.combine(work_date, roster.end, tzinfo=tz) + datetime.timedelta(
                    minutes=overtime
                )
                shifts.append(
                    DemoShift(
                        employee_code=code,
                        work_date=work_date,
                        start_at=start_at,
                        end_at=end_at,
                        break_minutes=roster.break_minutes,
                        minutes=worked_minutes(
                            start_at=start_at, end_at=end_at, break_minutes=roster.break_minutes
                        ),
                        status=status,
                        submitted_at=submitted_at if status != "draft" else None,
                        approved_at=approved_at if status == "approved" else None,
                    )
                )
    return shifts
