"""Match Timeclamp staff to Xero Payroll AU employees by name and date of birth.

The rule users are told: a staff member matches a Xero employee when First Name, Middle Name, Last
Name and Date of Birth are the same in both systems. "The same" means equal after `normalise_name`
(case, Unicode form, spacing, hyphen and apostrophe variants); accents still count. A missing date of
birth on either side never matches.

`match_staff` gives one `MatchResult` per staff record. Existing links are honoured first; an
unlinked staff member is linked (`auto_link`) only on a unique exact fit. Near misses (missing middle
name, accents, nickname, swapped names, date slips, one-letter typos, no date of birth in Xero) are
returned as suggestions for a person to confirm, never linked automatically.

Pure Python, no Django and no I/O. A hash join, not a nested loop: one pass builds dict indexes keyed
by normalised tuples, a second looks each staff member up. The near-miss indexes (names without the
middle name, accents stripped, nickname group, first and middle names as a set, date-of-birth buckets
for the typo search) are built only when someone is left over, and only over the employees nobody
took in the exact pass, so 10,000 x 10,000 takes a fraction of a second.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import cast

from integrations.nicknames import is_short_form, name_groups

__all__ = [
    "ExistingLink",
    "FieldDifference",
    "MatchResult",
    "Outcome",
    "StaffRecord",
    "Suggestion",
    "XeroRecord",
    "match_staff",
    "normalise_name",
]


@dataclass(frozen=True, slots=True)
class StaffRecord:
    staff_id: int
    first_name: str
    middle_names: str
    last_name: str
    date_of_birth: date | None


@dataclass(frozen=True, slots=True)
class XeroRecord:
    employee_id: str
    first_name: str
    middle_names: str
    last_name: str
    date_of_birth: date | None
    status: str = "ACTIVE"
    has_calendar: bool = True
    has_ordinary_rate: bool = True
    removed: bool = False  # no longer returned by Xero


@dataclass(frozen=True, slots=True)
class ExistingLink:
    staff_id: int
    employee_id: str | None  # None: staff member marked "not paid through Xero"
    manual: bool


class Outcome(StrEnum):
    MATCHED = "matched"
    MATCHED_TERMINATED = "matched_terminated"
    # No payroll calendar or no ordinary earnings rate in Xero: cannot receive timesheets.
    MATCHED_NOT_PAYABLE = "matched_not_payable"
    AMBIGUOUS = "ambiguous"
    UNMATCHED = "unmatched"
    CONFLICT = "conflict"
    # An existing link whose two sides no longer fit exactly, or whose Xero employee was removed.
    NEEDS_REVIEW = "needs_review"
    # Not paid through Xero.
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class FieldDifference:
    field: str  # "first_name" | "middle_names" | "last_name" | "date_of_birth"
    ours: str
    theirs: str
    explanation: str  # plain English, e.g. "Middle name: 'Anne' in Timeclamp, empty in Xero"


@dataclass(frozen=True, slots=True)
class Suggestion:
    employee_id: str
    # "middle_name_missing" | "accents" | "nickname" | "first_middle_swapped" | "dob_off_by_one"
    # | "dob_day_month_swapped" | "typo" | "dob_missing_in_xero"
    kind: str
    differences: tuple[FieldDifference, ...]
    explanation: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    staff_id: int
    outcome: Outcome
    employee_id: str | None  # the linked/matched employee
    auto_link: bool  # True when this run found a NEW unique exact match that the caller should link
    candidates: tuple[str, ...]  # ambiguous: every fitting employee; conflict: the one linked elsewhere
    suggestions: tuple[Suggestion, ...]  # near misses, never linked automatically
    reason: str  # plain English for the report
    differences: tuple[FieldDifference, ...] = ()  # for NEEDS_REVIEW: what changed


MAX_SUGGESTIONS = 5

# Same-employee tie-break when one pair fits several kinds (e.g. "" vs "J" is also a typo).
SUGGESTION_KINDS = (
    "middle_name_missing",
    "accents",
    "nickname",
    "first_middle_swapped",
    "dob_off_by_one",
    "dob_day_month_swapped",
    "typo",
    "dob_missing_in_xero",
)
_KIND_RANK = {kind: rank for rank, kind in enumerate(SUGGESTION_KINDS)}

_FIELDS = ("first_name", "middle_names", "last_name")
_LABELS = {
    "first_name": "First name",
    "middle_names": "Middle name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# A date-of-birth bucket larger than this gets a deletion index for the typo search instead of a scan
# (a placeholder date such as 1900-01-01 shared by thousands of employees).
_TYPO_SCAN_LIMIT = 32
# Names longer than this get no deletion variants (a typo in a 200-character name is not a lead).
_TYPO_MAX_LENGTH = 64

# ---------------------------------------------------------------------------------------------------
# Normalisation

_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_APOSTROPHES = "\u2019\u2018`\u00b4\u02bc\u2032\uff07"
_UNIFY = str.maketrans({**dict.fromkeys(_HYPHENS, "-"), **dict.fromkeys(_APOSTROPHES, "'")})


def normalise_name(value: str) -> str:
    """A name as a payroll officer would compare it: Unicode canonical caseless form (NFD, casefold,
    NFC), hyphen and apostrophe variants unified, surrounding and repeated whitespace ignored, no
    spaces around hyphens. Accents are kept: "José" and "Jose" stay different."""
    if not value:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if value.isascii():  # fast path: ASCII is already NFC and casefold() == lower() there
        text = value.lower().replace("`", "'")
    else:
        # Unify after normalising: a few characters decompose to a variant (U+1FEF to the grave accent).
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", value).casefold()).translate(_UNIFY)
    text = " ".join(text.split())
    if "-" in text:
        text = text.replace(" -", "-").replace("- ", "-")
    return text


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _shown(value: object) -> str:
    """A name as typed, for reports: surrounding/repeated whitespace removed, nothing else."""
    return " ".join(str(value).split()) if value else ""


def _shown_date(value: date | None) -> str:
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}" if value else ""


# ---------------------------------------------------------------------------------------------------
# Internal, normalised views of the records


class _Person:
    """Normalised names and date of birth of one record; `key` is the exact-match key or None."""

    __slots__ = ("dob", "first", "key", "last", "middle", "names", "order", "raw")

    def __init__(self, raw: StaffRecord | XeroRecord, order: int, norm: dict[object, str]) -> None:
        self.raw = raw
        self.order = order
        self.first = _memo(norm, raw.first_name)
        self.middle = _memo(norm, raw.middle_names)
        self.last = _memo(norm, raw.last_name)
        self.names = (self.first, self.middle, self.last)
        self.dob = _as_date(raw.date_of_birth)
        self.key = (*self.names, self.dob) if self.dob is not None else None


def _memo(norm: dict[object, str], value: object) -> str:
    try:
        result = norm.get(value)
    except TypeError:  # unhashable junk in a name field
        return normalise_name(str(value))
    if result is None:
        result = norm[value] = normalise_name(value)  # type: ignore[arg-type]
    return result


def _differences(ours: _Person, theirs: _Person) -> tuple[FieldDifference, ...]:
    diffs = []
    for field, a, b in zip(_FIELDS, ours.names, theirs.names, strict=True):
        if a != b:
            shown_a = _shown(getattr(ours.raw, field))
            shown_b = _shown(getattr(theirs.raw, field))
            diffs.append(
                FieldDifference(
                    field=field,
                    ours=shown_a,
                    theirs=shown_b,
                    explanation=f"{_LABELS[field]}: {_quoted(shown_a)} in Timeclamp, {_quoted(shown_b)} in Xero",
                )
            )
    if ours.dob is None or theirs.dob is None or ours.dob != theirs.dob:
        diffs.append(
            FieldDifference(
                field="date_of_birth",
                ours=ours.dob.isoformat() if ours.dob else "",
                theirs=theirs.dob.isoformat() if theirs.dob else "",
                explanation=(
                    f"Date of birth: {_shown_date(ours.dob) or 'missing'} in Timeclamp, "
                    f"{_shown_date(theirs.dob) or 'missing'} in Xero"
                ),
            )
        )
    return tuple(diffs)


def _quoted(shown: str) -> str:
    return f"'{shown}'" if shown else "empty"


def _listed(diffs: tuple[FieldDifference, ...]) -> str:
    """ "middle name", "first name and last name", "first name, last name and date of birth"."""
    labels = [_LABELS[d.field].lower() for d in diffs]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


# ---------------------------------------------------------------------------------------------------
# Near misses


def _one_edit_apart(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (one substitution, insertion, deletion or adjacent
    transposition), in linear time."""
    if a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]


