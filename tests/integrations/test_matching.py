"""integrations.matching: the staff-to-Xero matching engine (pure Python, no database)."""

import unicodedata
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.matching import (
    MAX_SUGGESTIONS,
    ExistingLink,
    FieldDifference,
    MatchResult,
    Outcome,
    StaffRecord,
    XeroRecord,
    match_staff,
    normalise_name,
)
from integrations.nicknames import SHORT_FORMS, is_short_form, name_groups

DOB = date(1990, 3, 4)
MATCHED_FAMILY = {Outcome.MATCHED, Outcome.MATCHED_TERMINATED, Outcome.MATCHED_NOT_PAYABLE}


def staff(staff_id=1, first="Anne", middle="", last="Smith", dob=DOB):
    return StaffRecord(staff_id, first, middle, last, dob)


def xero(employee_id="e1", first="Anne", middle="", last="Smith", dob=DOB, **extra):
    return XeroRecord(employee_id, first, middle, last, dob, **extra)


def only(staff_records, xero_records, links=()) -> MatchResult:
    (result,) = match_staff(staff_records, xero_records, links)
    return result


# --- normalisation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ANNE", "anne"),
        ("Zoë", "Zoe\u0308"),  # NFC vs NFD
        ("Mary  Anne", "Mary Anne"),
        ("  Mary Anne  ", "Mary Anne"),
        ("Mary\tAnne", "Mary Anne"),
        ("O\u2019Brien", "O'Brien"),
        ("O`Brien", "O'Brien"),
        ("O\u02bcBrien", "O'Brien"),
        ("Smith\u2013Jones", "Smith-Jones"),  # en dash
        ("Smith\u2212Jones", "Smith-Jones"),  # minus sign
        ("Smith\uff0dJones", "Smith-Jones"),  # full-width hyphen-minus
        ("Smith - Jones", "Smith-Jones"),
        ("Smith -Jones", "Smith-Jones"),
        ("STRAẞE", "strasse"),  # casefold, not just lower()
    ],
)
def test_normalise_name_treats_variants_as_the_same(a, b):
    assert normalise_name(a) == normalise_name(b)


@pytest.mark.parametrize(("a", "b"), [("José", "Jose"), ("Anne", "Ann"), ("Smith-Jones", "Smith Jones")])
def test_normalise_name_keeps_real_differences(a, b):
    assert normalise_name(a) != normalise_name(b)


def test_normalise_name_empty_and_none_give_empty_string():
    assert normalise_name("") == ""
    assert normalise_name("   ") == ""
    assert normalise_name(None) == ""


def test_match_staff_matches_across_normalisation_variants():
    result = only(
        [staff(first="MARY  ANNE", middle="Zoe\u0308", last="O\u2019Brien \u2013 Jones")],
        [xero(first="mary anne", middle="Zoë", last="o'brien-jones")],
    )
    assert result.outcome == Outcome.MATCHED
    assert result.auto_link is True


def test_match_staff_compares_several_middle_names_as_a_whole():
    fits = only([staff(middle="Grace  Anne")], [xero(middle="grace anne")])
    partial = only([staff(middle="Grace Anne")], [xero(middle="Grace")])
    assert fits.outcome == Outcome.MATCHED
    assert partial.outcome == Outcome.UNMATCHED
    assert partial.suggestions[0].kind == "middle_name_missing"
    assert "only partly agree" in partial.suggestions[0].explanation


def test_match_staff_empty_middle_name_matches_only_empty_middle_name():
    assert only([staff(middle="")], [xero(middle="Anne")]).outcome == Outcome.UNMATCHED
    assert only([staff(middle="Anne")], [xero(middle="")]).outcome == Outcome.UNMATCHED
    assert only([staff(middle=" ")], [xero(middle="")]).outcome == Outcome.MATCHED


def test_match_staff_accents_are_not_an_exact_match():
    result = only([staff(first="José")], [xero(first="Jose")])
    assert result.outcome == Outcome.UNMATCHED
    assert result.suggestions[0].kind == "accents"


