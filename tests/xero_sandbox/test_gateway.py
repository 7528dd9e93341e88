"""The sandbox's front door: authentication, tenant and scope checks, rate limits, idempotency,
faults, latency and the request log, as Xero behaves (xero-api-notes.md §0, §5, §6)."""

import datetime
import uuid

import pytest
import requests
import time_machine
from django.conf import settings
from django.utils import timezone

from xero_sandbox import gateway
from xero_sandbox.control import api as control
from xero_sandbox.models import Connection, IdempotencyRecord, InFlight, RequestLog, Timesheet

from .payroll_support import XeroApi, build_world, week_timesheet

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

LIMITS = {"tenant_per_minute": 60, "tenant_in_flight": 5, "tenant_per_day": 5000, "app_per_minute": 10000}


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def api(world):
    return XeroApi(world)


@pytest.fixture
def limits(settings):
    def set_limits(**values):
        settings.XERO_SANDBOX_LIMITS = {**LIMITS, "latency_ms": 0, **values}

    set_limits()
    return set_limits


def _problem(response, status, title, detail):
    assert response.status_code == status
    body = response.json()
    assert body["Type"] is None
    assert body["Title"] == title
    assert body["Status"] == status
    assert body["Detail"] == detail
    uuid.UUID(body["Instance"])
    assert body["Extensions"] == {}


# --- authentication ------------------------------------------------------------------------------


def test_missing_bearer_token_is_401(api):
    _problem(api.get("Employees", token=""), 401, "Unauthorized", "AuthenticationUnsuccessful")


def test_garbage_token_is_401(api):
    _problem(api.get("Employees", token="not-a-jwt"), 401, "Unauthorized", "AuthenticationUnsuccessful")


def test_expired_token_is_401_token_expired(api):
    api.token  # issued now  # noqa: B018
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        response = api.get("Employees")
    assert response.status_code == 401
    assert response.json()["Detail"].startswith("TokenExpired: token expired at ")


def test_revoked_grant_is_401(api, world):
    control.revoke_grant(user_email=world.user.email, client_id=world.app.client_id)
    _problem(api.get("Employees"), 401, "Unauthorized", "AuthenticationUnsuccessful")


# --- tenant ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tenant", ["", "not-a-guid", str(uuid.uuid4())])
def test_missing_or_unknown_tenant_is_403(api, tenant):
    response = api.get("Employees", tenant=tenant)  # "": no Xero-Tenant-Id header at all
    _problem(response, 403, "Forbidden", "AuthenticationUnsuccessful")


def test_removed_connection_is_403_but_other_tenants_still_work(api, world):
    control.remove_connection(tenant_id=world.tenant_id, user_email=world.user.email)
    _problem(api.get("Employees"), 403, "Forbidden", "AuthenticationUnsuccessful")
    assert api.get("Employees", tenant=str(world.other_org.tenant_id)).status_code == 200


def test_organisation_of_another_grant_is_403(api, world):
    from xero_sandbox.models import Organisation

    stranger = Organisation.objects.create(name="Not connected")
    stranger.users.add(world.user)
    stranger.payroll_admins.add(world.user)
    _problem(
        api.get("Employees", tenant=str(stranger.tenant_id)), 403, "Forbidden", "AuthenticationUnsuccessful"
    )


def test_user_without_payroll_rights_is_403(api, world):
    world.org.payroll_admins.remove(world.user)
    _problem(api.get("Employees"), 403, "Forbidden", "AuthenticationUnsuccessful")


def test_user_removed_from_organisation_is_403(api, world):
    world.org.users.remove(world.user)
    _problem(api.get("Employees"), 403, "Forbidden", "AuthenticationUnsuccessful")


def test_each_tenant_sees_only_its_own_data(api, world):
    mine = api.get("Employees").json()["Employees"]
    theirs = api.get("Employees", tenant=str(world.other_org.tenant_id)).json()["Employees"]
    assert str(world.other_employee.employee_id) not in {e["EmployeeID"] for e in mine}
    assert [e["EmployeeID"] for e in theirs] == [str(world.other_employee.employee_id)]
    assert api.get(f"Employees/{world.other_employee.employee_id}").status_code == 404


# --- scopes ---------------------------------------------------------------------------------------


def test_read_scope_allows_get_but_not_post(api, world):
    read_only = world.token(["payroll.employees.read", "payroll.timesheets.read"])
    assert api.get("Employees", token=read_only).status_code == 200
    assert api.get("Timesheets", token=read_only).status_code == 200
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    _problem(api.post("Timesheets", body, token=read_only), 401, "Unauthorized", "AuthorizationUnsuccessful")
    assert not Timesheet.objects.exists()