def _deletion_variants(text: str) -> set[str]:
    if len(text) > _TYPO_MAX_LENGTH:
        return {text}
    return {text, *(text[:i] + text[i + 1 :] for i in range(len(text)))}


def _middle_partial(a: str, b: str) -> bool:
    """One side's middle names are missing from, or a part of, the other's."""
    if a == b:
        return False
    if not a or not b:
        return True
    words_a, words_b = set(a.split()), set(b.split())
    return words_a < words_b or words_b < words_a


class _NearMisses:
    """Indexes over the Xero employees still free after the exact pass: neither linked, removed nor
    just matched exactly to someone (so usually a small pool)."""

    def __init__(self, pool: list[_Person]) -> None:
        self.exact: dict[tuple, list[_Person]] = defaultdict(list)
        self.by_first_last_dob: dict[tuple, list[_Person]] = defaultdict(list)
        self.by_stripped: dict[tuple, list[_Person]] = defaultdict(list)
        self.by_nickname: dict[tuple, list[_Person]] = defaultdict(list)
        self.by_given_words: dict[tuple, list[_Person]] = defaultdict(list)
        self.by_dob: dict[date, list[_Person]] = defaultdict(list)
        self.no_dob: dict[tuple, list[_Person]] = defaultdict(list)
        self.deletions: dict[date, dict[tuple, list[_Person]]] = {}
        for person in pool:
            dob = person.dob
            if dob is None:
                self.no_dob[person.names].append(person)
                continue
            self.exact[(*person.names, dob)].append(person)
            self.by_first_last_dob[(person.first, person.last, dob)].append(person)
            stripped = (
                _strip_accents(person.first),
                _strip_accents(person.middle),
                _strip_accents(person.last),
            )
            self.by_stripped[(*stripped, dob)].append(person)
            for group in name_groups(person.first):
                self.by_nickname[(group, person.last, dob)].append(person)
            given = _given_words(person)
            if len(given) > 1:
                self.by_given_words[(given, person.last, dob)].append(person)
            self.by_dob[dob].append(person)

    def suggest(self, staff: _Person) -> tuple[Suggestion, ...]:
        if staff.dob is None:
            return ()
        found: dict[str, tuple[tuple[int, int, int], _Person, str]] = {}
        for person, kind in self._candidates(staff, staff.dob):
            employee_id = person.raw.employee_id
            diffs = _differences(staff, person)
            rank = (len(diffs), _KIND_RANK[kind], person.order)
            if employee_id not in found or rank < found[employee_id][0]:
                found[employee_id] = (rank, person, kind)
        best = sorted(found.values(), key=lambda item: item[0])[:MAX_SUGGESTIONS]
        return tuple(_suggestion(staff, person, kind) for _, person, kind in best)

    def _candidates(self, staff: _Person, dob: date) -> Iterator[tuple[_Person, str]]:
        first, middle, last = staff.names
        for person in self.by_first_last_dob.get((first, last, dob), ()):
            if _middle_partial(middle, person.middle):
                yield person, "middle_name_missing"
        stripped = (_strip_accents(first), _strip_accents(middle), _strip_accents(last))
        for person in self.by_stripped.get((*stripped, dob), ()):
            if person.names != staff.names:
                yield person, "accents"
        for group in name_groups(first):
            for person in self.by_nickname.get((group, last, dob), ()):
                if person.first != first and (
                    person.middle == middle or _middle_partial(middle, person.middle)
                ):
                    yield person, "nickname"
        given = _given_words(staff)
        if len(given) > 1:
            for person in self.by_given_words.get((given, last, dob), ()):
                if person.first != first:
                    yield person, "first_middle_swapped"
        for delta in (-1, 1):
            try:
                near = dob + timedelta(days=delta)
            except OverflowError:
                continue
            for person in self.exact.get((first, middle, last, near), ()):
                yield person, "dob_off_by_one"
        if dob.day <= 12 and dob.day != dob.month:
            swapped = date(dob.year, dob.day, dob.month)
            for person in self.exact.get((first, middle, last, swapped), ()):
                yield person, "dob_day_month_swapped"
        for person in self._typo_candidates(staff, dob):
            changed = [i for i, (a, b) in enumerate(zip(staff.names, person.names, strict=True)) if a != b]
            if len(changed) == 1 and _one_edit_apart(staff.names[changed[0]], person.names[changed[0]]):
                yield person, "typo"
        for person in self.no_dob.get(staff.names, ()):
            yield person, "dob_missing_in_xero"

    def _typo_candidates(self, staff: _Person, dob: date) -> Iterable[_Person]:
        bucket = self.by_dob.get(dob, ())
        if len(bucket) <= _TYPO_SCAN_LIMIT:
            return bucket
        index = self.deletions.get(dob)
        if index is None:
            index = self.deletions[dob] = _deletion_index(bucket)
        found: dict[int, _Person] = {}
        names = staff.names
        for field in range(3):
            others = names[:field] + names[field + 1 :]
            for variant in _deletion_variants(names[field]):
                for person in index.get((field, others, variant), ()):
                    found[person.order] = person
        return found.values()


