"""Reliability matrix §8, "Bad inputs" B1-B8: the figures each row's pass criterion names.

Everything that talks to Xero runs against the in-repo sandbox in-process (tests/sandbox_http.py),
through the one seam the product has (integrations.services.xero_factory.http_session_factory). The
``xero`` fixture wraps that seam so every request the product sends towards Xero (identity, token
endpoint, Payroll API) is counted, and the sandbox's own records (its RequestLog, the used_at of an
authorisation code) are read as a second witness.
"""

import datetime
import logging
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, quote_from_bytes, urljoin, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.governor import DatabaseGovernor
from integrations.models import PayrollPush, StaffXeroLink, XeroConnection, XeroPayrollCalendar
from integrations.services import xero_factory
from integrations.services.connections import xero_access_token_get, xero_health_check
from integrations.services.payroll_setup import payroll_calendars_refresh
from integrations.xero import XeroClient
from integrations.xero.types import NewEmployee, format_ms_date, parse_ms_date
from staff.models import StaffMember, User
from tests.factories import MembershipFactory
from tests.integrations.sandbox_world import DEMO_XERO_ORG, XERO_USER, connect, make_world
from tests.sandbox_http import XeroTraffic
from timeclamp.tenancy import organization_scope
from timesheets.forms import TIME_INPUT_FORMATS
from timesheets.models import TimeEntry
from xero_sandbox.identity.control import authorize_for_tests
from xero_sandbox.models import AuthorizationCode, Organisation, RequestLog
from xero_sandbox.models import Employee as SandboxEmployee

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

CALLBACK = "/integrations/xero/callback/"
NO_FIXTURE_RESET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


# --- the Xero seam, counted -----------------------------------------------------------------------
@pytest.fixture
def xero(monkeypatch, tmp_path, settings):
    """Demo Cafe on both sides (Timeclamp and the Xero sandbox), its admin logged in, not yet connected.
    Rate limits are lifted (sandbox and our governor) so that the fuzzing below is never paced."""
    organization, client = make_world(monkeypatch, tmp_path, settings)
    traffic = XeroTraffic()
    monkeypatch.setattr(xero_factory, "http_session_factory", traffic.session)
    settings.XERO_SANDBOX_LIMITS = {
        **settings.XERO_SANDBOX_LIMITS,
        "tenant_per_minute": 1_000_000,
        "tenant_per_day": 1_000_000,
        "tenant_in_flight": 1_000,
    }
    monkeypatch.setattr(
        xero_factory,
        "_governor",
        DatabaseGovernor(tmp_path / "unlimited.sqlite3", limit_per_minute=1_000_000, max_in_flight=1_000),
    )
    return SimpleNamespace(organization=organization, client=client, traffic=traffic)


@pytest.fixture
def connected(xero, django_capture_on_commit_callbacks):
    connect(xero.client, xero.organization, django_capture_on_commit_callbacks)
    with organization_scope(xero.organization):
        xero.connection = XeroConnection.objects.get(organization=xero.organization)
    assert xero.connection.status == XeroConnection.Status.ACTIVE
    xero.traffic.clear()
    return xero


def _start_connect(client: Client, organization) -> dict:
    """Press "Connect Xero" and return the authorize URL's query (state, PKCE challenge ...)."""
    response = client.post(f"/o/{organization.slug}/settings/integrations/xero/connect/")
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def _consent(query: dict) -> str:
    """The Xero user says "Allow access" at the sandbox: the authorisation code Xero would send."""
    return authorize_for_tests(
        query["client_id"],
        query["redirect_uri"],
        query["scope"],
        XERO_USER,
        [Organisation.objects.get(name=DEMO_XERO_ORG)],
        query["state"],
        query["code_challenge"],
        nonce=query.get("nonce"),
    )


def _code_used(code: str) -> bool:
    return AuthorizationCode.objects.get(code=code).used_at is not None


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _server_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]


def _denials(caplog) -> list[logging.LogRecord]:
    """Refusals recorded where they are decided (timeclamp.tenancy.security.access_denied)."""
    return [r for r in caplog.records if r.name == "timeclamp.security"]


# --- B1 -------------------------------------------------------------------------------------------
def test_b1_forged_missing_and_other_session_state_are_400_without_a_token_request(xero, caplog):
    """3/3 state cases (the other-session case twice: same user elsewhere, another admin) → 400, each
    denial recorded once in the security log, and the token endpoint is never called: 0 requests
    counted on our side, and the (real) authorisation code is still unused at the sandbox."""
    organization, client, traffic = xero.organization, xero.client, xero.traffic
    query = _start_connect(client, organization)
    code = _consent(query)
    traffic.clear()
    caplog.set_level(logging.WARNING, logger="timeclamp.security")

    # Session 2: the same admin signed in on another browser, then a second admin of the organisation.
    same_user_elsewhere = Client()
    same_user_elsewhere.force_login(User.objects.get(email="admin@demo-cafe.test"))
    other_admin = Client()
    other_admin.force_login(MembershipFactory(organization=organization, role="admin").user)

    statuses = {
        "forged": client.get(CALLBACK, {"code": code, "state": "x" * 43}).status_code,
        "missing": client.get(CALLBACK, {"code": code}).status_code,
        "other session (same user)": same_user_elsewhere.get(
            CALLBACK, {"code": code, "state": query["state"]}
        ).status_code,
        "other session (other admin)": other_admin.get(
            CALLBACK, {"code": code, "state": query["state"]}
        ).status_code,
    }

    assert statuses == dict.fromkeys(statuses, 400)
    assert len(_denials(caplog)) == 4
    assert all(code not in r.getMessage() and query["state"] not in r.getMessage() for r in _denials(caplog))
    assert traffic.token_calls == 0
    assert traffic.total == 0
    assert not _code_used(code)
    assert not _server_errors(caplog)
    with organization_scope(organization):
        assert not XeroConnection.objects.filter(status=XeroConnection.Status.ACTIVE).exists()

    # Control: the state was not spent by the other sessions; the session that started it completes.
    response = client.get(CALLBACK, {"code": code, "state": query["state"]})
    assert response.status_code == 302
    assert traffic.token_calls == 1
    assert _code_used(code)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("access_denied", "Xero access was not granted: nothing changed."),
        ("server_error", "Xero could not complete the sign-in. Please try again."),
    ],
)
def test_b1_error_from_xero_is_a_friendly_message_never_a_500(xero, caplog, error, expected):
    organization, client, traffic = xero.organization, xero.client, xero.traffic
    query = _start_connect(client, organization)
    traffic.clear()

    response = client.get(CALLBACK, {"error": error, "state": query["state"]})

    assert response.status_code == 302
    assert response["Location"] == f"/o/{organization.slug}/settings/integrations/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert expected in page.content.decode()
    assert traffic.total == 0
    assert not _server_errors(caplog)