def test_missing_scope_is_401_authorization_unsuccessful(api, world):
    employees_only = world.token(["payroll.employees"])
    _problem(api.get("Timesheets", token=employees_only), 401, "Unauthorized", "AuthorizationUnsuccessful")
    _problem(api.get("PayItems", token=employees_only), 401, "Unauthorized", "AuthorizationUnsuccessful")
    assert api.get("Employees", token=employees_only).status_code == 200


def test_allowed_scopes_rule():
    assert gateway.allowed_scopes({"payroll.timesheets"}, "GET") == {
        "payroll.timesheets",
        "payroll.timesheets.read",
    }
    assert gateway.allowed_scopes({"payroll.timesheets", "payroll.timesheets.read"}, "POST") == {
        "payroll.timesheets"
    }


# --- rate limits ----------------------------------------------------------------------------------


def test_every_tenant_response_carries_the_limit_headers(api, limits):
    limits(tenant_per_minute=10, tenant_per_day=100, app_per_minute=1000)
    first = api.get("Employees")
    second = api.get("PayItems")
    assert first.headers["X-MinLimit-Remaining"] == "9"
    assert first.headers["X-DayLimit-Remaining"] == "99"
    assert first.headers["X-AppMinLimit-Remaining"] == "999"
    assert second.headers["X-MinLimit-Remaining"] == "8"
    uuid.UUID(first.headers["Xero-Correlation-Id"])
    assert first.headers["Xero-Correlation-Id"] != second.headers["Xero-Correlation-Id"]