@pytest.mark.parametrize(("ours", "theirs"), [(None, DOB), (DOB, None), (None, None)])
def test_match_staff_missing_dob_never_matches_exactly(ours, theirs):
    result = only([staff(dob=ours)], [xero(dob=theirs)])
    assert result.outcome == Outcome.UNMATCHED
    assert result.auto_link is False


def test_match_staff_compares_calendar_dates_not_datetimes():
    result = only([staff(dob=datetime(1990, 3, 4, 23, 0))], [xero(dob=DOB)])  # noqa: DTZ001
    assert result.outcome == Outcome.MATCHED


# --- outcomes ----------------------------------------------------------------------------------------


def test_match_staff_unique_exact_fit_is_matched_with_auto_link():
    result = only([staff()], [xero("other", first="Bea"), xero("e1")])
    assert result == MatchResult(
        staff_id=1,
        outcome=Outcome.MATCHED,
        employee_id="e1",
        auto_link=True,
        candidates=(),
        suggestions=(),
        reason=result.reason,
    )
    assert "Same first, middle and last name and date of birth" in result.reason


def test_match_staff_terminated_employee_is_matched_terminated():
    result = only([staff()], [xero(status="TERMINATED")])
    assert result.outcome == Outcome.MATCHED_TERMINATED
    assert result.auto_link is True
    assert "terminated" in result.reason


@pytest.mark.parametrize(
    ("extra", "missing"),
    [
        ({"has_calendar": False}, "payroll calendar"),
        ({"has_ordinary_rate": False}, "ordinary earnings rate"),
        ({"has_calendar": False, "has_ordinary_rate": False}, "payroll calendar or ordinary earnings rate"),
    ],
)
def test_match_staff_employee_without_calendar_or_rate_is_not_payable(extra, missing):
    result = only([staff()], [xero(**extra)])
    assert result.outcome == Outcome.MATCHED_NOT_PAYABLE
    assert result.employee_id == "e1"
    assert f"no {missing}" in result.reason


def test_match_staff_two_xero_employees_fit_is_ambiguous():
    result = only([staff()], [xero("e1"), xero("e2")])
    assert result.outcome == Outcome.AMBIGUOUS
    assert result.employee_id is None
    assert result.auto_link is False
    assert result.candidates == ("e1", "e2")
    assert result.reason == "2 Xero employees have this name and date of birth: pick one"


def test_match_staff_two_staff_sharing_one_xero_employee_are_both_ambiguous():
    results = match_staff([staff(1), staff(2, first=" anne ")], [xero("e1")], [])
    assert [r.outcome for r in results] == [Outcome.AMBIGUOUS, Outcome.AMBIGUOUS]
    assert all(r.candidates == ("e1",) and not r.auto_link for r in results)
    assert all(
        r.reason.startswith("2 Timeclamp staff members share this name and date of birth") for r in results
    )


def test_match_staff_twins_on_both_sides_are_ambiguous():
    results = match_staff([staff(1), staff(2)], [xero("e1"), xero("e2")], [])
    assert [r.outcome for r in results] == [Outcome.AMBIGUOUS, Outcome.AMBIGUOUS]
    assert results[0].candidates == ("e1", "e2")
    assert "2 Xero employees and 2 Timeclamp staff members" in results[0].reason


def test_match_staff_twin_with_existing_link_leaves_the_other_xero_employee_to_the_other_twin():
    results = match_staff(
        [staff(1), staff(2)], [xero("e1"), xero("e2")], [ExistingLink(1, "e1", manual=False)]
    )
    assert (results[0].outcome, results[0].employee_id, results[0].auto_link) == (
        Outcome.MATCHED,
        "e1",
        False,
    )
    assert (results[1].outcome, results[1].employee_id, results[1].auto_link) == (Outcome.MATCHED, "e2", True)


