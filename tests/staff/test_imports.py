import datetime

import pytest

from staff import imports
from staff.imports import StaffImportInvalid, staff_import_commit, staff_import_preview
from staff.models import AuditEvent, StaffMember
from tests.factories import MembershipFactory, StaffMemberFactory
from timeclamp.exceptions import ApplicationError

HEADER = "first_name,middle_names,last_name,date_of_birth,email,employee_code,start_date"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def staff_count() -> int:
    return StaffMember.all_organizations.count()


def only_error(preview) -> str:
    assert len(preview.errors) == 1, preview.errors
    return preview.errors[0]


def row_messages(preview) -> list[list[str]]:
    return [row.messages for row in preview.rows]


@pytest.fixture
def actor(organization):
    return MembershipFactory(organization=organization).user


# --- happy paths ---------------------------------------------------------------------------------


def test_staff_import_commit_creates_every_row_with_its_values(organization, actor):
    data = csv_bytes(
        HEADER,
        "Jane,Maree,Citizen,1990-03-03,Jane.Citizen@Example.com,E001,2024-07-01",
        "Sam,,Nguyen,25/12/1985,,E002,",
    )

    created = staff_import_commit(organization=organization, actor=actor, data=data)

    assert [m.full_name for m in created] == ["Jane Maree Citizen", "Sam Nguyen"]
    jane = StaffMember.objects.get(employee_code="E001")
    assert jane.organization == organization
    assert jane.date_of_birth == datetime.date(1990, 3, 3)
    assert jane.start_date == datetime.date(2024, 7, 1)
    assert jane.email == "jane.citizen@example.com"
    assert jane.is_active
    sam = StaffMember.objects.get(employee_code="E002")
    assert sam.date_of_birth == datetime.date(1985, 12, 25)
    assert sam.start_date is None
    assert AuditEvent.objects.filter(action="staff_member.created").count() == 2
    summary = AuditEvent.objects.get(action="staff_member.imported")
    assert summary.actor == actor
    assert summary.data["count"] == 2


def test_staff_import_preview_is_ready_and_saves_nothing(organization):
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,,")

    preview = staff_import_preview(organization=organization, data=data)

    assert preview.is_ready
    assert (preview.ready_count, preview.error_count) == (1, 0)
    assert preview.rows[0].line == 2
    assert staff_count() == 0


def test_columns_are_case_insensitive_in_any_order_and_optional_ones_may_be_left_out(organization):
    data = csv_bytes("Date Of Birth, LAST_NAME ,First-Name", "03/03/1990,Citizen,Jane")

    preview = staff_import_preview(organization=organization, data=data)

    assert preview.is_ready, row_messages(preview)
    assert preview.rows[0].values == {
        "first_name": "Jane",
        "middle_names": "",
        "last_name": "Citizen",
        "date_of_birth": datetime.date(1990, 3, 3),
        "email": "",
        "employee_code": "",
        "start_date": None,
    }


def test_dates_in_dd_mm_yyyy_are_read_day_first(organization):
    data = csv_bytes(HEADER, "Jane,,Citizen,03/04/1990,,,1/7/2024")

    row = staff_import_preview(organization=organization, data=data).rows[0]

    assert row.values["date_of_birth"] == datetime.date(1990, 4, 3)
    assert row.values["start_date"] == datetime.date(2024, 7, 1)


def test_file_saved_by_excel_with_a_byte_order_mark_is_accepted(organization, actor):
    data = b"\xef\xbb\xbf" + csv_bytes(HEADER, "Zoë,,Dubé,1990-03-03,,,")

    created = staff_import_commit(organization=organization, actor=actor, data=data)

    assert created[0].full_name == "Zoë Dubé"


