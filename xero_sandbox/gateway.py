"""The front door of every sandbox API call (owned by the payroll side).

INTERFACE (used by the connections views and the payroll views; keep this signature):

    @xero_api_view(scopes={"payroll.employees", "payroll.employees.read"}, tenant=True)
    def employees(request): ...          # request.xero_claims (AccessClaims), request.xero_organisation

What it does, in order, as Xero does: log the request (RequestLog), apply fault rules, add the
configured latency, authenticate the bearer token (401 with Xero's body), check Xero-Tenant-Id
against a live connection of the token's grant and the user's payroll rights (403
AuthenticationUnsuccessful), check scopes (401/403 as Xero), enforce rate limits and the in-flight
limit (429 + Retry-After + X-Rate-Limit-Problem), honour Idempotency-Key on POST, and add the
X-*-Remaining headers to every response.

Details and the choices made where Xero's behaviour is not documented:

* ``scopes``: the scopes that grant the endpoint. A GET (or HEAD) is allowed with a scope or its
  ``.read`` variant; a write needs the full scope. ``None``: any valid token will do.
  Assumption: a missing scope is 401 with Detail "AuthorizationUnsuccessful" (seen for Journals on
  the Starter tier, notes §6); checked after the tenant, like the docstring above says.
* Rate limits (settings.XERO_SANDBOX_LIMITS): per tenant per app per rolling minute and rolling 24 h,
  calls in flight per tenant per app (InFlight rows, so they hold across processes), and calls per
  app per rolling minute across all tenants. A refused call answers 429 with ``Retry-After`` (whole
  seconds until the oldest counted call leaves the window; 1 for the in-flight limit) and
  ``X-Rate-Limit-Problem`` = minute | day | concurrent | appminute.
  Assumption: only calls that pass authentication and the tenant check count (401/403/429 do not).
  Assumption: the 429 body is a problem JSON like the 401/403 ones (Xero's real body is unknown).
* ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` (tenant calls) and ``X-AppMinLimit-Remaining``
  are the counts left *after* this call. ``Xero-Correlation-Id`` is on every response.
* Idempotency-Key (POST with a tenant): the first response with a status below 500 is stored per
  (tenant, key); a repeat returns it verbatim and changes nothing.
  Assumption: a repeat with a different path or body still gets the stored response (Xero's
  behaviour for that is UNCONFIRMED); keys over 128 characters are a 400; two *concurrent* first
  uses of one key are not serialised.
* Faults (FaultRule, oldest matching rule first, each match uses one of its ``remaining``):
  ``500`` Xero's unhandled-error JSON; ``503`` plain text "The Xero API is currently offline for
  maintenance"; ``429-minute``/``429-day`` a 429 with Retry-After (``retry_after`` or 60 / 43200);
  ``hang`` sleeps ``hang_seconds`` and then answers normally (set it past the client's timeout to
  get a timeout on the client); ``drop`` processes the request completely (and stores its
  idempotent response) and then closes the connection without an answer. How "drop" is done:
  under a real server (runserver, the live-server thread, gunicorn) the client's socket is shut
  down, so the client sees the connection closed with no response (requests raises
  ConnectionError); in process (django.test.Client, tests/sandbox_http.py) there is no socket, so
  the view raises ``SandboxConnectionDropped``, a ``requests.ConnectionError`` that the test client
  re-raises to the caller: what the product's HTTP client would see either way.
"""

import contextlib
import datetime
import functools
import math
import socket
import time
import uuid
from dataclasses import dataclass, field

import requests
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from xero_sandbox.identity import tokens
from xero_sandbox.models import (
    Connection,
    FaultRule,
    IdempotencyRecord,
    InFlight,
    OAuthApp,
    Organisation,
    RequestLog,
)
from xero_sandbox.payroll import xerojson
from xero_sandbox.router import SANDBOX_DB

LOG_BODY_LIMIT = 20_000
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
# An InFlight row older than this belongs to a process that died: ignore it.
IN_FLIGHT_STALE = datetime.timedelta(minutes=10)
DEFAULT_LIMITS = {
    "tenant_per_minute": 60,
    "tenant_in_flight": 5,
    "tenant_per_day": 5000,
    "app_per_minute": 10000,
    "latency_ms": 0,
}
FAULT_RETRY_AFTER = {FaultRule.Kind.RATE_LIMIT_MINUTE: 60, FaultRule.Kind.RATE_LIMIT_DAY: 43200}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class SandboxConnectionDropped(requests.exceptions.ConnectionError):
    """In-process stand-in for a connection closed without a response (the ``drop`` fault)."""