# --- B2 -------------------------------------------------------------------------------------------
def test_b2_replayed_callback_is_refused_and_the_token_endpoint_is_called_once(xero, caplog):
    organization, client, traffic = xero.organization, xero.client, xero.traffic
    query = _start_connect(client, organization)
    code = _consent(query)
    traffic.clear()
    caplog.set_level(logging.WARNING, logger="timeclamp.security")

    first = client.get(CALLBACK, {"code": code, "state": query["state"]})
    second = client.get(CALLBACK, {"code": code, "state": query["state"]})

    assert (first.status_code, second.status_code) == (302, 400)
    assert len(_denials(caplog)) == 1
    assert traffic.token_calls == 1
    assert not _server_errors(caplog)
    # The replay never reached Xero: had it, Xero would have revoked the tokens issued for this code
    # (RFC 6749 §4.1.2). The connection still works.
    with organization_scope(organization):
        connection = XeroConnection.objects.get(organization=organization)
        assert connection.status == XeroConnection.Status.ACTIVE
        assert xero_health_check(organization=organization) is True


# --- B3 -------------------------------------------------------------------------------------------
KEYS = st.one_of(
    st.sampled_from(["state", "code", "error", "error_description", "scope", "session_state", "next"]),
    st.text(max_size=20),
)
BIG = 10 * 1024
SMALL_VALUES = st.one_of(
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),  # NUL and bytes that are not UTF-8
    st.sampled_from([b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"%00", b"%", b"%zz", b"&", b"="]),
)
BIG_VALUES = st.one_of(
    st.binary(min_size=1, max_size=4).map(lambda b: (b * BIG)[:BIG]),  # 10 KB
    st.text(min_size=1, max_size=3).map(lambda s: (s * BIG)[:BIG].encode("utf-8", "surrogatepass")),
)
VALUES = st.one_of(SMALL_VALUES, BIG_VALUES)


PRINTABLE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=2048)


@st.composite
def callback_queries(draw) -> tuple[bytes, str]:
    """A raw query string (bytes, as a browser could send it) and what to add to it.

    ``noise``: up to 100 params, keys repeated at will, each value percent-encoded or raw. The other
    modes put the real pending state in, next to a code or an error and up to 3 more params, so that
    the deeper branches run: the code exchange at Xero's token endpoint, the error messages."""
    mode = draw(st.sampled_from(["noise", "noise", "state+code", "state+error"]))
    if mode == "noise":
        params = draw(st.lists(st.tuples(KEYS, SMALL_VALUES, st.booleans()), max_size=98))
        params += draw(st.lists(st.tuples(KEYS, BIG_VALUES, st.booleans()), max_size=2))
    else:
        params = draw(st.lists(st.tuples(KEYS, VALUES, st.booleans()), max_size=3))
        name = "code" if mode == "state+code" else "error"
        value = draw(st.one_of(PRINTABLE, VALUES.map(lambda b: b.decode("latin-1")))).encode("latin-1")
        params.append((name, value, False))
    parts = []
    for key, value, raw in draw(st.permutations(params)):
        key_bytes = key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key
        parts.append(key_bytes + b"=" + (value if raw else quote_from_bytes(value, safe="").encode()))
    return b"&".join(parts), mode


def test_b3_malformed_callbacks_never_give_a_server_error(xero, caplog):
    """500 examples of up to 100 params (text, binary, NUL, invalid UTF-8, 10 KB values, repeated keys,
    the real state mixed in): 0 responses >= 500, and every answer is a 400 or the 302 to settings."""
    organization, client = xero.organization, xero.client
    seen = {"examples": 0, "statuses": {}}

    @settings(max_examples=500, deadline=None, suppress_health_check=NO_FIXTURE_RESET, database=None)
    @given(case=callback_queries())
    def run(case):
        raw, mode = case
        if mode != "noise":
            state = _start_connect(client, organization)["state"]
            raw = raw + b"&state=" + state.encode() if raw else b"state=" + state.encode()
        response = client.get(CALLBACK, QUERY_STRING=raw.decode("latin-1"))
        seen["examples"] += 1
        seen["statuses"][response.status_code] = seen["statuses"].get(response.status_code, 0) + 1
        assert response.status_code < 500
        assert response.status_code in (302, 400)

    run()
    assert seen["examples"] >= 500
    assert all(status < 500 for status in seen["statuses"])
    assert not _server_errors(caplog)
    assert xero.traffic.token_calls > 0  # the exchange branch ran (and every code was refused)
    with organization_scope(organization):
        assert not XeroConnection.objects.filter(status=XeroConnection.Status.ACTIVE).exists()


