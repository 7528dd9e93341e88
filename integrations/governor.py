"""A per-tenant Xero rate governor shared by every worker process.

Xero allows, per connected organisation (tenant) and per app, 60 calls in any rolling minute and 5
calls in flight (xero-api-notes §5). Celery's ``rate_limit`` is per worker, so it cannot enforce that
(reliability-notes §3.2): every Xero call takes a permit from a governor first::

    governor = governor_from_settings()
    with governor.slot(tenant_id, timeout=30):
        client.create_timesheets(...)

Semantics (both implementations):

- ``acquire`` grants a permit when, for that tenant, there is no penalty running, fewer than
  ``max_in_flight`` permits are out and fewer than ``limit_per_minute`` calls are in the rolling window.
  A call stays in the window from its start until ``window`` seconds after its *release* (Xero counts a
  call when it receives it, somewhere between our start and our end; measuring from the end is the
  conservative side). So no ``window``-second span ever sees more than ``limit_per_minute`` call starts.
- It blocks (``sleep``) until then, or raises ``GovernorTimeout`` at once when the wait it can compute
  (penalty, window) is longer than ``timeout``; while the tenant is only at its in-flight cap it polls
  every ``poll_interval`` seconds until ``timeout``. ``GovernorTimeout.retry_after`` says when to try
  again: a task should ``self.retry(countdown=exc.retry_after)`` rather than hold a worker.
- An unreleased permit (worker SIGKILLed, OOM) expires after ``permit_ttl`` seconds (120 by default,
  well above the 20 s HTTP timeout), so a dead worker cannot block a tenant for ever.
- ``penalise(tenant, retry_after)`` after a 429: nobody starts a call to that tenant before then.
- ``observe(tenant, minute_remaining)`` with Xero's ``X-MinLimit-Remaining``: when Xero has counted
  more calls than our window holds (calls made outside the governor, another deployment of the app),
  the difference is added to the window as placeholder calls stamped now, so we slow down to what
  Xero says is left, still keeping our safety margin (58 of 60).
- Fairness: every tenant has its own window, in-flight set and penalty; nothing is shared between
  tenants, so one tenant's 1,000-call push never delays another tenant's calls (tested; see
  bench/bench_governor.py). Within one tenant, waiters are not served in FIFO order. Note that workers
  blocked in ``acquire`` are workers not serving other tenants: keep ``timeout`` short and retry.

``RedisGovernor`` (several hosts) keeps its state in Redis, changed atomically by Lua scripts and timed
by the Redis server's clock unless a ``clock`` is injected. ``DatabaseGovernor`` (the embedded default,
one host, no Redis) keeps it in a small SQLite file, changed in ``BEGIN IMMEDIATE`` transactions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from integrations.xero.errors import XeroRateLimited

if TYPE_CHECKING:
    import redis

    from integrations.xero.types import RateLimitState

XERO_MINUTE_LIMIT = 60  # what Xero allows per tenant per rolling minute
DEFAULT_LIMIT_PER_MINUTE = 58  # ours: a safety margin under Xero's 60
DEFAULT_MAX_IN_FLIGHT = 5
DEFAULT_PERMIT_TTL = 120.0
DEFAULT_SLOT_TIMEOUT = 30.0
WINDOW_SECONDS = 60.0
# When only the in-flight cap refused: calls end at any moment, so suggest a short retry.
IN_FLIGHT_RETRY_HINT = 1.0
# Entries stamped more than this in the future mean the clock moved back: they are dropped.
CLOCK_SLACK = 1.0

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class GovernorTimeout(Exception):
    """No permit within the timeout. ``retry_after``: seconds until one may be free (a hint).
    ``reason``: "penalty" (a 429 is being honoured), "window" (minute budget spent) or "in_flight"."""

    def __init__(self, tenant_id: str, *, retry_after: float, reason: str):
        super().__init__(
            f"No Xero call permit for tenant {tenant_id} ({reason}); retry in {retry_after:.1f} s."
        )
        self.tenant_id = tenant_id
        self.retry_after = retry_after
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Permit:
    tenant_id: str
    token: str


@runtime_checkable
class RateGovernor(Protocol):
    def acquire(self, tenant_id: str, *, timeout: float) -> Permit: ...

    def release(self, permit: Permit) -> None: ...

    def penalise(self, tenant_id: str, retry_after: float) -> None: ...

    def observe(self, tenant_id: str, minute_remaining: int | None) -> None: ...

    def slot(
        self, tenant_id: str, *, timeout: float = DEFAULT_SLOT_TIMEOUT
    ) -> AbstractContextManager[Permit]: ...


@dataclass(frozen=True, slots=True)
class _Decision:
    granted: bool
    wait: float = 0.0
    reason: str = ""


class _Governor:
    """The blocking loop and the context manager; subclasses make one atomic attempt at a time."""

    def __init__(
        self,
        *,
        limit_per_minute: int,
        max_in_flight: int,
        permit_ttl: float,
        window: float,
        poll_interval: float,
        sleep: Sleep,
        deadline_clock: Clock,
    ):
        if limit_per_minute < 1 or max_in_flight < 1:
            raise ValueError("limit_per_minute and max_in_flight must be >= 1")
        if permit_ttl <= 0 or window <= 0 or poll_interval <= 0:
            raise ValueError("permit_ttl, window and poll_interval must be > 0")
        self.limit_per_minute = limit_per_minute
        self.max_in_flight = max_in_flight
        self.permit_ttl = permit_ttl
        self.window = window
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._deadline_clock = deadline_clock

    # --- implemented by subclasses --------------------------------------------------------------------
    def _try_acquire(self, tenant_id: str, token: str) -> _Decision:
        raise NotImplementedError

    def release(self, permit: Permit) -> None:
        raise NotImplementedError

    def penalise(self, tenant_id: str, retry_after: float) -> None:
        raise NotImplementedError

    def observe(self, tenant_id: str, minute_remaining: int | None) -> None:
        raise NotImplementedError

    # --- shared -----------------------------------------------------------------------------------------
    def acquire(self, tenant_id: str, *, timeout: float) -> Permit:
        _check_tenant(tenant_id)
        deadline = self._deadline_clock() + max(timeout, 0.0)
        token = uuid.uuid4().hex
        while True:
            decision = self._try_acquire(tenant_id, token)
            if decision.granted:
                return Permit(tenant_id=tenant_id, token=token)
            left = deadline - self._deadline_clock()
            # Penalty and window waits are known exactly: fail fast instead of sleeping in vain.
            # In-flight permits free up whenever a call ends: poll until the deadline.
            if left <= 0 or (decision.reason != "in_flight" and decision.wait > left):
                hint = IN_FLIGHT_RETRY_HINT if decision.reason == "in_flight" else max(decision.wait, 0.0)
                raise GovernorTimeout(tenant_id, retry_after=hint, reason=decision.reason)
            self._sleep(min(max(decision.wait, 0.001), left))

    @contextmanager
    def slot(self, tenant_id: str, *, timeout: float = DEFAULT_SLOT_TIMEOUT) -> Iterator[Permit]:
        """Hold a permit for the block; a ``XeroRateLimited`` escaping it penalises the tenant."""
        permit = self.acquire(tenant_id, timeout=timeout)
        try:
            yield permit
        except XeroRateLimited as exc:
            self.penalise(tenant_id, exc.retry_after)
            raise
        finally:
            self.release(permit)

    def _observed_missing(self, minute_remaining: int | None, ours: int) -> int:
        """Placeholder calls to add so our window holds at least as many calls as Xero has counted."""
        if minute_remaining is None:
            return 0
        used_by_xero = XERO_MINUTE_LIMIT - max(0, min(int(minute_remaining), XERO_MINUTE_LIMIT))
        return max(0, min(used_by_xero - ours, self.limit_per_minute))


def _check_tenant(tenant_id: str) -> None:
    if not tenant_id or not isinstance(tenant_id, str):
        raise ValueError("tenant_id is required")


def client_hooks(
    governor: RateGovernor, tenant_id: str, *, timeout: float = DEFAULT_SLOT_TIMEOUT
) -> dict[str, Callable]:
    """``XeroClient(..., **client_hooks(governor, tenant_id))``: every HTTP call takes a slot, and every
    response's ``X-MinLimit-Remaining`` is observed. A 429 raised by the client after the slot is
    released still needs ``governor.penalise(tenant_id, exc.retry_after)`` in the caller."""

    def limiter() -> AbstractContextManager[Permit]:
        return governor.slot(tenant_id, timeout=timeout)

    def on_limits(state: RateLimitState) -> None:
        governor.observe(tenant_id, state.minute_remaining)

    return {"limiter": limiter, "on_limits": on_limits}


# --- Redis ------------------------------------------------------------------------------------------------

# Shared prologue: ARGV[1] is "now" ("" = the Redis server's clock), ARGV[2] the window, ARGV[3] the
# permit TTL, ARGV[4] the clock slack. Purges the window and the in-flight set, including entries from
# the future (clock moved back by more than the slack), so a clock jump cannot block a tenant for longer
# than one window or one TTL. Scores are written with string.format: Lua's own number-to-string keeps
# only 14 digits (0.1 ms at today's epoch), which made an exact bound drop live permits.
_LUA_PROLOGUE = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local window = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local slack = tonumber(ARGV[4])
local function score(x) return string.format('%.6f', x) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', score(now - window))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. score(now + window + slack), '+inf')
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', score(now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '(' .. score(now + ttl + slack), '+inf')
local gc_ms = math.ceil((window + ttl) * 1000)
"""