def test_match_staff_exact_fit_linked_to_someone_else_is_conflict():
    results = match_staff(
        [staff(1, first="Annie"), staff(2)], [xero("e1")], [ExistingLink(1, "e1", manual=True)]
    )
    assert results[0].outcome == Outcome.MATCHED  # the manual link stands
    assert results[1].outcome == Outcome.CONFLICT
    assert results[1].candidates == ("e1",)
    assert results[1].employee_id is None
    assert results[1].auto_link is False
    assert "already linked to another staff member" in results[1].reason


def test_match_staff_linked_employees_are_not_offered_to_anyone_else():
    result = only([staff(2, first="Anne")], [xero("e1", first="Ann")], [ExistingLink(99, "e1", manual=True)])
    assert result.outcome == Outcome.UNMATCHED
    assert result.suggestions == ()


def test_match_staff_no_fit_is_unmatched():
    result = only([staff(first="Zed", last="Quux")], [xero()])
    assert result.outcome == Outcome.UNMATCHED
    assert result.employee_id is None
    assert result.candidates == ()
    assert result.suggestions == ()
    assert result.reason == "No Xero employee has this first, middle and last name and date of birth"


def test_match_staff_existing_link_still_fitting_is_matched_without_auto_link():
    result = only([staff()], [xero(status="TERMINATED")], [ExistingLink(1, "e1", manual=False)])
    assert result.outcome == Outcome.MATCHED_TERMINATED
    assert result.employee_id == "e1"
    assert result.auto_link is False
    assert result.differences == ()


def test_match_staff_existing_link_to_not_payable_employee_is_not_payable():
    result = only([staff()], [xero(has_ordinary_rate=False)], [ExistingLink(1, "e1", manual=True)])
    assert result.outcome == Outcome.MATCHED_NOT_PAYABLE


@pytest.mark.parametrize("manual", [True, False])
def test_match_staff_link_to_removed_employee_needs_review(manual):
    result = only([staff()], [xero(removed=True)], [ExistingLink(1, "e1", manual=manual)])
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.employee_id == "e1"
    assert "no longer returned by Xero" in result.reason


def test_match_staff_link_to_unknown_employee_needs_review():
    result = only([staff()], [], [ExistingLink(1, "gone", manual=False)])
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.employee_id == "gone"


def test_match_staff_removed_employee_is_never_matched_anew():
    result = only([staff()], [xero(removed=True)])
    assert result.outcome == Outcome.UNMATCHED


def test_match_staff_changed_name_on_auto_link_needs_review_with_the_difference():
    result = only([staff(middle="Anne")], [xero(middle="")], [ExistingLink(1, "e1", manual=False)])
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.employee_id == "e1"
    assert result.auto_link is False
    assert result.differences == (
        FieldDifference(
            field="middle_names",
            ours="Anne",
            theirs="",
            explanation="Middle name: 'Anne' in Timeclamp, empty in Xero",
        ),
    )
    assert (
        result.reason
        == "The middle name no longer agrees with the linked Xero employee: check and confirm the link"
    )


def test_match_staff_changed_dob_on_auto_link_needs_review_with_the_difference():
    result = only([staff()], [xero(dob=date(1990, 4, 3))], [ExistingLink(1, "e1", manual=False)])
    assert result.outcome == Outcome.NEEDS_REVIEW
    (difference,) = result.differences
    assert difference.field == "date_of_birth"
    assert (difference.ours, difference.theirs) == ("1990-03-04", "1990-04-03")
    assert difference.explanation == "Date of birth: 4 March 1990 in Timeclamp, 3 April 1990 in Xero"


def test_match_staff_manual_link_survives_a_name_change():
    result = only([staff(first="Annie", last="Jones")], [xero()], [ExistingLink(1, "e1", manual=True)])
    assert result.outcome == Outcome.MATCHED
    assert result.employee_id == "e1"
    assert result.auto_link is False
    assert [d.field for d in result.differences] == ["first_name", "last_name"]
    assert "Linked by hand" in result.reason
    assert "first name and last name differ" in result.reason