def _given_words(person: _Person) -> tuple[str, ...]:
    return tuple(sorted(f"{person.first} {person.middle}".split()))


def _deletion_index(bucket: list[_Person]) -> dict[tuple, list[_Person]]:
    index: dict[tuple, list[_Person]] = defaultdict(list)
    for person in bucket:
        names = person.names
        for field in range(3):
            others = names[:field] + names[field + 1 :]
            for variant in _deletion_variants(names[field]):
                index[(field, others, variant)].append(person)
    return index


def _suggestion(staff: _Person, person: _Person, kind: str) -> Suggestion:
    diffs = _differences(staff, person)
    ours, theirs = staff.raw, person.raw
    same_rest = "; everything else is the same"
    if kind == "middle_name_missing":
        a, b = _shown(ours.middle_names), _shown(theirs.middle_names)
        if not b:
            text = f"Timeclamp has middle name '{a}' but Xero has none{same_rest}"
        elif not a:
            text = f"Xero has middle name '{b}' but Timeclamp has none{same_rest}"
        else:
            text = f"Middle names only partly agree: '{a}' in Timeclamp, '{b}' in Xero{same_rest}"
    elif kind == "accents":
        text = (
            f"The names differ only in accents: '{_full_name(ours)}' in Timeclamp, "
            f"'{_full_name(theirs)}' in Xero; the date of birth is the same"
        )
    elif kind == "nickname":
        a, b = _shown(ours.first_name), _shown(theirs.first_name)
        if is_short_form(staff.first, person.first):
            text = f"First name '{a}' in Timeclamp is a common short form of '{b}' in Xero"
        elif is_short_form(person.first, staff.first):
            text = f"First name '{b}' in Xero is a common short form of '{a}' in Timeclamp"
        else:
            text = f"First names '{a}' in Timeclamp and '{b}' in Xero are short forms of the same name"
        if staff.middle != person.middle:
            text += "; the middle name also differs"
        text += "; last name and date of birth are the same"
    elif kind == "first_middle_swapped":
        text = (
            f"First and middle names look swapped: {_given(ours)} in Timeclamp, {_given(theirs)} in Xero; "
            "last name and date of birth are the same"
        )
    elif kind == "dob_off_by_one":
        text = (
            f"Date of birth is one day apart ({_shown_date(staff.dob)} in Timeclamp, "
            f"{_shown_date(person.dob)} in Xero), often a time-zone slip; the names are the same"
        )
    elif kind == "dob_day_month_swapped":
        text = (
            f"Day and month of the date of birth look swapped ({_shown_date(staff.dob)} in Timeclamp, "
            f"{_shown_date(person.dob)} in Xero); the names are the same"
        )
    elif kind == "typo":
        diff = diffs[0]
        text = (
            f"One letter differs in the {_LABELS[diff.field].lower()}: '{diff.ours}' in Timeclamp, "
            f"'{diff.theirs}' in Xero{same_rest}"
        )
    else:  # dob_missing_in_xero
        text = (
            "The names are the same but Xero has no date of birth for this employee: "
            f"add {_shown_date(staff.dob)} in Xero to match"
        )
    return Suggestion(employee_id=theirs.employee_id, kind=kind, differences=diffs, explanation=text)