# --- B4 -------------------------------------------------------------------------------------------
def _lands_off_host(location: str, *, host: str = "testserver") -> bool:
    """Where a browser would go with this Location: WHATWG URL parsing trims C0 controls and spaces,
    drops tabs and newlines, reads "\\" as "/", then resolves against the current page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21))))
    cleaned = cleaned.replace("\\", "/")
    target = urlsplit(urljoin(f"https://{host}/accounts/login/", cleaned))
    return target.scheme not in ("http", "https") or (target.hostname or "") != host


def test_b4_the_off_host_check_itself_catches_what_a_browser_would_follow():
    for location in (
        "//evil.example",
        "/\\evil.example",
        " https://evil.example",
        "javascript:x",
        "/\t/evil",
    ):
        assert _lands_off_host(location), location
    for location in ("/", "/o/demo-cafe/timesheets/team/", "/accounts/login/?next=//evil.example"):
        assert not _lands_off_host(location), location


OPEN_REDIRECTS = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/o/demo-cafe/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "///evil.example",
    " //evil.example",
    "/\t/evil.example",
    "https://app@evil.example",
    "https://testserver@evil.example",
    "https://evil.example\\@testserver",
    "https:evil.example",
    "http:/evil.example",
    "%2F%2Fevil.example",
    "%252F%252Fevil.example",
    "/%2F%2Fevil.example",
    "//evil%E3%80%82example",
    "//evil\u3002example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.domain)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "/o/demo-cafe//evil.example",
    "/o/demo-cafe/\\evil.example",
    "/o/demo-cafe/../..//evil.example",
]


def _next_honoured_by_every_view(client_for, organization, payload) -> dict[str, object]:
    """Every view that reads ``next`` (grep: Django's LoginView and LogoutView, and
    timesheets.views._helpers.safe_next used by the approve action), with ``payload`` as ``next``."""
    from tests.factories import UserFactory

    password = "correct horse battery staple"
    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role="admin")
    results = {}
    anonymous = client_for(None)
    results["login POST body"] = anonymous.post(
        "/accounts/login/", {"username": user.email, "password": password, "next": payload}
    )
    anonymous = client_for(None)
    results["login POST ?next="] = anonymous.post(
        f"/accounts/login/?next={quote(payload, safe='')}", {"username": user.email, "password": password}
    )
    results["login GET, already signed in"] = client_for(user).get("/accounts/login/", {"next": payload})
    results["logout POST"] = client_for(user).post("/accounts/logout/", {"next": payload})
    approve = f"/o/{organization.slug}/timesheets/entries/approve/"
    results["approve POST body"] = client_for(user).post(approve, {"next": payload, "entry": "0"})
    results["approve POST ?next="] = client_for(user).post(f"{approve}?next={quote(payload, safe='')}")
    return results


@pytest.mark.parametrize("payload", OPEN_REDIRECTS)
def test_b4_no_next_ever_redirects_off_host(organization, payload):
    """26 payloads × 6 entry points: 0 redirects off-host (every answer is a redirect, on this host)."""

    def client_for(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    results = _next_honoured_by_every_view(client_for, organization, payload)

    assert len(results) == 6
    for name, response in results.items():
        assert response.status_code == 302, name
        assert not _lands_off_host(response["Location"]), f"{name}: {response['Location']}"


def test_b4_the_callback_has_no_next_to_follow(connected):
    """The Xero callback ignores ``next``: it always lands on this organisation's settings page."""
    query = _start_connect(connected.client, connected.organization)
    code = _consent(query)
    response = connected.client.get(
        CALLBACK, {"code": code, "state": query["state"], "next": "https://evil.example"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/o/{connected.organization.slug}/settings/integrations/"


# --- B5 -------------------------------------------------------------------------------------------
# Hours are not typed on the time-entry form: they come from a start time, a finish time, "finishes
# next day" and whole minutes of unpaid break (timesheets/forms.py TimeEntryForm). Those four are
# fuzzed here. The only place where hours are typed is "overtime after N hours" in the payroll
# settings (integrations/views/payroll.py); it has its own test below.

MAX_BREAK = 8 * 60
DAY = 24 * 60
DST_SLACK = 60  # a shift across a daylight-saving change is an hour longer or shorter than its clock


def _parse_time(text: str) -> datetime.time | None:
    for fmt in TIME_INPUT_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), fmt).time()  # noqa: DTZ007 - a wall clock
        except ValueError:
            continue
    return None


def _parse_date(text: str) -> datetime.date | None:
    from django.utils import formats

    for fmt in formats.get_format("DATE_INPUT_FORMATS"):
        try:
            return datetime.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def _whole_minutes(text: str) -> int | None:
    """The break as a whole number of minutes, or None when it is not one (NaN, Inf, 1.5, words)."""
    text = text.strip()
    if text == "":
        return 0
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value():
        return None
    return int(value)


def _float_text(value: float) -> st.SearchStrategy[str]:
    return st.sampled_from([repr(value), str(value), f"{value:.3f}", f"{value:.5f}"])