def test_blank_lines_and_unknown_columns_are_skipped_with_a_warning(organization):
    data = csv_bytes("", HEADER + ",notes", "Jane,,Citizen,1990-03-03,,,,likes tea", "", ",,,,,,,", "")

    preview = staff_import_preview(organization=organization, data=data)

    assert preview.is_ready
    assert len(preview.rows) == 1
    assert preview.warnings == [
        "Column notes will be ignored: Timeclamp reads only first_name, middle_names, last_name, "
        "date_of_birth, email, employee_code, start_date."
    ]


def test_the_downloadable_template_imports_cleanly(organization):
    preview = staff_import_preview(organization=organization, data=("\ufeff" + imports.TEMPLATE_CSV).encode())

    assert preview.is_ready
    assert preview.ready_count == 2


# --- file-level problems --------------------------------------------------------------------------


def test_missing_required_columns_are_named(organization, actor):
    data = csv_bytes("first_name,surname,dob", "Jane,Citizen,1990-03-03")

    preview = staff_import_preview(organization=organization, data=data)

    assert only_error(preview).startswith("Missing required columns: last_name, date_of_birth.")
    assert preview.rows == []
    with pytest.raises(StaffImportInvalid, match="Missing required columns: last_name, date_of_birth"):
        staff_import_commit(organization=organization, actor=actor, data=data)
    assert staff_count() == 0


def test_semicolon_separated_file_gets_a_hint(organization):
    data = csv_bytes("first_name;last_name;date_of_birth", "Jane;Citizen;1990-03-03")

    error = only_error(staff_import_preview(organization=organization, data=data))

    assert "Missing required columns: first_name, last_name, date_of_birth" in error
    assert "semicolons" in error


def test_latin_1_file_is_refused_with_excel_advice(organization, actor):
    data = csv_bytes(HEADER, "Zoë,,Dubé,1990-03-03,,,", encoding="latin-1")

    error = only_error(staff_import_preview(organization=organization, data=data))

    assert "not saved as UTF-8" in error
    assert "CSV UTF-8" in error
    with pytest.raises(StaffImportInvalid):
        staff_import_commit(organization=organization, actor=actor, data=data)
    assert staff_count() == 0


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file_is_refused(organization, data):
    assert only_error(staff_import_preview(organization=organization, data=data)).startswith(
        "The file is empty."
    )


def test_header_without_people_is_refused(organization):
    error = only_error(staff_import_preview(organization=organization, data=csv_bytes(HEADER)))

    assert error == "The file has a header row but nobody in it. Add one row per person."


def test_excel_workbook_is_refused_with_advice(organization):
    error = only_error(staff_import_preview(organization=organization, data=b"PK\x03\x04rest-of-an-xlsx"))

    assert error.startswith("This is an Excel workbook, not a CSV file.")


def test_control_characters_in_a_name_are_refused(organization):
    data = csv_bytes(HEADER, "Ja\x00ne,,Citizen,1990-03-03,,,")

    row = staff_import_preview(organization=organization, data=data).rows[0]

    assert row.errors == {"first_name": ["First name contains invisible or control characters."]}


def test_duplicate_column_is_refused(organization):
    data = csv_bytes("first_name,last_name,date_of_birth,First Name", "Jane,Citizen,1990-03-03,J")

    assert "first_name appears more than once" in only_error(
        staff_import_preview(organization=organization, data=data)
    )


def test_too_many_rows_is_refused(organization, actor, settings):
    settings.STAFF_IMPORT_MAX_ROWS = 3
    rows = [f"Person,,Number{i},1990-03-03,,,," for i in range(4)]

    preview = staff_import_preview(organization=organization, data=csv_bytes(HEADER, *rows))

    assert only_error(preview).startswith("The file has more than 3 people.")
    assert preview.rows == []
    exactly = staff_import_preview(organization=organization, data=csv_bytes(HEADER, *rows[:3]))
    assert exactly.is_ready
    with pytest.raises(StaffImportInvalid):
        staff_import_commit(organization=organization, actor=actor, data=csv_bytes(HEADER, *rows))
    assert staff_count() == 0