def _given(record: StaffRecord | XeroRecord) -> str:
    """ "first name 'Paul', middle name 'John'" """
    middle = _shown(record.middle_names)
    return f"first name {_quoted(_shown(record.first_name))}, middle name {_quoted(middle)}"


def _full_name(record: StaffRecord | XeroRecord) -> str:
    parts = (_shown(record.first_name), _shown(record.middle_names), _shown(record.last_name))
    return " ".join(part for part in parts if part)


# ---------------------------------------------------------------------------------------------------
# Outcomes


def _matched(xero: XeroRecord) -> tuple[Outcome, str]:
    """The MATCHED-family outcome for a fitting employee, and what to add to the reason."""
    if str(xero.status or "").upper() == "TERMINATED":
        return Outcome.MATCHED_TERMINATED, "; the employee is terminated in Xero"
    missing = []
    if not xero.has_calendar:
        missing.append("payroll calendar")
    if not xero.has_ordinary_rate:
        missing.append("ordinary earnings rate")
    if missing:
        return (
            Outcome.MATCHED_NOT_PAYABLE,
            f"; Xero has no {' or '.join(missing)} for this employee, so timesheets cannot be sent to it",
        )
    return Outcome.MATCHED, ""


def _linked_result(
    staff: _Person,
    link: ExistingLink,
    xero_by_id: dict[str, _Person],
    staff_ids_by_employee: dict[str, set[int]],
) -> MatchResult:
    staff_id = staff.raw.staff_id
    employee_id = link.employee_id
    if employee_id is None:
        return MatchResult(staff_id, Outcome.EXCLUDED, None, False, (), (), "Marked as not paid through Xero")
    person = xero_by_id.get(employee_id)
    if person is None or person.raw.removed:
        return MatchResult(
            staff_id,
            Outcome.NEEDS_REVIEW,
            employee_id,
            False,
            (),
            (),
            "The linked Xero employee is no longer returned by Xero: link another employee or mark "
            "this staff member as not paid through Xero",
        )
    sharing = len(staff_ids_by_employee.get(employee_id, ())) - 1
    diffs = _differences(staff, person)
    if sharing > 0:
        return MatchResult(
            staff_id,
            Outcome.NEEDS_REVIEW,
            employee_id,
            False,
            (),
            (),
            f"The linked Xero employee is also linked to {_plural(sharing, 'other staff member')}: keep one link",
            diffs,
        )
    outcome, note = _matched(person.raw)
    if not diffs:
        return MatchResult(
            staff_id,
            outcome,
            employee_id,
            False,
            (),
            (),
            f"Linked; names and date of birth still agree{note}",
        )
    if link.manual:
        return MatchResult(
            staff_id,
            outcome,
            employee_id,
            False,
            (),
            (),
            f"Linked by hand; kept although the {_listed(diffs)} {'differs' if len(diffs) == 1 else 'differ'}{note}",
            diffs,
        )
    return MatchResult(
        staff_id,
        Outcome.NEEDS_REVIEW,
        employee_id,
        False,
        (),
        (),
        f"The {_listed(diffs)} no longer {'agrees' if len(diffs) == 1 else 'agree'} with the linked "
        "Xero employee: check and confirm the link",
        diffs,
    )