def test_match_staff_one_employee_linked_to_two_staff_needs_review():
    results = match_staff(
        [staff(1), staff(2)],
        [xero()],
        [ExistingLink(1, "e1", manual=True), ExistingLink(2, "e1", manual=True)],
    )
    assert [r.outcome for r in results] == [Outcome.NEEDS_REVIEW, Outcome.NEEDS_REVIEW]
    assert "also linked to 1 other staff member" in results[0].reason


def test_match_staff_not_paid_through_xero_is_excluded():
    result = only([staff()], [xero()], [ExistingLink(1, None, manual=True)])
    assert result.outcome == Outcome.EXCLUDED
    assert result.employee_id is None
    assert result.auto_link is False
    assert result.reason == "Marked as not paid through Xero"


def test_match_staff_excluded_staff_does_not_make_a_twin_ambiguous():
    results = match_staff([staff(1), staff(2)], [xero()], [ExistingLink(1, None, manual=True)])
    assert [r.outcome for r in results] == [Outcome.EXCLUDED, Outcome.MATCHED]


# --- suggestions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs", "kind", "fields", "explanation"),
    [
        (
            {"middle": "Marie"},
            {},
            "middle_name_missing",
            ["middle_names"],
            "Timeclamp has middle name 'Marie' but Xero has none; everything else is the same",
        ),
        (
            {},
            {"middle": "Marie"},
            "middle_name_missing",
            ["middle_names"],
            "Xero has middle name 'Marie' but Timeclamp has none; everything else is the same",
        ),
        (
            {"first": "José", "last": "Núñez"},
            {"first": "Jose", "last": "Nunez"},
            "accents",
            ["first_name", "last_name"],
            "The names differ only in accents: 'José Núñez' in Timeclamp, 'Jose Nunez' in Xero; "
            "the date of birth is the same",
        ),
        (
            {"first": "Rene"},
            {"first": "René"},
            "accents",
            ["first_name"],
            "The names differ only in accents: 'Rene Smith' in Timeclamp, 'René Smith' in Xero; "
            "the date of birth is the same",
        ),
        (
            {"first": "Bob"},
            {"first": "Robert"},
            "nickname",
            ["first_name"],
            "First name 'Bob' in Timeclamp is a common short form of 'Robert' in Xero; "
            "last name and date of birth are the same",
        ),
        (
            {"first": "Elizabeth"},
            {"first": "Liz", "middle": "Anne"},
            "nickname",
            ["first_name", "middle_names"],
            "First name 'Liz' in Xero is a common short form of 'Elizabeth' in Timeclamp; "
            "the middle name also differs; last name and date of birth are the same",
        ),
        (
            {"first": "Paul", "middle": "John"},
            {"first": "John", "middle": "Paul"},
            "first_middle_swapped",
            ["first_name", "middle_names"],
            "First and middle names look swapped: first name 'Paul', middle name 'John' in Timeclamp, "
            "first name 'John', middle name 'Paul' in Xero; last name and date of birth are the same",
        ),
        (
            {},
            {"dob": date(1990, 3, 3)},
            "dob_off_by_one",
            ["date_of_birth"],
            "Date of birth is one day apart (4 March 1990 in Timeclamp, 3 March 1990 in Xero), "
            "often a time-zone slip; the names are the same",
        ),
        (
            {},
            {"dob": date(1990, 4, 3)},
            "dob_day_month_swapped",
            ["date_of_birth"],
            "Day and month of the date of birth look swapped (4 March 1990 in Timeclamp, "
            "3 April 1990 in Xero); the names are the same",
        ),
        (
            {"last": "Smtih"},
            {},
            "typo",
            ["last_name"],
            "One letter differs in the last name: 'Smtih' in Timeclamp, 'Smith' in Xero; "
            "everything else is the same",
        ),
        (
            {"first": "Ane"},
            {},
            "typo",
            ["first_name"],
            "One letter differs in the first name: 'Ane' in Timeclamp, 'Anne' in Xero; everything else is the same",
        ),
        (
            {"middle": "Marie"},
            {"middle": "Maria"},
            "typo",
            ["middle_names"],
            "One letter differs in the middle name: 'Marie' in Timeclamp, 'Maria' in Xero; "
            "everything else is the same",
        ),
        (
            {},
            {"dob": None},
            "dob_missing_in_xero",
            ["date_of_birth"],
            "The names are the same but Xero has no date of birth for this employee: "
            "add 4 March 1990 in Xero to match",
        ),
    ],
)
def test_match_staff_suggests_each_near_miss_kind(ours, theirs, kind, fields, explanation):
    result = only([staff(**ours)], [xero(**theirs)])
    assert result.outcome == Outcome.UNMATCHED
    assert result.auto_link is False
    assert result.employee_id is None
    (suggestion,) = result.suggestions
    assert suggestion.employee_id == "e1"
    assert suggestion.kind == kind
    assert [d.field for d in suggestion.differences] == fields
    assert suggestion.explanation == explanation
    assert "1 possible match to check" in result.reason