def test_too_large_file_is_refused(organization, settings):
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,,")
    settings.STAFF_IMPORT_MAX_BYTES = len(data) - 1

    error = only_error(staff_import_preview(organization=organization, data=data))

    assert error.startswith("The file is larger than")
    settings.STAFF_IMPORT_MAX_BYTES = len(data)
    assert staff_import_preview(organization=organization, data=data).is_ready


# --- row problems -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (",,Citizen,1990-03-03,,,", "first_name", "First name is required."),
        ("   ,,Citizen,1990-03-03,,,", "first_name", "First name is required."),
        ("Jane,,,1990-03-03,,,", "last_name", "Last name is required."),
        (
            f"Jane,,{'X' * 36},1990-03-03,,,",
            "last_name",
            "Last name must be at most 35 characters (Xero's limit); it has 36.",
        ),
        (
            f"Jane,{'M' * 36},Citizen,1990-03-03,,,",
            "middle_names",
            "Middle name(s) must be at most 35 characters (Xero's limit); it has 36.",
        ),
        ("Jane,,Citizen,,,,", "date_of_birth", "Date of birth is required."),
        ("Jane,,Citizen,2999-01-01,,,", "date_of_birth", "Date of birth cannot be in the future."),
        ("Jane,,Citizen,1899-12-31,,,", "date_of_birth", "Date of birth cannot be before 1900."),
        (
            "Jane,,Citizen,31/02/1990,,,",
            "date_of_birth",
            "Date of birth '31/02/1990' is not a date. Use YYYY-MM-DD or DD/MM/YYYY, e.g. 1990-03-25.",
        ),
        (
            "Jane,,Citizen,12/25/1990,,,",
            "date_of_birth",
            "Date of birth '12/25/1990' is not a date. Use YYYY-MM-DD or DD/MM/YYYY, e.g. 1990-03-25.",
        ),
        (
            "Jane,,Citizen,3 March 1990,,,",
            "date_of_birth",
            "Date of birth '3 March 1990' is not a date. Use YYYY-MM-DD or DD/MM/YYYY, e.g. 1990-03-25.",
        ),
        (
            "Jane,,Citizen,1990-03-03,,,2024-13-01",
            "start_date",
            "Start date '2024-13-01' is not a date. Use YYYY-MM-DD or DD/MM/YYYY, e.g. 1990-03-25.",
        ),
        ("Jane,,Citizen,1990-03-03,jane@,,", "email", "Email 'jane@' is not a valid email address."),
        (
            f"Jane,,Citizen,1990-03-03,,{'C' * 33},",
            "employee_code",
            "Employee code must be at most 32 characters.",
        ),
    ],
)
def test_bad_values_are_reported_on_their_cell_and_nothing_is_saved(
    organization, actor, line, column, message
):
    data = csv_bytes(HEADER, "Sam,,Nguyen,1985-12-25,,,", line)

    preview = staff_import_preview(organization=organization, data=data)

    assert (preview.ready_count, preview.error_count) == (1, 1)
    bad = preview.rows[1]
    assert bad.line == 3
    assert bad.errors == {column: [message]}
    assert not preview.is_ready
    with pytest.raises(StaffImportInvalid, match="1 row with errors"):
        staff_import_commit(organization=organization, actor=actor, data=data)
    assert staff_count() == 0


def test_row_with_too_many_values_is_flagged(organization):
    data = csv_bytes("first_name,last_name,date_of_birth", "Jane,Citizen,1990-03-03,extra")

    row = staff_import_preview(organization=organization, data=data).rows[0]

    assert row.messages == [
        "This line has 4 values but the header has 3 columns. Put values containing commas in double quotes."
    ]