# KEYS: window zset (member token, score start/end time), in-flight zset (score expiry), penalty.
# ARGV[5] limit, ARGV[6] max in flight, ARGV[7] token, ARGV[8] poll interval.
_LUA_ACQUIRE = (
    _LUA_PROLOGUE
    + """
local limit = tonumber(ARGV[5])
local max_in_flight = tonumber(ARGV[6])
local penalty = tonumber(redis.call('GET', KEYS[3]) or '0')
if penalty > now then
  return {0, tostring(penalty - now), 'penalty'}
end
if redis.call('ZCARD', KEYS[2]) >= max_in_flight then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, tostring(math.min(tonumber(ARGV[8]), tonumber(first[2]) - now)), 'in_flight'}
end
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local freeing = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return {0, tostring(tonumber(freeing[2]) + window - now), 'window'}
end
redis.call('ZADD', KEYS[1], score(now), ARGV[7])
redis.call('ZADD', KEYS[2], score(now + ttl), ARGV[7])
redis.call('PEXPIRE', KEYS[1], gc_ms)
redis.call('PEXPIRE', KEYS[2], gc_ms)
return {1, '0', 'ok'}
"""
)

# ARGV[5] token. The call leaves the in-flight set; its window entry moves to the release time.
_LUA_RELEASE = (
    _LUA_PROLOGUE
    + """
redis.call('ZREM', KEYS[2], ARGV[5])
local started = redis.call('ZSCORE', KEYS[1], ARGV[5])
if started and tonumber(started) < now then
  redis.call('ZADD', KEYS[1], 'XX', score(now), ARGV[5])
  redis.call('PEXPIRE', KEYS[1], gc_ms)
end
return 1
"""
)

