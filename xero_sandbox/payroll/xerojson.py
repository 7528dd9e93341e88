"""Xero's wire formats: MS-JSON dates, the response envelope and the error bodies.

Dates: Payroll AU v1 sends date-only fields as ``/Date(<ms>+0000)/`` at UTC midnight and timestamps
as ``/Date(<ms>+0000)/``; the envelope's ``DateTimeUTC`` has no offset (the spec's examples).
On input the sandbox accepts ``/Date(ms)/``, ``/Date(ms+HHMM)/``, ``YYYY-MM-DD`` and
``YYYY-MM-DDTHH:MM:SS``. An MS date is read as its UTC date, so a client that encodes *local*
midnight in Australia sends the previous day, exactly the real-world pitfall (notes §8.5).
"""

import datetime
import email.utils
import json
import re
import uuid

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

PROVIDER_NAME = "Timeclamp"  # Xero echoes the calling app's name here
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MS_RE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_ISO_DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def _ms(moment: datetime.datetime) -> int:
    return int((moment - _EPOCH) / datetime.timedelta(milliseconds=1))


def ms_date(value: datetime.date | None) -> str | None:
    """A date as Xero sends it: UTC midnight in milliseconds, with +0000."""
    if value is None:
        return None
    return f"/Date({_ms(datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC))}+0000)/"


def ms_datetime(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return f"/Date({_ms(value)}+0000)/"


def envelope_datetime(value: datetime.datetime) -> str:
    return f"/Date({_ms(value)})/"


def parse_date(value) -> datetime.date:
    """Parse a date from a request body; raises ValueError."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    text = value.strip()
    m = _MS_RE.match(text)
    if m:
        moment = _EPOCH + datetime.timedelta(milliseconds=int(m.group(1)))
        return moment.date()  # the UTC date, whatever the offset says
    m = _ISO_DATE_RE.match(text)
    if m:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(f"not a date: {value!r}")


def parse_http_datetime(value: str) -> datetime.datetime | None:
    """If-Modified-Since: ISO 8601 (with or without offset; none means UTC) or RFC 1123."""
    text = (value or "").strip()
    if not text:
        return None
    m = _MS_RE.match(text)
    if m:
        return _EPOCH + datetime.timedelta(milliseconds=int(m.group(1)))
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def parse_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def xero_json(payload: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


def envelope(key: str, value) -> dict:
    """The Payroll AU v1 response envelope: {"Id", "Status", "ProviderName", "DateTimeUTC", key}."""
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": envelope_datetime(timezone.now()),
        key: value,
    }


# --- errors --------------------------------------------------------------------------------------


def problem(status: int, title: str, detail: str) -> JsonResponse:
    """Xero's identity-layer error body (401/403), e.g.
    {"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: ...","Instance":"...","Extensions":{}}"""
    body = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return JsonResponse(body, status=status)


def unauthorized(detail: str) -> JsonResponse:
    return problem(401, "Unauthorized", detail)


def forbidden(detail: str = "AuthenticationUnsuccessful") -> JsonResponse:
    return problem(403, "Forbidden", detail)


def api_exception(status: int, error_number: int, type_: str, message: str, **extra) -> JsonResponse:
    """Payroll AU v1 ``APIException``: {"ErrorNumber", "Type", "Message"} (+ the failing objects)."""
    body = {"ErrorNumber": error_number, "Type": type_, "Message": message, **extra}
    return xero_json(body, status=status)


def query_parse_error(message: str) -> JsonResponse:
    # ErrorNumber 16 / QueryParseException: the spec's APIException example.
    return api_exception(400, 16, "QueryParseException", message)


def validation_error(collection: str, elements: list[dict]) -> JsonResponse:
    """Assumption: a payroll 400 carries the failing objects, each with ``ValidationErrors``, under
    the same collection key as a success (``Timesheets``/``Employees``); Accounting puts them under
    ``Elements``. Which Xero does for payroll is UNCONFIRMED (notes §2.7)."""
    return api_exception(
        400, 10, "ValidationException", "A validation exception occurred", **{collection: elements}
    )


def post_data_invalid(message: str) -> JsonResponse:
    """Assumption: a body that cannot be deserialised is ErrorNumber 14 PostDataInvalidException, as
    in the Accounting API; the message text follows Json.NET."""
    return api_exception(400, 14, "PostDataInvalidException", message)


def not_an_array_message(type_name: str) -> str:
    # Verbatim core from a third-party report: "Cannot deserialize the current JSON object into type
    # UpdateTimesheetRequest because the type requires a JSON array" (notes §2.6), in Json.NET's wording.
    return (
        'Cannot deserialize the current JSON object (e.g. {"name":"value"}) into type '
        f"'{type_name}' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly."
    )


def not_found(message: str = "The resource you're looking for cannot be found") -> HttpResponse:
    # Assumption: Xero answers an unknown id with a plain 404 and this short text.
    return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")


def internal_error() -> JsonResponse:
    """Assumption: Xero's classic unhandled-error body (Accounting API wording)."""
    return api_exception(
        500,
        500,
        "UnknownErrorException",
        "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for "
        "current service status. Contact the API support team at api@xero.com for more assistance.",
    )


def offline() -> HttpResponse:
    # Xero's maintenance text (notes §6), plain text.
    return HttpResponse(
        "The Xero API is currently offline for maintenance", status=503, content_type="text/plain"
    )


def load_json(raw: bytes):
    """json.loads, raising ValueError on bad JSON."""
    return json.loads(raw.decode("utf-8-sig") if raw else "null")