PLAUSIBLE_BREAK = st.integers(min_value=0, max_value=90).map(str)
BREAK_TEXT = st.one_of(
    PLAUSIBLE_BREAK,
    PLAUSIBLE_BREAK,
    PLAUSIBLE_BREAK,
    st.integers(min_value=0, max_value=600).map(str),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).flatmap(_float_text),
    st.decimals(places=3, min_value=-1000, max_value=1000, allow_nan=False).map(str),
    st.sampled_from(
        [
            "nan",
            "NaN",
            "inf",
            "-inf",
            "Infinity",
            "1e9",
            "1e-9",
            "1E3",
            "30.5",
            "30.125",
            "0.001",
            "",
            " ",
            "thirty",
            "30 min",
            "0x1e",
            "３０",
            "30\x00",
            "-0",
            "+30",
            "30.0",
            "30.00",
            "-1",
            "481",
            "480",
            "1e309",
            "9" * 5000,
        ]
    ),
    st.text(max_size=12),
)
BAD_TIMES = st.one_of(
    st.sampled_from(
        [
            "25:00",
            "24:00",
            "12:60",
            "-1:00",
            "nan",
            "inf",
            "1e9",
            "9.999",
            "99:99",
            "12:30:99",
            "",
            "noon",
            "13:00 pm",
            "0:00 xm",
            "\x0012:00",
            "12:00\x00",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=10),
).filter(lambda text: _parse_time(text) is None)


@st.composite
def clock_time(draw) -> tuple[str, datetime.time | None]:
    if draw(st.integers(0, 9)) == 0:
        return draw(BAD_TIMES), None
    at = datetime.time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    shown = draw(st.sampled_from(["%H:%M", "%I:%M %p", "%H%M"]))
    return at.strftime(shown), at


@st.composite
def entry_inputs(draw, today: datetime.date) -> dict:
    if draw(st.integers(0, 9)) == 0:
        work_date = draw(
            st.one_of(
                st.sampled_from(
                    ["2024-13-01", "2026-02-30", "", "nan", "1e9", "-1", "tomorrow", "31/02/2026"]
                ),
                st.text(max_size=12),
                st.integers(min_value=2, max_value=40).map(lambda d: today + datetime.timedelta(days=d)),
                st.integers(min_value=367, max_value=5000).map(lambda d: today - datetime.timedelta(days=d)),
            ).map(lambda d: d.isoformat() if isinstance(d, datetime.date) else d)
        )
    else:
        work_date = (today - datetime.timedelta(days=draw(st.integers(-1, 20)))).isoformat()
    start_text, start = draw(clock_time())
    end_text, end = draw(clock_time())
    return {
        "work_date": work_date,
        "start_time": start_text,
        "start": start,
        "end_time": end_text,
        "end": end,
        "ends_next_day": draw(st.booleans()),
        "break_minutes": draw(BREAK_TEXT),
    }


def _must_be_refused(data: dict, today: datetime.date) -> str:
    """Why these inputs can never make a valid entry ("" when they might)."""
    day = _parse_date(data["work_date"])
    if day is None:
        return "not a date"
    if not today - datetime.timedelta(days=366) <= day <= today + datetime.timedelta(days=1):
        return "date out of range"
    if data["start"] is None or data["end"] is None:
        return "not a time"
    brk = _whole_minutes(data["break_minutes"])
    if brk is None:
        return "break is not a whole number of minutes"
    if not 0 <= brk <= MAX_BREAK:
        return "break out of range"
    clock = (
        datetime.datetime.combine(day, data["end"]) - datetime.datetime.combine(day, data["start"])
    ).total_seconds() // 60 + (DAY if data["ends_next_day"] else 0)
    if clock + DST_SLACK <= 0:
        return "finishes before it starts"
    if clock - DST_SLACK > DAY:
        return "more than 24 hours"
    if brk >= clock + DST_SLACK:
        return "break as long as the shift"
    return ""


def _post_entry(client, organization, staff_member, data: dict):
    form = {k: data[k] for k in ("work_date", "start_time", "end_time", "break_minutes")}
    if data["ends_next_day"]:
        form["ends_next_day"] = "on"
    # As the week page sends it (htmx): the answer is the form fragment, or HX-Redirect when saved.
    return client.post(
        f"/o/{organization.slug}/timesheets/staff/{staff_member.pk}/entries/add/",
        form,
        headers={"HX-Request": "true"},
    )


def _check_accepted(entry: TimeEntry, data: dict, tz) -> None:
    """An accepted entry holds exactly what was typed, and its hours are in range."""
    start, end = entry.start_at.astimezone(tz), entry.end_at.astimezone(tz)
    assert entry.work_date == _parse_date(data["work_date"])
    assert (start.hour, start.minute) == (data["start"].hour, data["start"].minute)
    assert (end.hour, end.minute) == (data["end"].hour, data["end"].minute)
    shift = int((entry.end_at - entry.start_at).total_seconds() // 60)
    assert 0 < shift <= DAY
    assert entry.break_minutes == _whole_minutes(data["break_minutes"])
    assert 0 <= entry.break_minutes <= MAX_BREAK
    assert entry.break_minutes < shift
    assert entry.minutes == shift - entry.break_minutes
    assert 0 < entry.minutes <= DAY


@pytest.fixture
def fresh_person(connected):
    from tests.factories import StaffMemberFactory

    with organization_scope(connected.organization):
        return StaffMemberFactory(organization=connected.organization, start_date=datetime.date(2020, 1, 1))


def _form_and_service(organization, actor, staff_member, data: dict) -> TimeEntry | None:
    """What the entry view does, without HTTP: the form cleans the text, the service saves."""
    from timeclamp.exceptions import ApplicationError
    from timesheets.forms import TimeEntryForm
    from timesheets.services import time_entry_create

    form_data = {k: data[k] for k in ("work_date", "start_time", "end_time", "break_minutes")}
    if data["ends_next_day"]:
        form_data["ends_next_day"] = "on"
    form = TimeEntryForm(form_data)
    if not form.is_valid():
        assert form.errors
        return None
    try:
        return time_entry_create(
            organization=organization, actor=actor, staff_member=staff_member, **form.service_kwargs()
        )
    except ApplicationError:
        return None  # a field error or a refusal with a message: what the view shows on the form


def test_b5_entry_form_and_service_accept_nothing_invalid_over_1000_examples(connected, fresh_person):
    """1,000 hypothesis examples (about 8 s) of date, start, finish, "next day" and break through
    TimeEntryForm and time_entry_create: 0 invalid inputs accepted, 0 exceptions other than the
    service's field errors, every accepted entry holds exactly what was typed with 0 < hours <= 24
    and a whole-minute break, and 0 requests reach Xero (connected organisation)."""
    organization = connected.organization
    actor = User.objects.get(email="admin@demo-cafe.test")
    today, tz = organization.today(), organization.tzinfo
    logged_before = RequestLog.objects.count()
    tally = {"examples": 0, "accepted": 0, "invalid refused": 0}

    @settings(max_examples=1000, deadline=None, suppress_health_check=NO_FIXTURE_RESET, database=None)
    @given(data=entry_inputs(today))
    def run(data):
        why_invalid = _must_be_refused(data, today)
        with transaction.atomic(), organization_scope(organization):
            entry = _form_and_service(organization, actor, fresh_person, data)
            tally["examples"] += 1
            if entry is not None:
                tally["accepted"] += 1
                assert not why_invalid, f"accepted although {why_invalid}: {data!r}"
                entry.refresh_from_db()
                _check_accepted(entry, data, tz)
            else:
                assert not TimeEntry.objects.filter(staff_member=fresh_person).exists()
                tally["invalid refused"] += bool(why_invalid)
            transaction.set_rollback(True)

    run()
    assert tally["examples"] >= 1000
    assert tally["accepted"] >= 40, tally  # both sides were exercised
    assert tally["invalid refused"] >= 300, tally
    assert connected.traffic.total == 0
    assert RequestLog.objects.count() == logged_before


def test_b5_entry_view_fuzz_never_errors_and_accepts_nothing_invalid(connected, fresh_person, caplog):
    """150 hypothesis examples (about 6 s) through the entry view over HTTP (htmx, as the week page
    sends it): 0 responses >= 500, 0 invalid inputs saved, and 0 requests reach Xero. The 1,000
    examples are the form-and-service test above; this one proves the view adds no server error."""
    organization, client = connected.organization, connected.client
    today, tz = organization.today(), organization.tzinfo
    logged_before = RequestLog.objects.count()
    tally = {"examples": 0, "accepted": 0, "invalid refused": 0}

    @settings(max_examples=150, deadline=None, suppress_health_check=NO_FIXTURE_RESET, database=None)
    @given(data=entry_inputs(today))
    def run(data):
        why_invalid = _must_be_refused(data, today)
        with transaction.atomic():
            response = _post_entry(client, organization, fresh_person, data)
            assert response.status_code < 500
            with organization_scope(organization):
                entries = list(TimeEntry.objects.filter(staff_member=fresh_person))
            tally["examples"] += 1
            if "HX-Redirect" in response.headers:
                tally["accepted"] += 1
                assert not why_invalid, f"accepted although {why_invalid}: {data!r}"
                assert len(entries) == 1
                _check_accepted(entries[0], data, tz)
            else:
                assert response.status_code == 200  # the form again, with the field errors
                assert response.context["form"].errors
                assert entries == []
                tally["invalid refused"] += bool(why_invalid)
            transaction.set_rollback(True)

    run()
    assert tally["examples"] >= 150
    assert tally["accepted"] >= 5, tally
    assert tally["invalid refused"] >= 50, tally
    assert not _server_errors(caplog)
    assert connected.traffic.total == 0
    assert RequestLog.objects.count() == logged_before


NOT_WHOLE_MINUTES = [
    float("nan"),
    float("inf"),
    float("-inf"),
    1e9,
    1.5,
    30.25,
    Decimal("30.125"),
    "30",
    True,
]


def test_b5_service_refuses_a_break_that_is_not_whole_minutes(organization, admin_member):
    """The service is the last line (house style: services validate exhaustively): a break of NaN,
    Inf, 1e9, 1.5, 30.125, "30" or True is a field error on break_minutes, never another exception
    and never a saved entry."""
    from tests.factories import StaffMemberFactory
    from timeclamp.exceptions import ApplicationError
    from timesheets.services import time_entry_create

    person = StaffMemberFactory(organization=organization, start_date=datetime.date(2020, 1, 1))
    day = organization.today() - datetime.timedelta(days=1)
    outcome = {}
    for value in NOT_WHOLE_MINUTES:
        try:
            with transaction.atomic():
                time_entry_create(
                    organization=organization,
                    actor=admin_member.user,
                    staff_member=person,
                    work_date=day,
                    start_time=datetime.time(9),
                    end_time=datetime.time(17),
                    break_minutes=value,
                )
                outcome[repr(value)] = "saved"
                transaction.set_rollback(True)
        except ApplicationError as exc:
            outcome[repr(value)] = (
                "field error" if "break_minutes" in exc.extra.get("fields", {}) else "error"
            )
        except Exception as exc:
            outcome[repr(value)] = type(exc).__name__
    assert outcome == dict.fromkeys(outcome, "field error")
    assert not TimeEntry.objects.filter(staff_member=person).exists()


def test_b5_a_day_never_holds_more_than_24_hours(connected, fresh_person):
    """00:00-23:30 and 23:30-23:00 (finishes next day) do not overlap, but both are dated the same
    day: 46 worked hours on one day of the timesheet. The second must be refused."""
    organization, client = connected.organization, connected.client
    day = organization.today() - datetime.timedelta(days=3)
    first = {"work_date": day.isoformat(), "start_time": "00:00", "end_time": "23:30", "break_minutes": "0"}
    second = first | {"start_time": "23:30", "end_time": "23:00", "ends_next_day": True}
    for data in (first, second):
        _post_entry(client, organization, fresh_person, {"ends_next_day": False} | data)
    with organization_scope(organization):
        minutes = sum(
            TimeEntry.objects.filter(staff_member=fresh_person, work_date=day).values_list(
                "minutes", flat=True
            )
        )
    assert minutes <= DAY


def _overtime_cases() -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).flatmap(_float_text),
        st.decimals(places=4, min_value=-100, max_value=100, allow_nan=False).map(str),
        st.sampled_from(["nan", "inf", "-1", "0", "24.01", "1e9", "eight", "8h", "7.6", "7.60", "\x008"]),
        st.text(max_size=8),
    )