# ARGV[5] retry_after seconds. Keeps the later of the running and the new penalty.
_LUA_PENALISE = (
    _LUA_PROLOGUE
    + """
local deadline = now + tonumber(ARGV[5])
local current = tonumber(redis.call('GET', KEYS[3]) or '0')
if deadline > current then
  redis.call('SET', KEYS[3], score(deadline), 'PX', math.ceil((deadline - now) * 1000) + 1000)
end
return 1
"""
)

# ARGV[5] calls Xero says remain this minute, ARGV[6] Xero's limit, ARGV[7] our limit (cap),
# ARGV[8] a unique prefix for the placeholder members.
_LUA_OBSERVE = (
    _LUA_PROLOGUE
    + """
local used = tonumber(ARGV[6]) - tonumber(ARGV[5])
local missing = math.min(used - redis.call('ZCARD', KEYS[1]), tonumber(ARGV[7]))
for i = 1, missing do
  redis.call('ZADD', KEYS[1], score(now), ARGV[8] .. i)
end
if missing > 0 then
  redis.call('PEXPIRE', KEYS[1], gc_ms)
end
return missing
"""
)


class RedisGovernor(_Governor):
    """State in Redis, per tenant: ``<prefix>{tenant}:window`` (sorted set of calls),
    ``<prefix>{tenant}:inflight`` (sorted set of permits scored by expiry) and
    ``<prefix>{tenant}:penalty``. Each change is one Lua script, so it is atomic across workers;
    the ``{tenant}`` hash tag keeps a tenant's keys in one Redis Cluster slot. Keys expire when idle.

    ``clock=None`` (default) times everything with the Redis server's clock (no skew between hosts);
    inject ``clock``/``sleep`` for tests and simulations.
    """

    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        limit_per_minute: int = DEFAULT_LIMIT_PER_MINUTE,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        permit_ttl: float = DEFAULT_PERMIT_TTL,
        key_prefix: str = "timeclamp:governor:",
        window: float = WINDOW_SECONDS,
        poll_interval: float = 0.05,
        clock: Clock | None = None,
        sleep: Sleep = time.sleep,
    ):
        super().__init__(
            limit_per_minute=limit_per_minute,
            max_in_flight=max_in_flight,
            permit_ttl=permit_ttl,
            window=window,
            poll_interval=poll_interval,
            sleep=sleep,
            deadline_clock=clock or time.monotonic,
        )
        self._redis = redis_client
        self._clock = clock
        self.key_prefix = key_prefix
        self._acquire = redis_client.register_script(_LUA_ACQUIRE)
        self._release = redis_client.register_script(_LUA_RELEASE)
        self._penalise = redis_client.register_script(_LUA_PENALISE)
        self._observe = redis_client.register_script(_LUA_OBSERVE)

    def _keys(self, tenant_id: str) -> list[str]:
        base = f"{self.key_prefix}{{{tenant_id}}}"
        return [f"{base}:window", f"{base}:inflight", f"{base}:penalty"]

    def _common(self) -> list[str]:
        now = "" if self._clock is None else repr(float(self._clock()))
        return [now, repr(float(self.window)), repr(float(self.permit_ttl)), repr(CLOCK_SLACK)]

    def _try_acquire(self, tenant_id: str, token: str) -> _Decision:
        granted, wait, reason = self._acquire(
            keys=self._keys(tenant_id),
            args=[
                *self._common(),
                self.limit_per_minute,
                self.max_in_flight,
                token,
                repr(float(self.poll_interval)),
            ],
        )
        reason = reason.decode() if isinstance(reason, bytes) else reason
        return _Decision(granted=bool(granted), wait=float(wait), reason=reason)

    def release(self, permit: Permit) -> None:
        self._release(keys=self._keys(permit.tenant_id), args=[*self._common(), permit.token])

    def penalise(self, tenant_id: str, retry_after: float) -> None:
        _check_tenant(tenant_id)
        if retry_after > 0:
            self._penalise(keys=self._keys(tenant_id), args=[*self._common(), repr(float(retry_after))])

    def observe(self, tenant_id: str, minute_remaining: int | None) -> None:
        _check_tenant(tenant_id)
        if minute_remaining is None:
            return
        remaining = max(0, min(int(minute_remaining), XERO_MINUTE_LIMIT))
        self._observe(
            keys=self._keys(tenant_id),
            args=[
                *self._common(),
                remaining,
                XERO_MINUTE_LIMIT,
                self.limit_per_minute,
                f"observed:{uuid.uuid4().hex}:",
            ],
        )