def match_staff(
    staff: Iterable[StaffRecord], xero: Iterable[XeroRecord], links: Iterable[ExistingLink]
) -> list[MatchResult]:
    """One result per staff record, in input order. Never links on a near miss."""
    norm: dict[object, str] = {}
    staff_people = [_Person(record, order, norm) for order, record in enumerate(staff)]

    xero_by_id: dict[str, _Person] = {}
    for order, record in enumerate(xero):
        if record.employee_id not in xero_by_id:  # the same EmployeeID twice: the first wins
            xero_by_id[record.employee_id] = _Person(record, order, norm)

    link_by_staff: dict[int, ExistingLink] = {}
    staff_ids_by_employee: dict[str, set[int]] = defaultdict(set)
    for link in links:
        if link.staff_id in link_by_staff:  # a second link for one staff member: the first wins
            continue
        link_by_staff[link.staff_id] = link
        if link.employee_id is not None:
            staff_ids_by_employee[link.employee_id].add(link.staff_id)

    free: list[_Person] = []  # neither removed nor linked: may be offered to someone
    free_by_key: dict[tuple, list[_Person]] = defaultdict(list)
    linked_by_key: dict[tuple, list[_Person]] = defaultdict(list)
    for person in xero_by_id.values():
        if person.raw.removed:
            continue
        if person.raw.employee_id in staff_ids_by_employee:
            if person.key is not None:
                linked_by_key[person.key].append(person)
        else:
            free.append(person)
            if person.key is not None:
                free_by_key[person.key].append(person)

    unlinked_staff_per_key = Counter(
        person.key
        for person in staff_people
        if person.key is not None and person.raw.staff_id not in link_by_staff
    )
    # First pass: links, exact fits. Staff left over wait for the near-miss search, which only looks
    # at employees nobody took in this pass.
    results: list[MatchResult | None] = []
    leftover: list[tuple[int, _Person]] = []
    claimed: set[str] = set()
    for person in staff_people:
        staff_id = person.raw.staff_id
        link = link_by_staff.get(staff_id)
        if link is not None:
            results.append(_linked_result(person, link, xero_by_id, staff_ids_by_employee))
            continue
        key = person.key
        fits = free_by_key.get(key, ()) if key is not None else ()
        sharing_staff = unlinked_staff_per_key[key] if key is not None else 0
        if len(fits) == 1 and sharing_staff == 1:
            employee = fits[0].raw
            claimed.add(employee.employee_id)
            outcome, note = _matched(employee)
            reason = (
                f"Same first, middle and last name and date of birth as one Xero employee: link them{note}"
            )
            results.append(MatchResult(staff_id, outcome, employee.employee_id, True, (), (), reason))
        elif fits:
            results.append(_ambiguous_result(staff_id, fits, sharing_staff))
        else:
            leftover.append((len(results), person))
            results.append(None)

    if leftover:
        pool = [person for person in free if person.raw.employee_id not in claimed]
        near_misses = _NearMisses(pool)
        for position, person in leftover:
            taken = linked_by_key.get(person.key, ()) if person.key is not None else ()
            results[position] = _unmatched_result(person, taken, near_misses.suggest(person), bool(pool))
    return cast(list[MatchResult], results)  # every None has been filled in


