"""Staff-to-Xero matching benchmark: `integrations.matching.match_staff` at 100 x 100 and 10,000 x 10,000.

Both sides hold the same people; 3% of the Xero copies carry a deliberate difference (missing middle
name, accents, nickname, swapped names, date of birth a day off or day/month swapped, a typo, no date
of birth). Prints the median of --repeat runs at each size, the ratio, and the outcome counts at the
large size. Target: 10,000 x 10,000 under 1 s. Pure Python: no Django settings needed.

    .venv/bin/python bench/bench_matching.py
    .venv/bin/python bench/bench_matching.py --repeat 9 --size 20000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from integrations.matching import StaffRecord, XeroRecord, match_staff  # noqa: E402

# fmt: off
FIRST_NAMES = (
    "Robert", "William", "Elizabeth", "Katherine", "James", "Michael", "Thomas", "David", "Christopher",
    "Matthew", "Nicholas", "Samuel", "Alexander", "Benjamin", "Daniel", "Jennifer", "Jessica",
    "Anthony", "Stephen", "Andrew", "Peter", "Joseph", "Rebecca", "Susan", "Patrick", "Richard",
    "Olivia", "Charlotte", "Amelia", "Isla", "Mia", "Grace", "Ava", "Chloe", "Sophie", "Emily", "Zoe",
    "Ruby", "Harper", "Lily", "Noah", "Oliver", "Jack", "William", "Leo", "Lucas", "Henry", "Charlie",
    "Thomas", "Isaac", "Hudson", "Archie", "Liam", "Ethan", "Mason", "Oscar", "José", "Zoë", "Renée",
    "Chloé", "Søren", "Ngọc", "Thảo", "Mei", "Wei", "Priya", "Arjun", "Aisha", "Fatima", "Omar", "Hemi",
    "Aroha", "Tāne"
)
# fmt: on
MIDDLE_NAMES = ("", "", "", "Anne", "Marie", "James", "John", "Lee", "Rose", "Jane", "Paul", "Grace Anne")
# fmt: off
LAST_NAMES = (
    "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin", "Anderson",
    "Thompson", "Nguyen", "Thomas", "Walker", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King",
    "Davis", "Wright", "Evans", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel",
    "Khan", "Lewis", "James", "Phillips", "Mitchell", "O'Brien", "O\u2019Connor", "Smith-Jones",
    "McDonald", "Tran", "Le", "Pham", "Chen", "Wang", "Zhang", "Singh", "Kaur", "Murphy", "Campbell",
    "Stewart", "Morris", "Turner", "Cook", "Bell", "Ward", "Cooper", "Hughes", "Edwards", "Núñez"
)
# fmt: on
DISTORTIONS = (
    "middle_name_missing",
    "accents",
    "nickname",
    "first_middle_swapped",
    "dob_off_by_one",
    "dob_day_month_swapped",
    "typo",
    "dob_missing_in_xero",
)
NICKNAMES = {"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Michael": "Mike", "Thomas": "Tom"}


def generate(size: int, *, distorted: float = 0.03, seed: int = 2024) -> tuple[list, list]:
    """`size` staff and the same `size` people as Xero employees, `distorted` of them altered."""
    rng = random.Random(seed)
    base = date(1955, 1, 1)
    staff: list[StaffRecord] = []
    xero: list[XeroRecord] = []
    for n in range(size):
        first = rng.choice(FIRST_NAMES)
        middle = rng.choice(MIDDLE_NAMES)
        last = rng.choice(LAST_NAMES)
        dob = base + timedelta(days=rng.randrange(50 * 365))
        staff.append(StaffRecord(n, first, middle, last, dob))
        x_first, x_middle, x_last, x_dob = first, middle, last, dob
        if rng.random() < distorted:
            kind = rng.choice(DISTORTIONS)
            if kind == "middle_name_missing":
                x_middle = "" if middle else "Anne"
            elif kind == "accents":
                x_last = last.replace("e", "é", 1) if "e" in last else last + "é"
            elif kind == "nickname":
                x_first = NICKNAMES.get(first, first + "y")
            elif kind == "first_middle_swapped":
                x_first, x_middle = (middle or "Jo"), first
            elif kind == "dob_off_by_one":
                x_dob = dob + timedelta(days=1)
            elif kind == "dob_day_month_swapped":
                x_dob = date(dob.year, dob.day, dob.month) if dob.day <= 12 else dob - timedelta(days=400)
            elif kind == "typo":
                x_last = last[:-1] if len(last) > 2 else last + "x"
            else:
                x_dob = None
        else:  # same person, typed differently: must still match exactly
            x_first = rng.choice((first, first.upper(), f" {first} "))
        status = "TERMINATED" if rng.random() < 0.02 else "ACTIVE"
        xero.append(XeroRecord(f"emp-{n:06d}", x_first, x_middle, x_last, x_dob, status=status))
    rng.shuffle(xero)
    return staff, xero


def median_time(staff: list, xero: list, repeat: int) -> tuple[float, list]:
    timings = []
    results: list = []
    for _ in range(repeat):
        start = time.perf_counter()
        results = match_staff(staff, xero, [])
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the median is printed")
    parser.add_argument(
        "--size", type=int, default=10_000, help="staff (and Xero employees) at the large size"
    )
    args = parser.parse_args(argv)

    small_staff, small_xero = generate(100)
    large_staff, large_xero = generate(args.size)
    small, _ = median_time(small_staff, small_xero, args.repeat)
    large, results = median_time(large_staff, large_xero, args.repeat)

    print(f"match {args.size:,} x {args.size:,}: {large:.2f} s (target < 1 s)")
    print(f"{'size':>16} {'median':>10}")
    print(f"{'100 x 100':>16} {small * 1000:>8.2f} ms")
    print(f"{f'{args.size:,} x {args.size:,}':>16} {large * 1000:>8.2f} ms")
    print(
        f"ratio large/small: {large / small:.0f}x for {(args.size / 100) ** 2:,.0f}x the pairs (linear would be {args.size / 100:.0f}x)"
    )
    counts = Counter(result.outcome.value for result in results)
    suggested = sum(1 for result in results if result.suggestions)
    print("outcomes:", ", ".join(f"{name} {count:,}" for name, count in counts.most_common()))
    print(f"staff with near-miss suggestions: {suggested:,}")


if __name__ == "__main__":
    main()