def test_match_staff_suggestion_differences_say_which_field_and_how():
    (suggestion,) = only([staff(middle="Anne")], [xero()]).suggestions
    assert suggestion.differences == (
        FieldDifference("middle_names", "Anne", "", "Middle name: 'Anne' in Timeclamp, empty in Xero"),
    )


def test_match_staff_prefers_the_more_specific_kind_for_one_employee():
    # "" vs "J" is also one edit apart, "Jose" vs "José" too: each is reported once, as the specific kind.
    assert [s.kind for s in only([staff(middle="J")], [xero()]).suggestions] == ["middle_name_missing"]
    assert [s.kind for s in only([staff(first="José")], [xero(first="Jose")]).suggestions] == ["accents"]


def test_match_staff_ranks_suggestions_fewest_differences_first_and_caps_them():
    xeros = [
        xero("swap", first="Smith", middle="", last="Anne"),  # not a suggestion
        xero("nick", first="Annie", middle="Jo"),  # not in the table: nothing
        xero("two", first="Ana", middle="X"),  # two differences: nothing
        xero("mid2", first="Anne", middle="Jo Lee", dob=DOB),
        xero("acc", first="Anné", middle="Jo"),
        xero("dob", first="Anne", middle="Jo", dob=date(1990, 3, 5)),
        xero("dob2", first="Anne", middle="Jo", dob=date(1990, 3, 3)),
        xero("typo", first="Anne", middle="Jo", last="Smyth"),
        xero("swap2", first="Jo", middle="Anne"),
        xero("mid", first="Anne", middle=""),
    ]
    result = only([staff(middle="Jo")], xeros)
    kinds = [(s.employee_id, s.kind, len(s.differences)) for s in result.suggestions]
    assert len(kinds) == MAX_SUGGESTIONS == 5
    assert all(count == 1 for _, _, count in kinds)
    assert kinds[:2] == [("mid2", "middle_name_missing", 1), ("mid", "middle_name_missing", 1)]
    assert [n for _, _, n in kinds] == sorted(n for _, _, n in kinds)
    assert "swap2" not in {employee for employee, _, _ in kinds}  # two differences: ranked out


def test_match_staff_nickname_table_is_symmetric_and_shared_short_forms_work():
    for full, shorts in SHORT_FORMS.items():
        for short in shorts:
            assert full in name_groups(short)
            assert is_short_form(short, full)
    assert {"katherine", "catherine", "kathryn"} <= name_groups("kate")
    result = only([staff(first="Rob")], [xero(first="Bob")])
    assert result.suggestions[0].kind == "nickname"
    assert "short forms of the same name" in result.suggestions[0].explanation


def test_match_staff_nickname_table_has_about_80_pairs():
    assert sum(len(shorts) for shorts in SHORT_FORMS.values()) >= 80