def _ambiguous_result(staff_id: int, fits: list[_Person], sharing_staff: int) -> MatchResult:
    candidates = tuple(fit.raw.employee_id for fit in fits)
    if sharing_staff > 1 and len(fits) > 1:
        reason = (
            f"{len(fits)} Xero employees and {sharing_staff} Timeclamp staff members share this "
            "name and date of birth: pick one by hand"
        )
    elif sharing_staff > 1:
        reason = (
            f"{sharing_staff} Timeclamp staff members share this name and date of birth: "
            "pick which one is this Xero employee"
        )
    else:
        reason = f"{len(fits)} Xero employees have this name and date of birth: pick one"
    return MatchResult(staff_id, Outcome.AMBIGUOUS, None, False, candidates, (), reason)


def _unmatched_result(
    person: _Person, taken: Iterable[_Person], suggestions: tuple[Suggestion, ...], any_free: bool
) -> MatchResult:
    staff_id = person.raw.staff_id
    candidates = tuple(other.raw.employee_id for other in taken)
    if candidates:
        reason = (
            "The Xero employee with this name and date of birth is already linked to another staff member"
        )
        return MatchResult(staff_id, Outcome.CONFLICT, None, False, candidates, suggestions, reason)
    if person.dob is None:
        reason = "No date of birth in Timeclamp: add one so this staff member can be matched"
    elif not any_free:
        reason = "No Xero employees are left to match"
    else:
        reason = "No Xero employee has this first, middle and last name and date of birth"
    if suggestions:
        reason += f"; {_plural(len(suggestions), 'possible match', 'possible matches')} to check"
    return MatchResult(staff_id, Outcome.UNMATCHED, None, False, (), suggestions, reason)