def test_names_are_tidied_as_the_form_does(organization):
    data = csv_bytes(HEADER, '"  Mary  Ann ",,"O\'Brien",1990-03-03,,,')

    row = staff_import_preview(organization=organization, data=data).rows[0]

    assert row.is_valid
    assert (row.values["first_name"], row.values["last_name"]) == ("Mary Ann", "O'Brien")


def test_duplicate_people_in_the_file_are_flagged(organization, actor):
    data = csv_bytes(
        HEADER,
        "Jane,Maree,Citizen,1990-03-03,,,",
        "Sam,,Nguyen,1985-12-25,,,",
        "JANE,maree,citizen,03/03/1990,,,",
    )

    preview = staff_import_preview(organization=organization, data=data)

    assert row_messages(preview) == [
        [],
        [],
        ["Same name and date of birth as line 2. Remove one of them."],
    ]
    with pytest.raises(StaffImportInvalid):
        staff_import_commit(organization=organization, actor=actor, data=data)
    assert staff_count() == 0


def test_same_name_with_another_birthday_is_a_different_person(organization):
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,,", "Jane,,Citizen,1991-03-03,,,")

    assert staff_import_preview(organization=organization, data=data).is_ready


def test_duplicate_employee_codes_in_the_file_are_flagged(organization):
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,E001,", "Sam,,Nguyen,1985-12-25,,e001,")

    preview = staff_import_preview(organization=organization, data=data)

    assert row_messages(preview) == [[], ["Employee code e001 is also on line 2."]]


def test_employee_codes_of_existing_staff_are_refused_archived_included(organization, actor):
    StaffMemberFactory(organization=organization, first_name="Ann", last_name="Lee", employee_code="E001")
    StaffMemberFactory(
        organization=organization,
        first_name="Bo",
        last_name="Li",
        employee_code="E002",
        archived_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
    )
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,E001,", "Sam,,Nguyen,1985-12-25,,E002,")

    preview = staff_import_preview(organization=organization, data=data)

    assert row_messages(preview) == [
        ["Employee code E001 is already used by Ann Lee."],
        ["Employee code E002 is already used by Bo Li (archived)."],
    ]
    with pytest.raises(StaffImportInvalid):
        staff_import_commit(organization=organization, actor=actor, data=data)
    assert staff_count() == 2


def test_people_already_on_the_staff_list_are_flagged(organization):
    StaffMemberFactory(
        organization=organization,
        first_name="Jane",
        last_name="Citizen",
        date_of_birth=datetime.date(1990, 3, 3),
    )
    data = csv_bytes(HEADER, "jane,,citizen,1990-03-03,,,")

    preview = staff_import_preview(organization=organization, data=data)

    assert row_messages(preview) == [
        ["Jane Citizen, born 3 Mar 1990, is already on your staff list. Remove this line."]
    ]


def test_another_organisations_staff_do_not_clash(organization, other_organization):
    StaffMemberFactory(
        organization=other_organization,
        first_name="Jane",
        last_name="Citizen",
        date_of_birth=datetime.date(1990, 3, 3),
        employee_code="E001",
    )
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,E001,")

    assert staff_import_preview(organization=organization, data=data).is_ready


def test_a_failure_while_saving_rolls_back_every_row(organization, actor, monkeypatch):
    """Belt and braces: if the service refuses a row the preview let through, nothing is kept."""
    real_create = imports.staff_member_create
    calls = []

    def create_then_fail(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ApplicationError(
                "Please correct the highlighted fields.", extra={"fields": {"x": ["Boom."]}}
            )
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "staff_member_create", create_then_fail)
    data = csv_bytes(HEADER, "Jane,,Citizen,1990-03-03,,,", "Sam,,Nguyen,1985-12-25,,,")

    with pytest.raises(ApplicationError, match=r"Nothing was imported\. Line 3: Boom\."):
        staff_import_commit(organization=organization, actor=actor, data=data)

    assert staff_count() == 0
    assert not AuditEvent.objects.filter(action__startswith="staff_member.").exists()
