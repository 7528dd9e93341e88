"""Staff CSV import: check a whole file (preview), then create every row in one transaction (commit).

Nothing is saved unless every row is valid: a half-imported payroll list is worse than none. The field
rules are the ones the staff form and the services use (staff/validation.py); the commit goes through
``staff_member_create`` so each person gets the same checks and audit row as one added by hand.
"""

import csv
import datetime
import hashlib
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.dateformat import format as date_format

from timeclamp.exceptions import ApplicationError

from .models import Organization, StaffMember, User
from .services import audit_record, staff_member_create
from .validation import clean_date_of_birth, clean_person_name

COLUMNS = (
    "first_name",
    "middle_names",
    "last_name",
    "date_of_birth",
    "email",
    "employee_code",
    "start_date",
)
REQUIRED_COLUMNS = ("first_name", "last_name", "date_of_birth")
COLUMN_LABELS = {
    "first_name": "First name",
    "middle_names": "Middle name(s)",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "email": "Email",
    "employee_code": "Employee code",
    "start_date": "Start date",
}
ROW = "row"  # key of errors about the whole row rather than one cell
EXCEL_HINT = 'In Excel choose File > Save As and pick "CSV UTF-8 (Comma delimited)".'
EMPLOYEE_CODE_MAX_LENGTH = StaffMember._meta.get_field("employee_code").max_length
EMAIL_MAX_LENGTH = StaffMember._meta.get_field("email").max_length

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_AU_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_HEADER_SEPARATORS = re.compile(r"[\s\-]+")

TEMPLATE_CSV = (
    ",".join(COLUMNS) + "\r\n"
    "Jane,Maree,Citizen,1990-03-03,jane.citizen@example.com,E001,2024-07-01\r\n"
    "Sam,,Nguyen,25/12/1985,sam.nguyen@example.com,E002,\r\n"
)


@dataclass
class ImportRow:
    """One person from the file. ``raw`` is what the file says; ``values`` is what would be saved."""

    line: int
    raw: dict[str, str]
    values: dict = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def messages(self) -> list[str]:
        return [message for key in (*COLUMNS, ROW) for message in self.errors.get(key, [])]

    def add_error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