def test_match_staff_typo_search_handles_a_crowded_birthday():
    placeholder = date(1900, 1, 1)
    xeros = [xero(f"e{n}", first=f"Person{n}", last=f"Family{n}", dob=placeholder) for n in range(200)]
    xeros.append(xero("target", first="Kylie", last="Minogue", dob=placeholder))
    result = only([staff(first="Kyile", last="Minogue", dob=placeholder)], xeros)
    assert [(s.employee_id, s.kind) for s in result.suggestions] == [("target", "typo")]


@pytest.mark.parametrize(
    ("a", "b", "suggested"),
    [
        ("smith", "smtih", True),  # adjacent transposition
        ("smith", "smith2", True),  # insertion
        ("smith", "smth", True),  # deletion
        ("smith", "smyth", True),  # substitution
        ("smith", "mstih", False),  # two edits
        ("smith", "smithson", False),
    ],
)
def test_match_staff_typo_is_damerau_levenshtein_one(a, b, suggested):
    result = only([staff(last=a)], [xero(last=b)])
    assert bool(result.suggestions) is suggested


def test_match_staff_conflict_still_lists_free_near_misses():
    results = match_staff(
        [staff(1, first="Annie"), staff(2)],
        [xero("e1"), xero("e2", dob=date(1990, 3, 5))],
        [ExistingLink(1, "e1", True)],
    )
    assert results[1].outcome == Outcome.CONFLICT
    assert [(s.employee_id, s.kind) for s in results[1].suggestions] == [("e2", "dob_off_by_one")]


# --- robustness --------------------------------------------------------------------------------------


def test_match_staff_gives_one_result_per_staff_record_in_input_order():
    records = [staff(n, first=f"P{n}") for n in (5, 3, 9, 1)]
    results = match_staff(iter(records), iter([xero("e", first="P9")]), iter([]))
    assert [r.staff_id for r in results] == [5, 3, 9, 1]
    assert [r.outcome for r in results] == [
        Outcome.UNMATCHED,
        Outcome.UNMATCHED,
        Outcome.MATCHED,
        Outcome.UNMATCHED,
    ]


def test_match_staff_with_no_employees_or_no_staff():
    assert match_staff([], [xero()], []) == []
    result = only([staff()], [])
    assert result.outcome == Outcome.UNMATCHED
    assert result.reason == "No Xero employees are left to match"


@pytest.mark.parametrize(
    "record",
    [
        staff(last=""),
        staff(first="", middle="", last="", dob=None),
        staff(first="👩‍🍳", last="🦘" * 3),
        staff(first="مريم", last="العلي"),  # right-to-left
        staff(first="Z̸̛a̷l̵g̶o̴", last="e\u0301\u0301\u0301"),  # stacked combining marks
        staff(first="A" * 10_000, middle="B " * 2_000, last="C" * 10_000),
        staff(first="\u200b\u200d", last="\ufeff"),
        staff(dob=date.min),
        staff(dob=date.max),
    ],
)
def test_match_staff_never_raises_on_unusual_input_and_matches_an_identical_copy(record):
    twin = XeroRecord("e1", record.first_name, record.middle_names, record.last_name, record.date_of_birth)
    others = [xero("e2", first=record.first_name + "x", dob=record.date_of_birth), xero("e3", dob=None)]
    result = only([record], [twin, *others])
    if record.date_of_birth is None:
        assert result.outcome == Outcome.UNMATCHED
        assert "No date of birth in Timeclamp" in result.reason
    else:
        assert result.outcome == Outcome.MATCHED
        assert result.employee_id == "e1"


def test_match_staff_empty_last_names_match_each_other_only():
    results = match_staff([staff(1, last=""), staff(2, last="Smith")], [xero("e1", last="")], [])
    assert [r.outcome for r in results] == [Outcome.MATCHED, Outcome.UNMATCHED]


def test_match_staff_duplicates_on_both_sides():
    staff_records = [staff(1), staff(1), staff(2, first="Bea")]
    xero_records = [xero("e1"), xero("e1", first="Other"), xero("e2", first="Bea"), xero("e3", first="Bea")]
    results = match_staff(staff_records, xero_records, [])
    assert [r.outcome for r in results] == [Outcome.AMBIGUOUS, Outcome.AMBIGUOUS, Outcome.AMBIGUOUS]
    assert results[0].candidates == ("e1",)  # the same EmployeeID twice: the first copy counts
    assert results[2].candidates == ("e2", "e3")


