"""Field rules shared by the staff form, the CSV import and the services (one source of truth)."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError

from .models import XERO_NAME_MAX_LENGTH

EARLIEST_DATE_OF_BIRTH = datetime.date(1900, 1, 1)
_SPACES = re.compile(r"\s+")


def clean_person_name(value: str | None, *, label: str, required: bool) -> str:
    """NFC-normalise, trim and collapse spaces; refuse control and invisible characters.

    What is stored is exactly what will be sent to Xero, so the same rules apply here as there.
    """
    value = unicodedata.normalize("NFC", value or "")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in value if ch not in " \t"):
        raise ValidationError(f"{label} contains invisible or control characters.", code="invalid_chars")
    value = _SPACES.sub(" ", value).strip()
    if not value:
        if required:
            raise ValidationError(f"{label} is required.", code="required")
        return ""
    if len(value) > XERO_NAME_MAX_LENGTH:
        raise ValidationError(
            f"{label} must be at most {XERO_NAME_MAX_LENGTH} characters (Xero's limit); it has {len(value)}.",
            code="max_length",
        )
    return value


def clean_date_of_birth(value: datetime.date | None, *, today: datetime.date) -> datetime.date | None:
    if value is None:
        return None
    if value > today:
        raise ValidationError("Date of birth cannot be in the future.", code="future")
    if value < EARLIEST_DATE_OF_BIRTH:
        raise ValidationError("Date of birth cannot be before 1900.", code="too_early")
    return value