@dataclass
class ImportPreview:
    """The whole file, checked. ``errors`` are about the file itself; each row carries its own."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ready_count(self) -> int:
        return sum(1 for row in self.rows if row.is_valid)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.is_valid)

    @property
    def is_ready(self) -> bool:
        return not self.errors and bool(self.rows) and self.error_count == 0


class StaffImportInvalid(ApplicationError):
    """The file cannot be imported as it is; ``preview`` says why, row by row."""

    def __init__(self, message: str, *, preview: ImportPreview):
        super().__init__(message, extra={"preview": preview})
        self.preview = preview


def staff_import_preview(*, organization: Organization, data: bytes) -> ImportPreview:
    """Parse and check ``data`` (the uploaded file's bytes) against the organisation's staff. No writes."""
    preview = ImportPreview()
    text = _decode(data, preview)
    if text is None:
        return preview
    try:
        _parse(text, preview, today=organization.today())
    except csv.Error as exc:
        preview.rows = []
        preview.errors.append(f"This does not look like a CSV file ({exc}). {EXCEL_HINT}")
        return preview
    if not preview.errors:
        _check_against_each_other_and_existing_staff(preview, organization=organization)
    return preview


@transaction.atomic(durable=True)
def staff_import_commit(*, organization: Organization, actor: User | None, data: bytes) -> list[StaffMember]:
    """Re-check ``data`` and create every row, or nothing. Raises StaffImportInvalid."""
    preview = staff_import_preview(organization=organization, data=data)
    if not preview.is_ready:
        if preview.errors:
            message = " ".join(preview.errors)
        else:
            message = f"{_rows(preview.error_count)} with errors: fix the file and upload it again."
        raise StaffImportInvalid(f"Nothing was imported. {message}", preview=preview)
    created = []
    for row in preview.rows:
        try:
            created.append(staff_member_create(organization=organization, actor=actor, **row.values))
        except ApplicationError as exc:
            problems = [m for messages in exc.extra.get("fields", {}).values() for m in messages]
            raise ApplicationError(
                f"Nothing was imported. Line {row.line}: {' '.join(problems) or exc.message}"
            ) from exc
        except IntegrityError as exc:  # someone added a clashing record since the check above
            raise ApplicationError(
                f"Nothing was imported. Line {row.line} clashes with a staff record added just now: "
                "check the preview again."
            ) from exc
    audit_record(
        organization=organization,
        actor=actor,
        action="staff_member.imported",
        summary=f"Imported {len(created)} staff from a CSV file",
        data={"count": len(created), "sha256": hashlib.sha256(data).hexdigest()},
    )
    return created


# --- parsing -----------------------------------------------------------------------------------


def _decode(data: bytes, preview: ImportPreview) -> str | None:
    limit = settings.STAFF_IMPORT_MAX_BYTES
    if len(data) > limit:
        preview.errors.append(
            f"The file is larger than {filesizeformat(limit)}. Split it into smaller files and import "
            "them one after the other."
        )
        return None
    if data.startswith(b"PK\x03\x04"):
        preview.errors.append(f"This is an Excel workbook, not a CSV file. {EXCEL_HINT}")
        return None
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        preview.errors.append(
            "The file is not saved as UTF-8, so names with accents would come out wrong. " + EXCEL_HINT
        )
        return None
    if not text.strip():
        preview.errors.append("The file is empty. Add a header row and one row per person.")
        return None
    return text


def _normalise_header(cell: str) -> str:
    return _HEADER_SEPARATORS.sub("_", cell.strip().lower())


def _parse(text: str, preview: ImportPreview, *, today: datetime.date) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
    if header is None:
        preview.errors.append("The file is empty. Add a header row and one row per person.")
        return
    names = [_normalise_header(cell) for cell in header]
    positions: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(names):
        if name in positions:
            preview.errors.append(f"The column {name} appears more than once. Keep one of them.")
        elif name in COLUMNS:
            positions[name] = index
        elif name:
            unknown.append(header[index].strip())
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        message = (
            f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"The first row must name the columns, e.g. {','.join(COLUMNS)}."
        )
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            message += f" This file seems to use semicolons or tabs between values. {EXCEL_HINT}"
        preview.errors.append(message)
    if unknown:
        preview.warnings.append(
            f"Column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} will be ignored: "
            f"Timeclamp reads only {', '.join(COLUMNS)}."
        )
    if preview.errors:
        return
    max_rows = settings.STAFF_IMPORT_MAX_ROWS
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, e.g. at the end of the file
        if len(preview.rows) == max_rows:
            preview.rows = []
            preview.errors.append(
                f"The file has more than {max_rows:,} people. Split it into files of at most "
                f"{max_rows:,} rows and import them one after the other."
            )
            return
        raw = {
            name: (cells[index].strip() if index < len(cells) else "") for name, index in positions.items()
        }
        row = ImportRow(line=reader.line_num, raw={name: raw.get(name, "") for name in COLUMNS})
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            row.add_error(
                ROW,
                f"This line has {len(cells)} values but the header has {len(header)} columns. "
                "Put values containing commas in double quotes.",
            )
        _check_row(row, today=today)
        preview.rows.append(row)
    if not preview.rows:
        preview.errors.append("The file has a header row but nobody in it. Add one row per person.")


def parse_import_date(value: str) -> datetime.date:
    """YYYY-MM-DD or DD/MM/YYYY (Australian order; never MM/DD). Raises ValueError."""
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = match.groups()
    elif match := _AU_DATE.fullmatch(value):
        day, month, year = match.groups()
    else:
        raise ValueError(value)
    return datetime.date(int(year), int(month), int(day))


def _check_date(row: ImportRow, column: str, *, required: bool) -> datetime.date | None:
    value = row.raw[column]
    label = COLUMN_LABELS[column]
    if not value:
        if required:
            row.add_error(column, f"{label} is required.")
        return None
    try:
        return parse_import_date(value)
    except ValueError:
        row.add_error(
            column, f"{label} '{value}' is not a date. Use YYYY-MM-DD or DD/MM/YYYY, e.g. 1990-03-25."
        )
        return None


def _check_row(row: ImportRow, *, today: datetime.date) -> None:
    values = row.values
    for column, required in (("first_name", True), ("middle_names", False), ("last_name", True)):
        try:
            values[column] = clean_person_name(
                row.raw[column], label=COLUMN_LABELS[column], required=required
            )
        except ValidationError as exc:
            row.errors.setdefault(column, []).extend(exc.messages)
    date_of_birth = _check_date(row, "date_of_birth", required=True)
    if date_of_birth is not None:
        try:
            values["date_of_birth"] = clean_date_of_birth(date_of_birth, today=today)
        except ValidationError as exc:
            row.errors.setdefault("date_of_birth", []).extend(exc.messages)
    email = row.raw["email"].lower()
    if email:
        try:
            if len(email) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            row.add_error("email", f"Email '{row.raw['email']}' is not a valid email address.")
    values["email"] = email
    code = row.raw["employee_code"]
    if len(code) > EMPLOYEE_CODE_MAX_LENGTH:
        row.add_error(
            "employee_code", f"Employee code must be at most {EMPLOYEE_CODE_MAX_LENGTH} characters."
        )
    values["employee_code"] = code
    values["start_date"] = _check_date(row, "start_date", required=False)


def _person_key(values: dict) -> tuple | None:
    if not (values.get("first_name") and values.get("last_name") and values.get("date_of_birth")):
        return None
    return (
        values["first_name"].casefold(),
        values.get("middle_names", "").casefold(),
        values["last_name"].casefold(),
        values["date_of_birth"],
    )


def _check_against_each_other_and_existing_staff(
    preview: ImportPreview, *, organization: Organization
) -> None:
    """Duplicates inside the file, and clashes with staff already on record (archived ones too)."""
    existing_codes: dict[str, StaffMember] = {}
    existing_people: dict[tuple, StaffMember] = {}
    for member in StaffMember.objects.filter(organization=organization).only(
        "first_name", "middle_names", "last_name", "date_of_birth", "employee_code", "archived_at"
    ):
        if member.employee_code:
            existing_codes[member.employee_code.casefold()] = member
        key = _person_key(
            {
                "first_name": member.first_name,
                "middle_names": member.middle_names,
                "last_name": member.last_name,
                "date_of_birth": member.date_of_birth,
            }
        )
        if key is not None:
            existing_people[key] = member

    def who(member: StaffMember) -> str:
        return f"{member.full_name}{' (archived)' if member.is_archived else ''}"

    seen_codes: dict[str, int] = {}
    seen_people: dict[tuple, int] = {}
    for row in preview.rows:
        code = row.values.get("employee_code", "").casefold()
        if code and "employee_code" not in row.errors:
            if code in existing_codes:
                row.add_error(
                    "employee_code",
                    f"Employee code {row.raw['employee_code']} is already used by "
                    f"{who(existing_codes[code])}.",
                )
            elif code in seen_codes:
                row.add_error(
                    "employee_code",
                    f"Employee code {row.raw['employee_code']} is also on line {seen_codes[code]}.",
                )
            else:
                seen_codes[code] = row.line
        key = _person_key(row.values)
        if key is None:
            continue
        if key in existing_people:
            member = existing_people[key]
            born = date_format(member.date_of_birth, "j M Y")
            row.add_error(
                ROW, f"{who(member)}, born {born}, is already on your staff list. Remove this line."
            )
        elif key in seen_people:
            row.add_error(ROW, f"Same name and date of birth as line {seen_people[key]}. Remove one of them.")
        else:
            seen_people[key] = row.line


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"