def limits() -> dict:
    return {**DEFAULT_LIMITS, **getattr(settings, "XERO_SANDBOX_LIMITS", {})}


def _truncate(raw) -> str:
    if isinstance(raw, bytes):
        raw = raw[: LOG_BODY_LIMIT + 4].decode("utf-8", errors="replace")
    return raw if len(raw) <= LOG_BODY_LIMIT else raw[:LOG_BODY_LIMIT] + "…[truncated]"


def allowed_scopes(scopes: set[str], method: str) -> set[str]:
    """The scopes any one of which lets ``method`` through (see module docstring)."""
    full = {s.removesuffix(".read") for s in scopes}
    if method.upper() in WRITE_METHODS:
        return full
    return full | {f"{s}.read" for s in full}


def _seconds_until(moment: datetime.datetime, now: datetime.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


# --- faults --------------------------------------------------------------------------------------


def take_fault(request: HttpRequest) -> FaultRule | None:
    """The oldest matching rule with calls left, consuming one of them (safe across processes)."""
    tenant = request.headers.get("Xero-Tenant-Id", "").strip().lower()
    for rule in FaultRule.objects.filter(remaining__gt=0).order_by("id"):
        if rule.method and rule.method.upper() != request.method.upper():
            continue
        if rule.path_contains and rule.path_contains.lower() not in request.path.lower():
            continue
        if rule.tenant_id and rule.tenant_id.strip().lower() != tenant:
            continue
        used = FaultRule.objects.filter(pk=rule.pk, remaining__gt=0).update(remaining=F("remaining") - 1)
        if used:
            return rule
    return None


def fault_response(rule: FaultRule) -> HttpResponse | None:
    if rule.kind == FaultRule.Kind.ERROR_500:
        return xerojson.internal_error()
    if rule.kind == FaultRule.Kind.ERROR_503:
        return xerojson.offline()
    if rule.kind in FAULT_RETRY_AFTER:
        problem = "minute" if rule.kind == FaultRule.Kind.RATE_LIMIT_MINUTE else "day"
        retry_after = rule.retry_after or FAULT_RETRY_AFTER[rule.kind]
        response = _too_many(problem, retry_after)
        response["X-MinLimit-Remaining" if problem == "minute" else "X-DayLimit-Remaining"] = "0"
        return response
    return None  # hang and drop change how, not what, the sandbox answers


def _too_many(problem: str, retry_after: int) -> JsonResponse:
    response = xerojson.problem(429, "Too Many Requests", f"Rate limit exceeded: {problem}")
    response["Retry-After"] = str(retry_after)
    response["X-Rate-Limit-Problem"] = problem
    return response


# --- rate limits ---------------------------------------------------------------------------------


@dataclass
class Admission:
    problem: str = ""
    retry_after: int = 0
    headers: dict = field(default_factory=dict)
    in_flight_id: int | None = None


def admit(*, log_id: int, client_id: str, tenant_id: str) -> Admission:
    """Count this call against the limits, or refuse it. Atomic: on SQLite the IMMEDIATE transaction
    serialises writers; on PostgreSQL the app and organisation rows are locked."""
    lim = limits()
    now = timezone.now()
    with transaction.atomic(using=SANDBOX_DB):
        # Lock order: app, then tenant (same order everywhere, so no deadlock).
        list(OAuthApp.objects.select_for_update().filter(client_id=client_id).values_list("id"))
        if tenant_id:
            list(Organisation.objects.select_for_update().filter(tenant_id=tenant_id).values_list("id"))
        counted = RequestLog.objects.filter(counted=True, client_id=client_id)
        app_minute = counted.filter(created_at__gt=now - MINUTE)
        app_count = app_minute.count()
        headers = {}
        checks = []
        if tenant_id:
            tenant_calls = counted.filter(tenant_id=tenant_id)
            day_qs = tenant_calls.filter(created_at__gt=now - DAY)
            minute_qs = tenant_calls.filter(created_at__gt=now - MINUTE)
            day_count, minute_count = day_qs.count(), minute_qs.count()
            in_flight = InFlight.objects.filter(
                tenant_id=tenant_id, client_id=client_id, started_at__gt=now - IN_FLIGHT_STALE
            ).count()
            checks = [
                ("day", day_count >= lim["tenant_per_day"], day_qs, DAY),
                ("minute", minute_count >= lim["tenant_per_minute"], minute_qs, MINUTE),
            ]
        checks.append(("appminute", app_count >= lim["app_per_minute"], app_minute, MINUTE))
        if tenant_id:
            checks.append(("concurrent", in_flight >= lim["tenant_in_flight"], None, None))

        problem = next((c for c in checks if c[1]), None)
        added = 0 if problem else 1
        if tenant_id:
            headers["X-MinLimit-Remaining"] = str(max(0, lim["tenant_per_minute"] - minute_count - added))
            headers["X-DayLimit-Remaining"] = str(max(0, lim["tenant_per_day"] - day_count - added))
        headers["X-AppMinLimit-Remaining"] = str(max(0, lim["app_per_minute"] - app_count - added))
        if problem:
            name, _hit, qs, window = problem
            if qs is None:
                retry_after = 1
            else:
                oldest = qs.aggregate(m=Min("created_at"))["m"] or now
                retry_after = _seconds_until(oldest + window, now)
            return Admission(problem=name, retry_after=retry_after, headers=headers)
        RequestLog.objects.filter(pk=log_id).update(counted=True, in_flight=in_flight + 1 if tenant_id else 0)
        in_flight_id = None
        if tenant_id:
            in_flight_id = InFlight.objects.create(tenant_id=tenant_id, client_id=client_id).pk
        return Admission(headers=headers, in_flight_id=in_flight_id)


def reset_limits() -> None:
    """Forget every counted call and in-flight row (control page, tests)."""
    RequestLog.objects.filter(counted=True).update(counted=False)
    InFlight.objects.all().delete()


# --- idempotency ---------------------------------------------------------------------------------


def _stored_response(record: IdempotencyRecord) -> HttpResponse:
    body = record.body
    looks_json = body.lstrip()[:1] in ("{", "[")
    content_type = "application/json" if looks_json else "text/plain; charset=utf-8"
    return HttpResponse(body, status=record.status, content_type=content_type)


def _store_response(tenant_id: str, key: str, request: HttpRequest, response: HttpResponse) -> None:
    if response.status_code >= 500 or getattr(response, "streaming", False):
        return
    try:
        with transaction.atomic(using=SANDBOX_DB):
            IdempotencyRecord.objects.get_or_create(
                tenant_id=tenant_id,
                key=key,
                defaults={
                    "method": request.method,
                    "path": request.path[:500],
                    "status": response.status_code,
                    "body": response.content.decode("utf-8", errors="replace"),
                },
            )
    except IntegrityError:  # a concurrent first use stored its answer first
        pass


# --- dropping the connection ---------------------------------------------------------------------


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """The client's socket under a real server: gunicorn publishes it; under runserver and the live
    server thread it sits behind wsgi.input (LimitedStream._read -> BufferedReader -> SocketIO)."""
    sock = request.META.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        return sock
    obj = request.META.get("wsgi.input")
    for _ in range(8):
        if obj is None:
            return None
        if isinstance(obj, socket.socket):
            return obj
        if hasattr(obj, "_read") and hasattr(obj._read, "__self__"):  # django's LimitedStream
            obj = obj._read.__self__
            continue
        obj = next((getattr(obj, a) for a in ("stream", "raw", "_sock") if hasattr(obj, a)), None)
    return None


def drop_connection(request: HttpRequest) -> None:
    sock = _client_socket(request)
    if sock is None:
        raise SandboxConnectionDropped(
            f"xero sandbox fault 'drop': {request.method} {request.path} was processed, then the "
            "connection was closed without a response"
        )
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# --- the decorator -------------------------------------------------------------------------------


class _Call:
    def __init__(self, request: HttpRequest, view, scopes: set[str] | None, tenant: bool):
        self.request = request
        self.view = view
        self.scopes = scopes
        self.tenant = tenant
        self.correlation_id = str(uuid.uuid4())
        self.fault = ""
        self.drop = False
        self.client_id = ""
        self.in_flight_id = None
        self.headers: dict[str, str] = {}

    def run(self, args, kwargs) -> HttpResponse:
        request = self.request
        started = time.monotonic()
        log = RequestLog.objects.create(
            method=request.method[:10],
            path=request.path[:500],
            query=request.META.get("QUERY_STRING", "")[:1000],
            tenant_id=request.headers.get("Xero-Tenant-Id", "").strip()[:64],
            idempotency_key=request.headers.get("Idempotency-Key", "")[:200],
            request_body=_truncate(request.body),
            correlation_id=self.correlation_id,
        )
        self.log_id = log.pk
        response = None
        try:
            response = self.process(args, kwargs)
            for name, value in self.headers.items():
                response[name] = value
            response["Xero-Correlation-Id"] = self.correlation_id
            return response
        finally:
            if self.in_flight_id is not None:
                InFlight.objects.filter(pk=self.in_flight_id).delete()
            status = response.status_code if response is not None else 500
            body = ""
            if response is not None and not getattr(response, "streaming", False):
                body = _truncate(response.content)
            RequestLog.objects.filter(pk=log.pk).update(
                status=status,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                response_body=body,
                fault=self.fault if response is not None else (self.fault or "exception"),
                client_id=self.client_id[:64],
            )

    def process(self, args, kwargs) -> HttpResponse:
        request = self.request
        rule = take_fault(request)
        if rule is not None:
            self.fault = rule.kind
            canned = fault_response(rule)
            if canned is not None:
                return canned
            if rule.kind == FaultRule.Kind.HANG:
                time.sleep(max(0.0, rule.hang_seconds))
            elif rule.kind == FaultRule.Kind.DROP_AFTER_PROCESS:
                self.drop = True

        latency = limits().get("latency_ms") or 0
        if latency > 0:
            time.sleep(latency / 1000)

        # 1. Who is calling?
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return xerojson.unauthorized("AuthenticationUnsuccessful")
        try:
            claims = tokens.verify_access_token(token.strip())
        except tokens.InvalidToken as exc:
            return xerojson.unauthorized(exc.detail)
        self.client_id = claims.client_id or ""
        request.xero_claims = claims
        request.xero_organisation = None

        # 2. Which organisation, and may this user still reach its payroll?
        tenant_id = ""
        if self.tenant:
            organisation = self.organisation_for(claims)
            if organisation is None:
                self.headers.update(self.app_headers_only())
                return xerojson.forbidden("AuthenticationUnsuccessful")
            request.xero_organisation = organisation
            tenant_id = str(organisation.tenant_id)

        # 3. Scopes.
        if self.scopes is not None and not (set(claims.scopes) & allowed_scopes(self.scopes, request.method)):
            self.headers.update(self.app_headers_only())
            return xerojson.unauthorized("AuthorizationUnsuccessful")

        # 4. Rate limits.
        admission = admit(log_id=self.log_id, client_id=self.client_id, tenant_id=tenant_id)
        self.headers.update(admission.headers)
        if admission.problem:
            return _too_many(admission.problem, admission.retry_after)
        self.in_flight_id = admission.in_flight_id

        # 5. Idempotency.
        key = request.headers.get("Idempotency-Key", "").strip()
        idempotent = bool(key) and request.method == "POST" and bool(tenant_id)
        if idempotent:
            if len(key) > 128:
                return xerojson.api_exception(
                    400,
                    10,
                    "ValidationException",
                    "The Idempotency-Key header must be 128 characters or less",
                )
            record = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).first()
            if record is not None:
                return _stored_response(record)

        response = self.view(request, *args, **kwargs)
        if idempotent:
            _store_response(tenant_id, key, request, response)
        return response

    def organisation_for(self, claims) -> Organisation | None:
        tenant = xerojson.parse_uuid(self.request.headers.get("Xero-Tenant-Id", ""))
        if tenant is None:
            return None
        connection = (
            Connection.objects.select_related("organisation", "grant")
            .filter(grant_id=claims.grant_id, organisation__tenant_id=tenant, deleted_at__isnull=True)
            .first()
        )
        if connection is None or connection.grant.revoked_at is not None:
            return None
        organisation = connection.organisation
        user_id = claims.user_id
        if not organisation.users.filter(pk=user_id).exists():
            return None
        if not organisation.payroll_admins.filter(pk=user_id).exists():
            return None
        return organisation

    def app_headers_only(self) -> dict:
        lim = limits()
        used = RequestLog.objects.filter(
            counted=True, client_id=self.client_id, created_at__gt=timezone.now() - MINUTE
        ).count()
        return {"X-AppMinLimit-Remaining": str(max(0, lim["app_per_minute"] - used))}


def xero_api_view(*, scopes: set[str] | None, tenant: bool = True):
    """Wrap a sandbox API view in Xero's front door (see the module docstring)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            call = _Call(request, view, scopes, tenant)
            response = call.run(args, kwargs)
            if call.drop:
                drop_connection(request)
            return response

        return csrf_exempt(login_not_required(wrapper))

    return decorator