def test_match_staff_5000_employees_all_get_a_stated_outcome():
    xeros = [
        xero(f"e{n}", first=f"F{n % 97}", last=f"L{n % 89}", dob=DOB + timedelta(days=n % 50))
        for n in range(5000)
    ]
    staff_records = [
        staff(n, first=f"F{n % 97}", last=f"L{n % 83}", dob=DOB + timedelta(days=n % 7)) for n in range(300)
    ]
    results = match_staff(staff_records, xeros, [])
    assert len(results) == 300
    assert all(isinstance(r.outcome, Outcome) and r.reason for r in results)
    assert all(len(r.suggestions) <= MAX_SUGGESTIONS for r in results)


def test_match_staff_2000_by_2000_gives_every_staff_member_a_result():
    staff_records = []
    xero_records = []
    for n in range(2000):
        dob = DOB + timedelta(days=n)
        staff_records.append(staff(n, first=f"First{n}", last=f"Last{n}", dob=dob))
        xero_records.append(
            xero(f"e{n}", first=f"First{n}", last=f"Last{n}" if n % 50 else f"Lsat{n}", dob=dob)
        )
    results = match_staff(staff_records, xero_records, [])
    assert [r.staff_id for r in results] == list(range(2000))
    matched = [r for r in results if r.outcome == Outcome.MATCHED]
    assert len(matched) == 1960
    assert all(r.suggestions[0].kind == "typo" for r in results if r.outcome == Outcome.UNMATCHED)


names = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
staff_records = st.builds(StaffRecord, st.integers(0, 50), names, names, names, st.none() | dates)
xero_records = st.builds(
    XeroRecord,
    st.text(max_size=3),
    names,
    names,
    names,
    st.none() | dates,
    st.sampled_from(["ACTIVE", "TERMINATED", "", "weird"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
links = st.builds(ExistingLink, st.integers(0, 50), st.none() | st.text(max_size=3), st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(staff_records, max_size=15), st.lists(xero_records, max_size=15), st.lists(links, max_size=5))
def test_match_staff_never_raises_on_random_input(staff_list, xero_list, link_list):
    results = match_staff(staff_list, xero_list, link_list)
    assert [r.staff_id for r in results] == [s.staff_id for s in staff_list]
    for result in results:
        assert isinstance(result.outcome, Outcome)
        assert result.reason
        assert len(result.suggestions) <= MAX_SUGGESTIONS
        if result.auto_link:
            assert result.outcome in MATCHED_FAMILY


@settings(max_examples=300, deadline=None)
@given(names, names, names, dates)
def test_match_staff_identical_copy_always_matches_exactly(first, middle, last, dob):
    record = StaffRecord(1, first, middle, last, dob)
    exact = only([record], [XeroRecord("e1", first, middle, last, dob)])
    assert (exact.outcome, exact.employee_id, exact.auto_link) == (Outcome.MATCHED, "e1", True)
    # The same copy as another system may hold it: decomposed, with stray spaces.
    retyped = XeroRecord(
        "e1",
        f"  {unicodedata.normalize('NFD', first)} ",
        unicodedata.normalize("NFD", middle).replace(" ", "  "),
        f"\t{unicodedata.normalize('NFD', last)}",
        dob,
    )
    assert only([record], [retyped]).outcome == Outcome.MATCHED


def test_match_staff_does_not_suggest_an_employee_matched_exactly_in_the_same_run():
    results = match_staff([staff(1), staff(2, first="Ane")], [xero("e1")], [])
    assert (results[0].outcome, results[0].auto_link) == (Outcome.MATCHED, True)
    assert (results[1].outcome, results[1].suggestions) == (Outcome.UNMATCHED, ())
    assert results[1].reason == "No Xero employees are left to match"