def _typed_hours(text: str) -> Decimal | None:
    """Hours as a person types them: a number with at most 2 decimals, more than 0 and at most 24."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value.as_tuple().exponent < -2 or not 0 < value <= 24:
        return None
    return value


def _post_overtime(client, organization, text: str, rate_id: str):
    return client.post(
        f"/o/{organization.slug}/settings/integrations/payroll/",
        {"send_as": "DRAFT", "overtime_after_hours": text, "overtime_earnings_rate_id": rate_id},
    )


def test_b5_typed_overtime_hours_refuse_nan_inf_out_of_range_and_words(organization, admin_client):
    """The one field where hours are typed (Settings > Integrations, "overtime after N hours"):
    200 examples, 0 responses >= 500, and no NaN, Inf, <= 0, > 24 or non-number is ever saved."""
    from integrations.models import PayrollSettings, XeroEarningsRate

    XeroEarningsRate.objects.create(
        organization=organization, tenant_id="t", earnings_rate_id="ot", name="OT"
    )

    @settings(max_examples=200, deadline=None, suppress_health_check=NO_FIXTURE_RESET, database=None)
    @given(text=_overtime_cases())
    def run(text):
        with transaction.atomic():
            response = _post_overtime(admin_client, organization, text, "ot")
            assert response.status_code == 302
            saved = PayrollSettings.objects.filter(organization=organization).first()
            minutes = saved.overtime_after_minutes if saved else None
            try:
                number = float(text)
            except ValueError:
                number = None
            if minutes is not None:
                assert number is not None, repr(text)
                assert math.isfinite(number), repr(text)
                assert 0 < number <= 24, repr(text)
                assert minutes == round(number * 60) <= DAY, repr(text)
            transaction.set_rollback(True)

    run()


def test_b5_typed_overtime_hours_with_more_than_two_decimals_are_refused(organization, admin_client):
    from integrations.models import PayrollSettings, XeroEarningsRate

    XeroEarningsRate.objects.create(
        organization=organization, tenant_id="t", earnings_rate_id="ot", name="OT"
    )
    saved = {}
    for text in ("7.666", "0.001", "8.125", "1e-9"):
        with transaction.atomic():
            _post_overtime(admin_client, organization, text, "ot")
            row = PayrollSettings.objects.filter(organization=organization).first()
            saved[text] = row.overtime_after_minutes if row else None
            transaction.set_rollback(True)
    assert saved == dict.fromkeys(saved)


# --- B6 -------------------------------------------------------------------------------------------
def _calendars(connected) -> list[XeroPayrollCalendar]:
    with organization_scope(connected.organization):
        calendars = payroll_calendars_refresh(organization=connected.organization)
    connected.traffic.clear()
    return calendars


def _period_value(start: datetime.date, end: datetime.date) -> str:
    return f"{start.isoformat()}_{end.isoformat()}"


def _push_form_cases(calendars: list[XeroPayrollCalendar], today: datetime.date) -> list[tuple[str, dict]]:
    from integrations.periods import period_containing

    weekly = next(c for c in calendars if c.calendar_type == "WEEKLY")
    other = next(c for c in calendars if c.calendar_type != "WEEKLY")
    p = period_containing(
        calendar_type="WEEKLY", start_date=weekly.start_date, day=today - datetime.timedelta(days=7)
    )
    q = period_containing(calendar_type=other.calendar_type, start_date=other.start_date, day=today)
    one = datetime.timedelta(days=1)
    cal = weekly.calendar_id
    return [
        (
            "shifted a day (not a pay period)",
            {"calendar": cal, "period": _period_value(p.start + one, p.end + one)},
        ),
        (
            "overlapping by three days",
            {"calendar": cal, "period": _period_value(p.start + 3 * one, p.end + 3 * one)},
        ),
        (
            "two weeks on a weekly calendar",
            {"calendar": cal, "period": _period_value(p.start, p.end + 7 * one)},
        ),
        ("one day short", {"calendar": cal, "period": _period_value(p.start, p.end - one)}),
        ("end before start", {"calendar": cal, "period": _period_value(p.end, p.start)}),
        (
            "end before start, same length",
            {"calendar": cal, "period": _period_value(p.start, p.start - 6 * one)},
        ),
        ("another calendar's period", {"calendar": cal, "period": _period_value(q.start, q.end)}),
        ("month 13", {"calendar": cal, "period": "2024-13-01_2024-13-07"}),
        ("February 30", {"calendar": cal, "period": "2026-02-24_2026-02-30"}),
        ("one date", {"calendar": cal, "period": p.start.isoformat()}),
        ("three dates", {"calendar": cal, "period": f"{_period_value(p.start, p.end)}_{p.end.isoformat()}"}),
        ("empty period", {"calendar": cal, "period": ""}),
        ("no period", {"calendar": cal}),
        ("garbage", {"calendar": cal, "period": "garbage"}),
        ("NUL", {"calendar": cal, "period": "\x00"}),
        ("10 KB", {"calendar": cal, "period": "9" * 10_240}),
        (
            "unknown calendar",
            {"calendar": "00000000-0000-0000-0000-000000000000", "period": _period_value(p.start, p.end)},
        ),
        ("empty calendar", {"calendar": "", "period": _period_value(p.start, p.end)}),
        ("no calendar", {"period": _period_value(p.start, p.end)}),
        ("calendar 10 KB", {"calendar": cal * 300, "period": _period_value(p.start, p.end)}),
    ]


def test_b6_push_form_refuses_periods_that_are_not_pay_periods(connected, caplog):
    """20 bad calendar/period pairs POSTed to Timesheets > $Payroll > Share: 20/20 refused with a
    message (a redirect back, never a 500), 0 PayrollPush rows, 0 requests to Xero."""
    organization, client = connected.organization, connected.client
    calendars = _calendars(connected)
    cases = _push_form_cases(calendars, organization.today())
    url = f"/o/{organization.slug}/timesheets/payroll/push/"
    refused = {}
    for name, data in cases:
        response = client.post(url, data)
        shown = _messages(response)
        refused[name] = (
            response.status_code == 302
            and "/timesheets/payroll/pushes/" not in response["Location"]
            and any("pay period" in text or "payroll calendar" in text for text in shown)
        )
    assert len(refused) == 20
    assert refused == dict.fromkeys(refused, True)
    with organization_scope(organization):
        assert PayrollPush.objects.count() == 0
    assert connected.traffic.total == 0
    assert not _server_errors(caplog)

    # Control: the same form with a real pay period is accepted (so the refusals above are the rules).
    from integrations.periods import period_containing

    weekly = next(c for c in calendars if c.calendar_type == "WEEKLY")
    p = period_containing(calendar_type="WEEKLY", start_date=weekly.start_date, day=organization.today())
    with transaction.atomic():
        response = client.post(url, {"calendar": weekly.calendar_id, "period": _period_value(p.start, p.end)})
        assert "/timesheets/payroll/pushes/" in response["Location"]
        transaction.set_rollback(True)


def test_b6_the_payroll_page_survives_bad_calendar_and_period_parameters(connected, caplog):
    """The GET side of the same choice: bad ?calendar= and ?period= fall back to a real pay period."""
    organization, client = connected.organization, connected.client
    calendars = _calendars(connected)
    for name, data in _push_form_cases(calendars, organization.today()):
        response = client.get(f"/o/{organization.slug}/timesheets/payroll/", data)
        assert response.status_code == 200, name
        period = response.context["period"]
        calendar = response.context["calendar"]
        from integrations.periods import is_pay_period

        assert is_pay_period(
            calendar_type=calendar.calendar_type,
            start_date=calendar.start_date,
            period_start=period.start,
            period_end=period.end,
        ), name
    assert not _server_errors(caplog)


# --- B7 -------------------------------------------------------------------------------------------
def _client_for(connected) -> tuple[XeroClient, str]:
    """Our Xero client on the organisation's tenant, and its access token (the same construction as
    xero_factory, without the pacing hooks: those are tested elsewhere)."""
    with organization_scope(connected.organization):
        token = xero_access_token_get(organization=connected.organization)
    client = XeroClient(
        access_token=token,
        tenant_id=connected.connection.tenant_id,
        api_url=django_settings.XERO_API_URL,
        session=connected.traffic.session(),
    )
    return client, token


BOUNDARY_DATES = [
    datetime.date(1900, 1, 1),
    datetime.date(1900, 2, 28),
    datetime.date(1900, 3, 1),
    datetime.date(1969, 12, 31),
    datetime.date(1970, 1, 1),
    datetime.date(1970, 1, 2),
    datetime.date(1999, 12, 31),
    datetime.date(2000, 2, 29),
    datetime.date(2000, 3, 1),
    datetime.date(2038, 1, 19),
]


def test_b7_1000_dates_of_birth_round_trip_exactly_through_our_encoding_and_the_sandbox(connected):
    """1,000 hypothesis dates 1900-01-01..today (about 3 s). Each is encoded as /Date(ms+0000)/ by
    our types and decoded back exactly; then all 1,000 are sent to the sandbox as new employees'
    DateOfBirth (POSTs of 100, as Xero takes arrays) and read back through our client's paged
    GET /Employees and from the sandbox's stored rows. Mismatches: 0 of 1,000. Our client's own
    create_employee + get_employee path is run on the boundary dates (1900-01-01, the epoch, leap days,
    2038-01-19, today)."""
    client, token = _client_for(connected)
    today = connected.organization.today()
    days: list[datetime.date] = []

    @settings(max_examples=1000, deadline=None, suppress_health_check=NO_FIXTURE_RESET, database=None)
    @given(day=st.dates(min_value=datetime.date(1900, 1, 1), max_value=today))
    def run(day):
        encoded = format_ms_date(day)
        assert re.fullmatch(r"/Date\(-?\d+\+0000\)/", encoded)
        assert parse_ms_date(encoded) == day
        assert (
            NewEmployee(first_name="A", last_name="B", date_of_birth=day).to_api()["DateOfBirth"] == encoded
        )
        days.append(day)

    run()
    assert len(days) >= 1000

    session = connected.traffic.session()
    url = f"{django_settings.XERO_API_URL}/payroll.xro/1.0/Employees"
    headers = {
        "Authorization": f"Bearer {token}",
        "Xero-Tenant-Id": client.tenant_id,
        "Accept": "application/json",
    }
    for i in range(0, len(days), 100):
        batch = [
            NewEmployee(first_name="Round", last_name=f"Trip {n}", date_of_birth=day).to_api()
            for n, day in enumerate(days[i : i + 100], start=i)
        ]
        assert session.post(url, json=batch, headers=headers).status_code == 200
    read_back = {e.last_name: e.date_of_birth for e in client.iter_employees() if e.first_name == "Round"}
    stored = dict(
        SandboxEmployee.objects.filter(first_name="Round").values_list("last_name", "date_of_birth")
    )
    mismatches = [
        (day, read_back.get(f"Trip {n}"), stored.get(f"Trip {n}"))
        for n, day in enumerate(days)
        if not read_back.get(f"Trip {n}") == stored.get(f"Trip {n}") == day
    ]
    assert len(read_back) == len(days)
    assert mismatches == []

    for day in [*BOUNDARY_DATES, today]:
        created = client.create_employee(
            NewEmployee(first_name="Edge", last_name=day.isoformat(), date_of_birth=day)
        )
        assert (created.date_of_birth, client.get_employee(created.employee_id).date_of_birth) == (day, day)


INVALID_DATES_OF_BIRTH = [
    ("tomorrow", None),
    ("future", "2999-01-01"),
    ("1800", "1800-01-01"),
    ("1899-12-31", "1899-12-31"),
    ("Feb 30", "1990-02-30"),
    ("Feb 29 in a common year", "2023-02-29"),
    ("month 13", "2024-13-01"),
    ("month 0", "2024-00-10"),
    ("day 32", "1990-01-32"),
    ("31/02 (AU format)", "31/02/1990"),
    ("US format", "12/25/1990"),
    ("slashes, year first", "1990/03/04"),
    ("words", "3 March 1990"),
    ("word", "soon"),
    ("empty", ""),
    ("spaces", "   "),
    ("NUL", "1990-03-04\x00"),
    ("number", "1e9"),
    ("year only", "1990"),
    ("10 KB", "1990-03-04" * 1024),
]


def _staff_form(**overrides) -> dict:
    return {
        "first_name": "Jane",
        "middle_names": "",
        "last_name": "Citizen",
        "date_of_birth": "1990-03-04",
        "email": "",
        "employee_code": "",
        "start_date": "",
        "is_active": "on",
        "user": "",
    } | overrides


def test_b7_invalid_dates_of_birth_are_all_refused_on_the_field(organization, admin_client):
    """20 invalid dates of birth (future, 1800, Feb 30, 2024-13-01, wrong formats ...) through Staff >
    Add: 20/20 refused with an error on date_of_birth, 0 staff rows; the valid boundaries are kept."""
    url = reverse("staff:new", kwargs={"org_slug": organization.slug})
    tomorrow = (organization.today() + datetime.timedelta(days=1)).isoformat()
    refused = {}
    for name, value in INVALID_DATES_OF_BIRTH:
        response = admin_client.post(url, _staff_form(date_of_birth=tomorrow if value is None else value))
        refused[name] = response.status_code == 200 and bool(
            response.context["form"].errors.get("date_of_birth")
        )
    assert len(refused) == 20
    assert refused == dict.fromkeys(refused, True)
    assert StaffMember.objects.count() == 0

    for value in ("1900-01-01", organization.today().isoformat(), "04/03/1990"):
        response = admin_client.post(url, _staff_form(date_of_birth=value, last_name=f"Boundary {value[:4]}"))
        assert response.status_code == 302, (value, response.context and response.context["form"].errors)
    assert StaffMember.objects.count() == 3


# --- B8 -------------------------------------------------------------------------------------------
READABLE = [
    "Zoë",
    "José",
    "Jose\u0301",
    "Ñu\u0303",
    "A\u030a",
    "\u212bngström",
    "\u212a",
    "\u0958",  # NFD, singletons
    "\u1100\u1161",
    "가",
    "ﬁona",  # jamo that compose, a ligature NFC keeps
    "😀",
    "👩🏽\u200d🚀",
    "❤️",
    "🇦🇺",  # emoji, skin tone, ZWJ sequence, variation selector, flag
    "محمد",
    "דוד",
    "عبد الله",  # right-to-left
    "Z\u0351\u0337\u0352\u0327\u0338a\u035b\u0316lgo",
    "e" + "\u0301" * 30,  # stacked combining marks
    "O'Brien",
    "Smith-Jones",
    "van der Berg",
    "Nguyễn",
    "Łukasz",
    "Ōtsuka",
    "Ærøskøbing",
    "李",
    "Дмитрий",
    "Αλέξανδρος",
    "ሰላም",
    "ภูมิ",
    "\U00020000",
]
UNREADABLE = [
    "\u202eevil\u202c",
    "\u200f",
    "\u061c",  # bidi controls
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",  # zero-width
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\ue000",
    "\U000e0041",
    "\U0010ffff",  # controls, PUA, tags
]
SPACES = [" ", "  ", "\t", "\u00a0", "\u3000", "\u2003", "\n", "\r\n"]
NAME_PIECES = st.one_of(
    st.text(max_size=12),  # any code point hypothesis likes (not lone surrogates)
    st.sampled_from(READABLE + UNREADABLE + SPACES),
    st.integers(min_value=30, max_value=500).map(lambda n: ("Ab\u0301" * n)[:n]),  # up to 500 chars
)
READABLE_NAMES = st.tuples(
    st.sampled_from(["", " ", "  ", "\u00a0", "\u3000"]),
    st.lists(st.sampled_from(READABLE), min_size=1, max_size=3),
    st.sampled_from(["", " ", "\t", "\u2003"]),
).map(lambda t: t[0] + " ".join(t[1]) + t[2])
NAMES = st.one_of(READABLE_NAMES, READABLE_NAMES, st.lists(NAME_PIECES, max_size=4).map("".join))


def _tidied(value: str) -> str:
    """What a name should be stored as if it is accepted: NFC, runs of spaces as one, no space around."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def test_b8_unicode_names_are_stored_and_sent_to_xero_as_nfc_never_a_500(connected, caplog):
    """500 hypothesis first/last name pairs (emoji, RTL, combining marks, zero-width, NUL, up to 500
    characters, leading and trailing spaces) through Staff > Add (about 15 s): 0 responses >= 500;
    every accepted name is stored NFC, tidied and within 35 characters, and names with NUL or more
    than 35 characters are refused on the field. For the first 25 accepted pairs, "Create in Xero" is
    pressed: the sandbox's stored employee names equal ours byte for byte (UTF-8), and are NFC."""
    organization, client = connected.organization, connected.client
    url = reverse("staff:new", kwargs={"org_slug": organization.slug})
    tally = {"examples": 0, "accepted": 0, "refused": 0, "sent to Xero": 0}

    @settings(max_examples=500, deadline=None, suppress_health_check=NO_FIXTURE_RESET, database=None)
    @given(first=NAMES, last=NAMES)
    def run(first, last):
        with transaction.atomic():
            with organization_scope(organization):
                newest_before = StaffMember.objects.order_by("-pk").values_list("pk", flat=True).first()
            response = client.post(url, _staff_form(first_name=first, last_name=last))
            assert response.status_code < 500
            tally["examples"] += 1
            with organization_scope(organization):
                added = list(StaffMember.objects.filter(pk__gt=newest_before))
            if response.status_code == 302:
                tally["accepted"] += 1
                assert len(added) == 1, (first, last)
                member = added[0]
                for typed, stored in ((first, member.first_name), (last, member.last_name)):
                    assert stored == unicodedata.normalize("NFC", stored)
                    assert stored == _tidied(typed)
                    assert 0 < len(stored) <= 35
                    assert "\x00" not in typed
                if tally["sent to Xero"] < 25:
                    _create_in_xero_and_compare(connected, member)
                    tally["sent to Xero"] += 1
            else:
                tally["refused"] += 1
                assert added == []
                errors = response.context["form"].errors
                assert errors.get("first_name") or errors.get("last_name"), errors
                too_long_or_nul = [n for n in (first, last) if "\x00" in n or len(_tidied(n)) > 35]
                for name in too_long_or_nul:
                    assert errors.get("first_name" if name is first else "last_name"), (name, errors)
            transaction.set_rollback(True)

    run()
    assert tally["examples"] >= 500
    assert tally["accepted"] >= 25, tally
    assert tally["refused"] >= 100, tally
    assert tally["sent to Xero"] == 25
    assert not _server_errors(caplog)


def _create_in_xero_and_compare(connected, member: StaffMember) -> None:
    url = reverse(
        "integrations:staff_matching_create",
        kwargs={"org_slug": connected.organization.slug, "staff_member_id": member.pk},
    )
    response = connected.client.post(url)
    assert response.status_code == 302, _messages(response)
    with organization_scope(connected.organization):
        link = StaffXeroLink.objects.select_related("xero_employee").get(staff_member=member)
    in_xero = SandboxEmployee.objects.get(employee_id=link.xero_employee.employee_id)
    for ours, theirs in ((member.first_name, in_xero.first_name), (member.last_name, in_xero.last_name)):
        assert theirs.encode("utf-8") == ours.encode("utf-8")
        assert theirs == unicodedata.normalize("NFC", theirs)
    assert (link.xero_employee.first_name, link.xero_employee.last_name) == (
        member.first_name,
        member.last_name,
    )