# --- SQLite file -----------------------------------------------------------------------------------------

# Connections a forked child inherited: kept referenced so that it never closes (or uses) them.
_INHERITED_CONNECTIONS: list[sqlite3.Connection] = []

_SCHEMA = """
CREATE TABLE IF NOT EXISTS governor_call (
    token TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS governor_call_tenant_at ON governor_call (tenant_id, at);
CREATE TABLE IF NOT EXISTS governor_permit (
    token TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS governor_permit_tenant_expires ON governor_permit (tenant_id, expires_at);
CREATE TABLE IF NOT EXISTS governor_penalty (
    tenant_id TEXT PRIMARY KEY,
    until REAL NOT NULL
);
"""


class DatabaseGovernor(_Governor):
    """State in a small SQLite file (not Django's database, no models): one table each for calls in the
    window, permits in flight and penalties, every change in a ``BEGIN IMMEDIATE`` transaction, so
    processes and threads on one host share it safely. For one host only (the embedded default);
    several hosts need ``RedisGovernor``.

    Times come from ``clock`` (default ``time.time``: the file outlives processes and reboots, and
    ``time.monotonic`` restarts at boot). Each thread of each process opens its own connection (safe
    across threads and across Celery's fork). Nothing is touched until first use.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        limit_per_minute: int = DEFAULT_LIMIT_PER_MINUTE,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        permit_ttl: float = DEFAULT_PERMIT_TTL,
        window: float = WINDOW_SECONDS,
        poll_interval: float = 0.05,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        busy_timeout: float = 10.0,
    ):
        super().__init__(
            limit_per_minute=limit_per_minute,
            max_in_flight=max_in_flight,
            permit_ttl=permit_ttl,
            window=window,
            poll_interval=poll_interval,
            sleep=sleep,
            # Deadlines are per process: use the monotonic clock unless a fake clock is injected.
            deadline_clock=time.monotonic if clock is time.time else clock,
        )
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._local = threading.local()

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use and kept: closing the last connection to a WAL
        database checkpoints it, which made a connection per operation cost ~1.5 ms. A connection
        inherited through fork (Celery prefork) is never used, nor closed, by the child."""
        cached = getattr(self._local, "connection", None)
        if cached is not None and cached[0] == os.getpid():
            return cached[1]
        if cached is not None:
            _INHERITED_CONNECTIONS.append(cached[1])
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=True
        )
        try:
            if not self._schema_ready:
                with self._schema_lock:
                    if not self._schema_ready:
                        conn.execute("PRAGMA journal_mode=WAL")
                        conn.executescript(_SCHEMA)  # idempotent; SQLite serialises schema changes
                        self._schema_ready = True
            conn.execute("PRAGMA synchronous=NORMAL")  # losing the last commits on power loss is harmless
        except BaseException:
            conn.close()
            raise
        self._local.connection = (os.getpid(), conn)
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends). Usable again after."""
        cached = getattr(self._local, "connection", None)
        self._local.connection = None
        if cached is not None and cached[0] == os.getpid():
            cached[1].close()

    @contextmanager
    def _transaction(self, tenant_id: str) -> Iterator[tuple[sqlite3.Connection, float]]:
        """BEGIN IMMEDIATE (the write lock first, so read-then-write is atomic), purge, yield, COMMIT."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            now = float(self._clock())
            conn.execute(
                "DELETE FROM governor_call WHERE tenant_id = ? AND (at <= ? OR at > ?)",
                (tenant_id, now - self.window, now + self.window + CLOCK_SLACK),
            )
            conn.execute(
                "DELETE FROM governor_permit WHERE tenant_id = ? AND (expires_at <= ? OR expires_at > ?)",
                (tenant_id, now, now + self.permit_ttl + CLOCK_SLACK),
            )
            yield conn, now
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _try_acquire(self, tenant_id: str, token: str) -> _Decision:
        with self._transaction(tenant_id) as (conn, now):
            row = conn.execute(
                "SELECT until FROM governor_penalty WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
            if row and row[0] > now:
                return _Decision(granted=False, wait=row[0] - now, reason="penalty")
            in_flight, first_expiry = conn.execute(
                "SELECT COUNT(*), MIN(expires_at) FROM governor_permit WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
            if in_flight >= self.max_in_flight:
                return _Decision(
                    granted=False, wait=min(self.poll_interval, first_expiry - now), reason="in_flight"
                )
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM governor_call WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
            if count >= self.limit_per_minute:
                (freeing,) = conn.execute(
                    "SELECT at FROM governor_call WHERE tenant_id = ? ORDER BY at LIMIT 1 OFFSET ?",
                    (tenant_id, count - self.limit_per_minute),
                ).fetchone()
                return _Decision(granted=False, wait=freeing + self.window - now, reason="window")
            conn.execute(
                "INSERT INTO governor_call (token, tenant_id, at) VALUES (?, ?, ?)", (token, tenant_id, now)
            )
            conn.execute(
                "INSERT INTO governor_permit (token, tenant_id, expires_at) VALUES (?, ?, ?)",
                (token, tenant_id, now + self.permit_ttl),
            )
            return _Decision(granted=True)

    def release(self, permit: Permit) -> None:
        with self._transaction(permit.tenant_id) as (conn, now):
            conn.execute("DELETE FROM governor_permit WHERE token = ?", (permit.token,))
            conn.execute("UPDATE governor_call SET at = MAX(at, ?) WHERE token = ?", (now, permit.token))

    def penalise(self, tenant_id: str, retry_after: float) -> None:
        _check_tenant(tenant_id)
        if retry_after <= 0:
            return
        with self._transaction(tenant_id) as (conn, now):
            conn.execute(
                "INSERT INTO governor_penalty (tenant_id, until) VALUES (?, ?) "
                "ON CONFLICT (tenant_id) DO UPDATE SET until = MAX(until, excluded.until)",
                (tenant_id, now + retry_after),
            )

    def observe(self, tenant_id: str, minute_remaining: int | None) -> None:
        _check_tenant(tenant_id)
        if minute_remaining is None:
            return
        with self._transaction(tenant_id) as (conn, now):
            (ours,) = conn.execute(
                "SELECT COUNT(*) FROM governor_call WHERE tenant_id = ?", (tenant_id,)
            ).fetchone()
            missing = self._observed_missing(minute_remaining, ours)
            prefix = f"observed:{uuid.uuid4().hex}:"
            conn.executemany(
                "INSERT INTO governor_call (token, tenant_id, at) VALUES (?, ?, ?)",
                [(f"{prefix}{i}", tenant_id, now) for i in range(missing)],
            )


def governor_from_settings() -> RateGovernor:
    """``RedisGovernor`` when ``REDIS_URL`` (or a ``redis://``/``rediss://`` ``CELERY_BROKER_URL``) is
    set, else ``DatabaseGovernor`` at ``RATE_GOVERNOR_PATH`` (default ``BASE_DIR/.governor.sqlite3``).
    Settings are read here only, at call time. Every worker must agree: all of them on one Redis, or
    all on one host sharing the file."""
    import redis as redis_lib
    from django.conf import settings

    url = getattr(settings, "REDIS_URL", "") or ""
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url and broker.startswith(("redis://", "rediss://")):
        url = broker
    if url:
        return RedisGovernor(redis_lib.Redis.from_url(url))
    path = getattr(settings, "RATE_GOVERNOR_PATH", None) or Path(settings.BASE_DIR) / ".governor.sqlite3"
    return DatabaseGovernor(path)
