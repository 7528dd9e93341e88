"""Issue 2 benchmark: staff list, team timesheet view and approval at 10 and at 1,000 staff.

Each organisation has four weeks of entries. Prints, side by side, the median time of each page
(over --repeat runs, after one warm-up) and its SQL query count at both sizes, and the ratio. The
target: query counts equal at both sizes and time ratios below 3.

    .venv/bin/python bench/bench_pages.py            # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_pages.py
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timeclamp.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("XERO_SANDBOX", "0")
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
_tmp = tempfile.mkdtemp(prefix="timeclamp-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from staff.models import Membership, Organization, Role, StaffMember, User  # noqa: E402
from timeclamp.tenancy import unscoped  # noqa: E402
from timesheets.models import TimeEntry  # noqa: E402


def build_organization(size: int) -> tuple[Organization, User, datetime.date]:
    org = Organization.objects.create(name=f"Bench {size}", slug=f"bench-{size}-{int(time.time())}")
    manager = User.objects.create_user(email=f"manager-{org.slug}@bench.test", password="bench-password-1")
    Membership.objects.create(user=manager, organization=org, role=Role.MANAGER)
    staff = StaffMember.all_organizations.bulk_create(
        StaffMember(
            organization=org,
            first_name=f"First{i}",
            last_name=f"Last{i:05d}",
            date_of_birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=i),
            employee_code=f"B{i:05d}",
        )
        for i in range(size)
    )
    tz = org.tzinfo
    monday = org.today() - datetime.timedelta(days=org.today().weekday())
    first_monday = monday - datetime.timedelta(weeks=4)
    entries = []
    for member in staff:
        for day in range(28):
            work_date = first_monday + datetime.timedelta(days=day)
            if work_date.weekday() >= 5:
                continue
            start = datetime.datetime.combine(work_date, datetime.time(8), tzinfo=tz)
            entries.append(
                TimeEntry(
                    organization=org,
                    staff_member=member,
                    work_date=work_date,
                    start_at=start,
                    end_at=start + datetime.timedelta(hours=8),
                    break_minutes=30,
                    minutes=450,
                    status=TimeEntry.Status.SUBMITTED,
                    submitted_at=timezone.now(),
                )
            )
    TimeEntry.all_organizations.bulk_create(entries, batch_size=2000)
    return org, manager, first_monday


def timed(fn, repeat: int, reset=None) -> tuple[float, int]:
    fn()  # warm-up
    times, queries = [], 0
    for _ in range(repeat):
        if reset:
            reset()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = fn()
            times.append(time.perf_counter() - started)
        assert response.status_code in (200, 302), response.status_code
        queries = len(captured)
    return statistics.median(times), queries


def measure(size: int, repeat: int) -> dict[str, tuple[float, int]]:
    with unscoped():
        org, manager, first_monday = build_organization(size)
    client = Client()
    client.force_login(manager)
    base = f"/o/{org.slug}"
    start = first_monday + datetime.timedelta(weeks=3)
    end = start + datetime.timedelta(days=6)

    def reset_week():
        with unscoped():
            TimeEntry.all_organizations.filter(organization=org, work_date__range=(start, end)).update(
                status=TimeEntry.Status.SUBMITTED, approved_at=None, approved_by=None
            )

    with unscoped():
        one_person = StaffMember.all_organizations.filter(organization=org).order_by("pk").first().pk

    return {
        "staff list": timed(lambda: client.get(f"{base}/staff/"), repeat),
        "team week": timed(lambda: client.get(f"{base}/timesheets/team/?start={start}&end={end}"), repeat),
        "team 4 weeks": timed(
            lambda: client.get(f"{base}/timesheets/team/?start={first_monday}&end={end}"), repeat
        ),
        "approve 1 week": timed(
            lambda: client.post(
                f"{base}/timesheets/entries/approve/",
                {"scope": "selected", "staff_member": one_person, "start": start, "end": end},
            ),
            repeat,
            reset=reset_week,
        ),
        "approve all": timed(
            lambda: client.post(
                f"{base}/timesheets/entries/approve/", {"scope": "period", "start": start, "end": end}
            ),
            repeat,
            reset=reset_week,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    engine = connection.vendor
    print(
        f"Timeclamp page benchmark on {engine}: {args.small} vs {args.large} staff, 4 weeks of entries, "
        f"median of {args.repeat}"
    )
    small, large = measure(args.small, args.repeat), measure(args.large, args.repeat)
    print(f"{'page':<14}{args.small:>8} staff{'':>3}{args.large:>8} staff{'':>3}{'ratio':>7}  queries")
    worst = 0.0
    for page in small:
        if page == "approve all":
            (t_small, q_small), (t_large, q_large) = small[page], large[page]
            print(
                f"{page:<14}{t_small * 1000:>9.1f} ms{'':>2}{t_large * 1000:>9.1f} ms{'':>2}"
                f"{t_large / t_small:>7.2f}  {q_small} vs {q_large} (rows written: x{args.large // args.small})"
            )
            continue
        (t_small, q_small), (t_large, q_large) = small[page], large[page]
        ratio = t_large / t_small if t_small else float("inf")
        worst = max(worst, ratio)
        flag = "same" if q_small == q_large else "GROWS"
        print(
            f"{page:<14}{t_small * 1000:>9.1f} ms{'':>2}{t_large * 1000:>9.1f} ms{'':>2}{ratio:>7.2f}  "
            f"{q_small} vs {q_large} ({flag})"
        )
    print(f"worst ratio {worst:.2f} (target < 3)")
    print(
        "'approve all' approves every submitted entry of the week: it writes 5 rows per person, so its time"
        " follows the rows written (one UPDATE statement; the query count stays the same). Every other"
        " row is a page or action whose work does not depend on the number of staff."
    )


if __name__ == "__main__":
    main()