def test_tenantless_call_has_only_the_app_minute_header(api, world, limits):
    limits(app_per_minute=50)
    response = api.session.get(
        f"{settings.XERO_API_URL}/connections", headers={"Authorization": f"Bearer {api.token}"}, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["X-AppMinLimit-Remaining"] == "49"
    assert "X-MinLimit-Remaining" not in response.headers
    assert "X-DayLimit-Remaining" not in response.headers
    assert "Xero-Correlation-Id" in response.headers


def test_minute_limit_is_429_with_retry_after_until_the_oldest_call_leaves(api, limits):
    limits(tenant_per_minute=3)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            assert api.get("Employees").status_code == 200
            clock.shift(datetime.timedelta(seconds=10))
        # t = 30 s: the first call (t = 0) leaves the window at t = 60 s.
        refused = api.get("Employees")
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "minute"
        assert refused.headers["Retry-After"] == "30"
        assert refused.headers["X-MinLimit-Remaining"] == "0"
        clock.shift(datetime.timedelta(seconds=31))
        assert api.get("Employees").status_code == 200


def test_refused_calls_do_not_count(api, limits):
    limits(tenant_per_minute=1)
    assert api.get("Employees").status_code == 200
    for _ in range(3):
        assert api.get("Employees").status_code == 429
    assert RequestLog.objects.filter(counted=True).count() == 1


def test_day_limit_is_429_day(api, world, limits):
    limits(tenant_per_day=2)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert api.get("Employees").status_code == 200
        clock.shift(datetime.timedelta(hours=5))
        api.token = world.token(["payroll.employees", "payroll.settings"])
        assert api.get("Employees").status_code == 200
        refused = api.get("Employees")
        assert refused.status_code == 429
        assert refused.headers["X-Rate-Limit-Problem"] == "day"
        assert refused.headers["X-DayLimit-Remaining"] == "0"
        assert refused.headers["Retry-After"] == str(19 * 3600)


def test_limits_are_per_tenant(api, world, limits):
    limits(tenant_per_minute=1)
    assert api.get("Employees").status_code == 200
    assert api.get("Employees").status_code == 429
    assert api.get("Employees", tenant=str(world.other_org.tenant_id)).status_code == 200


def test_app_minute_limit_spans_tenants(api, world, limits):
    limits(app_per_minute=2)
    assert api.get("Employees").status_code == 200
    assert api.get("Employees", tenant=str(world.other_org.tenant_id)).status_code == 200
    refused = api.get("Employees")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "appminute"
    assert refused.headers["X-AppMinLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_in_flight_limit_counts_calls_of_other_processes(api, world, limits):
    limits(tenant_in_flight=2)
    # Two calls in flight elsewhere (another worker process) for this tenant and app.
    for _ in range(2):
        InFlight.objects.create(tenant_id=world.tenant_id, client_id=world.app.client_id)
    refused = api.get("Employees")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert refused.headers["Retry-After"] == "1"
    # Another app's calls, and stale rows of a dead process, do not count.
    InFlight.objects.all().delete()
    InFlight.objects.create(tenant_id=world.tenant_id, client_id="another-app")
    InFlight.objects.create(
        tenant_id=world.tenant_id,
        client_id=world.app.client_id,
        started_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert api.get("Employees").status_code == 200


def test_each_call_records_how_many_of_the_tenants_calls_were_in_flight_at_admission(api, world, limits):
    limits(tenant_in_flight=5)
    assert api.get("Employees").status_code == 200
    InFlight.objects.create(tenant_id=world.tenant_id, client_id=world.app.client_id)  # another worker's call
    assert api.get("Employees").status_code == 200
    assert list(RequestLog.objects.order_by("id").values_list("in_flight", flat=True)) == [1, 2]


def test_in_flight_row_is_held_during_the_call_and_released_after(api, world, monkeypatch):
    seen = []
    original = gateway._Call.process

    def spy(call, args, kwargs):
        response = original(call, args, kwargs)
        seen.append(InFlight.objects.filter(tenant_id=world.tenant_id).count())
        return response

    monkeypatch.setattr(gateway._Call, "process", spy)
    assert api.get("Employees").status_code == 200
    assert seen == [1]
    assert InFlight.objects.count() == 0


def test_reset_limits(api, limits):
    limits(tenant_per_minute=1)
    assert api.get("Employees").status_code == 200
    assert api.get("Employees").status_code == 429
    control.reset_limits()
    assert api.get("Employees").status_code == 200


# --- idempotency ----------------------------------------------------------------------------------


def test_repeated_idempotency_key_replays_the_first_response(api, world):
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    first = api.post("Timesheets", body, headers={"Idempotency-Key": "push-1"})
    assert first.status_code == 200
    body[0]["TimesheetLines"][0]["NumberOfUnits"] = [1, 1, 1, 1, 1, 1, 1]
    again = api.post("Timesheets", body, headers={"Idempotency-Key": "push-1"})
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Timesheet.objects.count() == 1
    assert Timesheet.objects.get().hours == 40
    # Without the key the same body is a second create: Xero's duplicate error.
    duplicate = api.post("Timesheets", body)
    assert duplicate.status_code == 400


def test_idempotency_keys_are_per_tenant_and_errors_are_replayed_too(api, world):
    bad = [week_timesheet(world.employees["nina"], world.rates["ordinary"])]
    first = api.post("Timesheets", bad, headers={"Idempotency-Key": "k"})
    assert first.status_code == 400
    world.employees["nina"].payroll_calendar = world.calendars["weekly"]
    world.employees["nina"].save()
    assert api.post("Timesheets", bad, headers={"Idempotency-Key": "k"}).json() == first.json()
    # The same key for another tenant is a different request.
    other = [week_timesheet(world.other_employee, world.rates["ordinary"])]
    other[0]["TimesheetLines"] = []
    response = api.post(
        "Timesheets", other, headers={"Idempotency-Key": "k"}, tenant=str(world.other_org.tenant_id)
    )
    assert response.status_code == 200
    assert IdempotencyRecord.objects.count() == 2


def test_server_errors_are_not_stored_for_replay(api, world):
    control.add_fault("500", path_contains="/Timesheets")
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    assert api.post("Timesheets", body, headers={"Idempotency-Key": "retry-me"}).status_code == 500
    assert api.post("Timesheets", body, headers={"Idempotency-Key": "retry-me"}).status_code == 200
    assert Timesheet.objects.count() == 1


def test_overlong_idempotency_key_is_400(api, world):
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    assert api.post("Timesheets", body, headers={"Idempotency-Key": "x" * 129}).status_code == 400
    assert not Timesheet.objects.exists()


# --- faults ---------------------------------------------------------------------------------------


def test_fault_500_has_xero_body_and_is_used_up(api):
    control.add_fault("500", count=2, path_contains="Employees")
    for _ in range(2):
        response = api.get("Employees")
        assert response.status_code == 500
        assert response.json()["Type"] == "UnknownErrorException"
        assert "Xero-Correlation-Id" in response.headers
    assert api.get("Employees").status_code == 200


def test_fault_503_is_plain_text_maintenance(api):
    control.add_fault("503")
    response = api.get("PayItems")
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "The Xero API is currently offline for maintenance"


def test_fault_filters_by_path_and_method(api, world):
    control.add_fault("500", path_contains="/Timesheets", method="POST")
    assert api.get("Timesheets").status_code == 200
    assert api.get("Employees").status_code == 200
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    assert api.post("Timesheets", body).status_code == 500
    assert api.post("Timesheets", body).status_code == 200


def test_fault_can_target_one_tenant(api, world):
    control.add_fault("503", tenant_id=str(world.other_org.tenant_id))
    assert api.get("Employees").status_code == 200
    assert api.get("Employees", tenant=str(world.other_org.tenant_id)).status_code == 503


@pytest.mark.parametrize(
    ("kind", "problem", "default"), [("429-minute", "minute", "60"), ("429-day", "day", "43200")]
)
def test_fault_429(api, kind, problem, default):
    control.add_fault(kind)
    control.add_fault(kind, retry_after=7)
    first, second = api.get("Employees"), api.get("Employees")
    assert first.status_code == second.status_code == 429
    assert first.headers["X-Rate-Limit-Problem"] == problem
    assert first.headers["Retry-After"] == default
    assert second.headers["Retry-After"] == "7"


def test_fault_hang_waits_then_answers(api, monkeypatch):
    slept = []
    monkeypatch.setattr(gateway.time, "sleep", slept.append)
    control.add_fault("hang", hang_seconds=35)
    assert api.get("Employees").status_code == 200
    assert slept == [35]
    assert RequestLog.objects.filter(fault="hang").count() == 1


def test_fault_hang_really_sleeps(api):
    control.add_fault("hang", hang_seconds=0.2)
    response = api.get("Employees")
    assert response.status_code == 200
    assert RequestLog.objects.get(fault="hang").duration_ms >= 200


def test_fault_drop_processes_then_drops_and_the_key_replays(api, world):
    control.add_fault("drop", path_contains="/Timesheets", method="POST")
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    with pytest.raises(requests.ConnectionError):
        api.post("Timesheets", body, headers={"Idempotency-Key": "once"})
    timesheet = Timesheet.objects.get()  # the request was processed
    log = RequestLog.objects.get(fault="drop")
    assert log.status == 200
    # The client retries with the same key: the stored answer, nothing new.
    again = api.post("Timesheets", body, headers={"Idempotency-Key": "once"})
    assert again.status_code == 200
    assert again.json()["Timesheets"][0]["TimesheetID"] == str(timesheet.timesheet_id)
    assert Timesheet.objects.count() == 1
    # A retry without the key hits Xero's duplicate rule.
    assert api.post("Timesheets", body).json()["Timesheets"][0]["ValidationErrors"] == [
        {"Message": "This timesheet already exists, please provide the timesheet ID"}
    ]


def test_latency_is_added(api, limits, monkeypatch):
    slept = []
    monkeypatch.setattr(gateway.time, "sleep", slept.append)
    limits(latency_ms=250)
    assert api.get("Employees").status_code == 200
    assert slept == [0.25]


# --- logging --------------------------------------------------------------------------------------


def test_every_request_is_logged(api, world):
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    api.post("Timesheets", body, headers={"Idempotency-Key": "log-me"})
    api.get("Employees", params={"where": 'Status=="ACTIVE"'}, token="bad")
    post, get = control.requests_log()
    assert (post.method, post.path, post.status) == (
        "POST",
        "/xero-sandbox/api/payroll.xro/1.0/Timesheets",
        200,
    )
    assert post.tenant_id == world.tenant_id
    assert post.idempotency_key == "log-me"
    assert '"EmployeeID"' in post.request_body
    assert '"Timesheets"' in post.response_body
    assert post.client_id == world.app.client_id
    assert post.duration_ms >= 0
    assert (get.status, get.query) == (401, "where=Status%3D%3D%22ACTIVE%22")
    assert control.requests_log(status=401) == [get]
    assert control.requests_log(path_contains="timesheets", method="post") == [post]


def test_logged_bodies_are_truncated(api, world):
    api.post("Employees", [{"FirstName": "A" * 30_000, "LastName": "B", "DateOfBirth": "1990-01-01"}])
    log = control.requests_log(method="POST")[0]
    assert len(log.request_body) < 20_100
    assert log.request_body.endswith("[truncated]")


def test_connection_is_still_live_after_calls(world, api):
    api.get("Employees")
    assert Connection.objects.filter(deleted_at__isnull=True).count() == 2


@pytest.mark.django_db(databases=["default", "xero_sandbox"], transaction=True)
def test_fault_drop_closes_a_real_socket_without_an_answer(live_server):
    """Under a real server (runserver, the live-server thread) "drop" shuts the client's socket:
    the client gets no response at all, although the timesheet was saved."""
    world = build_world()
    control.add_fault("drop", path_contains="/Timesheets", method="POST")
    url = f"{live_server.url}/xero-sandbox/api/payroll.xro/1.0/Timesheets"
    headers = {"Authorization": f"Bearer {world.token()}", "Xero-Tenant-Id": world.tenant_id}
    body = [week_timesheet(world.employees["ada"], world.rates["ordinary"])]
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json=body, headers=headers, timeout=10)
    assert Timesheet.objects.count() == 1
    # The server is fine afterwards.
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
