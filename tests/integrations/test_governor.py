"""The per-tenant Xero rate governor (integrations/governor.py).

Every behaviour test runs against both implementations: the SQLite-file governor in a tmp dir, and the
Redis governor (marked ``redis``: skipped unless REDIS_URL is set; each test uses its own key prefix and
deletes its keys). Time is a fake clock injected through ``clock=``/``sleep=`` except where real threads
or a real SIGKILLed process are the point of the test.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from integrations.governor import (
    DatabaseGovernor,
    GovernorTimeout,
    RateGovernor,
    RedisGovernor,
    client_hooks,
    governor_from_settings,
)
from integrations.xero.errors import XeroRateLimited
from integrations.xero.types import RateLimitState

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_000_000.0


class FakeClock:
    """Single-threaded fake time: ``sleep`` advances ``now`` and records what was asked."""

    def __init__(self, start: float = T0):
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def redis_keys():
    """A Redis client and a key prefix of this test's own; every key under it is deleted afterwards."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    prefix = f"test:governor:{uuid.uuid4().hex}:"
    yield client, prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["file", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, tmp_path):
    """``make(**kwargs)`` builds a governor of the parametrised kind; ``info`` tells which."""
    if request.param == "file":
        path = tmp_path / "governor.sqlite3"

        def make(**kwargs):
            return DatabaseGovernor(path, **kwargs)

        return make, {"kind": "file", "path": path}

    client, prefix = request.getfixturevalue("redis_keys")

    def make(**kwargs):
        return RedisGovernor(client, key_prefix=prefix, **kwargs)

    return make, {"kind": "redis", "client": client, "prefix": prefix}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make(backend, clock):
    """A governor on the fake clock; keyword arguments override the defaults."""
    factory, _ = backend

    def build(**kwargs):
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sleep", clock.sleep)
        return factory(**kwargs)

    return build


def fill(governor, tenant, n):
    for _ in range(n):
        governor.release(governor.acquire(tenant, timeout=0))


# --- rolling window ---------------------------------------------------------------------------------------


def test_acquire_rolling_window_blocks_until_oldest_call_ages_out(make, clock):
    governor = make(limit_per_minute=3)
    fill(governor, "t-1", 3)
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.reason == "window"
    assert excinfo.value.retry_after == pytest.approx(60)

    clock.advance(20)
    permit = governor.acquire("t-1", timeout=120)
    assert clock.now == pytest.approx(T0 + 60)
    assert sum(clock.slept) == pytest.approx(40)
    assert permit.tenant_id == "t-1"


def test_acquire_fails_fast_when_window_wait_exceeds_timeout(make, clock):
    governor = make(limit_per_minute=2)
    fill(governor, "t-1", 2)
    with pytest.raises(GovernorTimeout, match=r"retry in 60\.0 s"):
        governor.acquire("t-1", timeout=30)
    assert clock.slept == []  # did not sleep in vain


def test_acquire_default_limit_is_58_per_minute(make, clock):
    governor = make()
    assert governor.limit_per_minute == 58
    fill(governor, "t-1", 58)
    with pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=0)


def test_acquire_never_more_than_limit_starts_in_any_60_seconds(make, clock):
    governor = make(limit_per_minute=7, max_in_flight=3)
    rng = random.Random(1234)
    starts = []
    held = []
    for _ in range(120):
        held.append(governor.acquire("t-1", timeout=600))
        starts.append(clock.now)
        if len(held) == 3 or rng.random() < 0.5:
            clock.advance(rng.uniform(0, 3))  # the call takes a while
            governor.release(held.pop(0))
        clock.advance(rng.choice([0, 0, 0.5, 4, 11]))
    for i, start in enumerate(starts):
        in_window = [s for s in starts[i:] if s < start + 60]
        assert len(in_window) <= 7


def test_release_moves_the_call_to_its_end_in_the_window(make, clock):
    """Xero counts a call when it receives it: our entry lasts until 60 s after the call ended."""
    governor = make(limit_per_minute=1)
    permit = governor.acquire("t-1", timeout=0)
    clock.advance(10)
    governor.release(permit)
    clock.advance(55)  # 65 s after the start, 55 s after the end
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.retry_after == pytest.approx(5)


# --- in flight --------------------------------------------------------------------------------------------


def test_acquire_in_flight_cap_polls_until_timeout(make, clock):
    governor = make(max_in_flight=5, poll_interval=0.25)
    permits = [governor.acquire("t-1", timeout=0) for _ in range(5)]
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.reason == "in_flight"
    assert excinfo.value.retry_after == 1.0  # a hint for a task's retry countdown

    with pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=1)
    assert clock.now == pytest.approx(T0 + 1)
    assert clock.slept == [pytest.approx(0.25)] * 4

    governor.release(permits[0])
    assert governor.acquire("t-1", timeout=0).tenant_id == "t-1"


def test_acquire_at_most_max_in_flight_across_threads(backend):
    """Real threads, real clock: 16 threads x 6 calls never have more than 5 in flight."""
    factory, _ = backend
    governor = factory(limit_per_minute=10_000, max_in_flight=5, poll_interval=0.002)
    lock = threading.Lock()
    current = 0
    peak = 0
    errors = []

    def worker():
        nonlocal current, peak
        try:
            for _ in range(6):
                with governor.slot("t-threads", timeout=30):
                    with lock:
                        current += 1
                        peak = max(peak, current)
                    time.sleep(0.01)
                    with lock:
                        current -= 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert peak == 5


# --- crash safety -----------------------------------------------------------------------------------------


def test_expired_permits_are_reclaimed(make, clock):
    governor = make(max_in_flight=2, permit_ttl=120)
    governor.acquire("t-1", timeout=0)  # never released: the worker died
    governor.acquire("t-1", timeout=0)
    with pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=0)
    clock.advance(119)
    with pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=0)
    clock.advance(1)
    assert governor.acquire("t-1", timeout=0).tenant_id == "t-1"


_CHILD = """
import os, signal, sys
sys.path.insert(0, {root!r})
from integrations.governor import DatabaseGovernor, RedisGovernor
if {kind!r} == "file":
    governor = DatabaseGovernor({path!r}, max_in_flight=1, permit_ttl=0.5)
else:
    import redis
    governor = RedisGovernor(redis.Redis.from_url({url!r}), key_prefix={prefix!r}, max_in_flight=1, permit_ttl=0.5)
governor.acquire("t-killed", timeout=0)
print("acquired", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_sigkilled_worker_cannot_block_a_tenant(backend):
    """A real process takes the only permit and is SIGKILLed; the permit frees itself after its TTL."""
    factory, info = backend
    script = _CHILD.format(
        root=str(ROOT),
        kind=info["kind"],
        path=str(info.get("path", "")),
        url=os.environ.get("REDIS_URL", ""),
        prefix=info.get("prefix", ""),
    )
    child = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert "acquired" in child.stdout

    governor = factory(max_in_flight=1, permit_ttl=0.5, poll_interval=0.02)
    with pytest.raises(GovernorTimeout):
        governor.acquire("t-killed", timeout=0)
    started = time.monotonic()
    governor.release(governor.acquire("t-killed", timeout=5))
    assert time.monotonic() - started < 2


# --- penalties --------------------------------------------------------------------------------------------


def test_penalise_blocks_until_retry_after(make, clock):
    governor = make()
    governor.penalise("t-1", 30)
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.reason == "penalty"
    assert excinfo.value.retry_after == pytest.approx(30)

    with pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=10)  # fails fast: the wait is known
    assert clock.slept == []

    clock.advance(5)
    governor.acquire("t-1", timeout=60)
    assert clock.now == pytest.approx(T0 + 30)


def test_penalise_keeps_the_later_deadline(make, clock):
    governor = make()
    governor.penalise("t-1", 30)
    governor.penalise("t-1", 5)
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.retry_after == pytest.approx(30)
    governor.penalise("t-1", 0)  # ignored
    governor.penalise("t-1", 90)
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.retry_after == pytest.approx(90)


def test_slot_penalises_and_releases_on_rate_limited(make, clock):
    governor = make(max_in_flight=1)
    with pytest.raises(XeroRateLimited), governor.slot("t-1", timeout=0):
        raise XeroRateLimited("429", retry_after=12, problem="minute")
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.reason == "penalty"
    clock.advance(12)
    governor.acquire("t-1", timeout=0)  # the slot's permit was released


def test_slot_releases_on_any_error(make):
    governor = make(max_in_flight=1)

    def failing_call():
        with governor.slot("t-1", timeout=0):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_call()
    with governor.slot("t-1", timeout=0) as permit:
        assert permit.tenant_id == "t-1"


# --- observe ----------------------------------------------------------------------------------------------


def test_observe_slows_down_to_what_xero_says_remains(make, clock):
    governor = make(limit_per_minute=58)
    fill(governor, "t-1", 2)
    governor.observe("t-1", 10)  # Xero counted 50 calls, we made 2: 48 were made elsewhere
    fill(governor, "t-1", 8)  # 58 - 50
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.reason == "window"
    clock.advance(60)
    fill(governor, "t-1", 58)  # the placeholders age out like calls


def test_observe_ignores_none_and_plenty_remaining(make):
    governor = make(limit_per_minute=5)
    governor.observe("t-1", None)
    governor.observe("t-1", 60)
    fill(governor, "t-1", 1)
    governor.observe("t-1", 59)  # Xero counted exactly our one call
    fill(governor, "t-1", 4)


def test_observe_zero_remaining_fills_the_window(make, clock):
    governor = make()
    governor.observe("t-1", 0)
    with pytest.raises(GovernorTimeout) as excinfo:
        governor.acquire("t-1", timeout=0)
    assert excinfo.value.retry_after == pytest.approx(60)


# --- fairness ---------------------------------------------------------------------------------------------


def test_two_tenants_are_independent(make, clock):
    governor = make(limit_per_minute=58, max_in_flight=5)
    fill(governor, "tenant-a", 53)
    held = [governor.acquire("tenant-a", timeout=0) for _ in range(5)]  # window full, 5 in flight
    governor.penalise("tenant-a", 3600)
    with pytest.raises(GovernorTimeout):
        governor.acquire("tenant-a", timeout=0)

    for _ in range(5):
        with governor.slot("tenant-b", timeout=0):
            pass
    assert clock.slept == []  # B never waited for A
    assert len(held) == 5


def test_noisy_neighbour_threads_do_not_delay_another_tenant(backend):
    """Real threads hammer tenant A at its limits while tenant B's calls go straight through."""
    factory, _ = backend
    governor = factory(limit_per_minute=20, max_in_flight=5, poll_interval=0.002)
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                with governor.slot("tenant-a", timeout=0.05):
                    time.sleep(0.005)
            except GovernorTimeout:
                pass

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)  # A is now at its window and in-flight limits
        with pytest.raises(GovernorTimeout):
            governor.acquire("tenant-a", timeout=0)
        started = time.monotonic()
        for _ in range(10):
            with governor.slot("tenant-b", timeout=0):  # timeout 0: any wait would raise
                pass
        assert time.monotonic() - started < 2
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


# --- client hooks -----------------------------------------------------------------------------------------


def test_client_hooks_take_a_slot_and_observe(make, clock):
    governor = make(max_in_flight=1, limit_per_minute=58)
    hooks = client_hooks(governor, "t-1", timeout=0)
    with hooks["limiter"](), pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=0)
    hooks["on_limits"](RateLimitState(minute_remaining=3))  # Xero: 57 used, we made 1
    fill(governor, "t-1", 1)
    with pytest.raises(GovernorTimeout):
        governor.acquire("t-1", timeout=0)


# --- arguments and implementation details -----------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"limit_per_minute": 0}, {"max_in_flight": 0}, {"permit_ttl": 0}, {"poll_interval": 0}],
)
def test_constructor_rejects_nonsense(make, kwargs):
    with pytest.raises(ValueError, match="must be"):
        make(**kwargs)


def test_both_implementations_satisfy_the_protocol(make):
    assert isinstance(make(), RateGovernor)


def test_acquire_requires_a_tenant(make):
    governor = make()
    with pytest.raises(ValueError, match="tenant_id"):
        governor.acquire("", timeout=0)
    with pytest.raises(ValueError, match="tenant_id"):
        governor.penalise("", 1)


@pytest.mark.parametrize("start", [1_770_000_000.12344, 1_770_000_000.12346, 1_770_000_000.0])
def test_in_flight_permits_survive_microsecond_clock_steps_at_todays_epoch(make, start):
    """Regression: Lua's 14-digit number formatting once made the Redis purge drop live permits."""
    clock = FakeClock(start=start)
    governor = make(max_in_flight=1, clock=clock, sleep=clock.sleep)
    governor.acquire("t-1", timeout=0)
    for _ in range(50):
        clock.advance(0.000001)
        with pytest.raises(GovernorTimeout):
            governor.acquire("t-1", timeout=0)


def test_database_governor_touches_nothing_until_used(tmp_path):
    path = tmp_path / "sub" / "governor.sqlite3"
    path.parent.mkdir()
    governor = DatabaseGovernor(path)
    assert not path.exists()
    governor.release(governor.acquire("t-1", timeout=0))
    assert path.exists()


def test_database_governor_shared_by_two_instances(tmp_path, clock):
    """Two instances on one file (as two worker processes would be) share the tenant's budget."""
    path = tmp_path / "governor.sqlite3"
    first = DatabaseGovernor(path, limit_per_minute=4, clock=clock, sleep=clock.sleep)
    second = DatabaseGovernor(path, limit_per_minute=4, clock=clock, sleep=clock.sleep)
    fill(first, "t-1", 2)
    fill(second, "t-1", 2)
    with pytest.raises(GovernorTimeout):
        first.acquire("t-1", timeout=0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_database_governor_survives_fork(tmp_path):
    """Celery's prefork pool forks after the parent may have used the governor."""
    governor = DatabaseGovernor(tmp_path / "governor.sqlite3", limit_per_minute=3)
    fill(governor, "t-1", 1)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            fill(governor, "t-1", 2)
            try:
                governor.acquire("t-1", timeout=0)
            except GovernorTimeout:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with pytest.raises(GovernorTimeout):  # the parent sees the child's two calls
        governor.acquire("t-1", timeout=0)
    governor.close()
    governor.close()


def test_database_governor_clock_moved_back_does_not_block_for_long(tmp_path, clock):
    path = tmp_path / "governor.sqlite3"
    governor = DatabaseGovernor(path, limit_per_minute=1, max_in_flight=1, clock=clock, sleep=clock.sleep)
    governor.acquire("t-1", timeout=0)
    clock.now -= 3600  # the wall clock jumped back an hour
    governor.acquire("t-1", timeout=0)


@pytest.mark.redis
def test_redis_governor_keys_are_per_tenant_hash_tagged_and_expire(redis_keys):
    client, prefix = redis_keys
    governor = RedisGovernor(client, key_prefix=prefix)  # the Redis server's clock
    governor.release(governor.acquire("t-1", timeout=0))
    governor.penalise("t-1", 5)
    keys = sorted(k.decode() for k in client.scan_iter(match=f"{prefix}*"))
    assert keys == [f"{prefix}{{t-1}}:penalty", f"{prefix}{{t-1}}:window"]  # in-flight set emptied
    for key in keys:
        assert 0 < client.pttl(key) <= 181_000


# --- governor_from_settings -------------------------------------------------------------------------------


def test_governor_from_settings_redis_url(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert isinstance(governor_from_settings(), RedisGovernor)


def test_governor_from_settings_redis_broker(settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/1"
    governor = governor_from_settings()
    assert isinstance(governor, RedisGovernor)
    assert governor.limit_per_minute == 58
    assert governor.max_in_flight == 5


def test_governor_from_settings_file_at_configured_path(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.RATE_GOVERNOR_PATH = tmp_path / "g.sqlite3"
    governor = governor_from_settings()
    assert isinstance(governor, DatabaseGovernor)
    assert governor.path == tmp_path / "g.sqlite3"


def test_governor_from_settings_file_default_path(settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "filesystem://"
    if hasattr(settings, "RATE_GOVERNOR_PATH"):
        del settings.RATE_GOVERNOR_PATH
    governor = governor_from_settings()
    assert isinstance(governor, DatabaseGovernor)
    assert governor.path == Path(settings.BASE_DIR) / ".governor.sqlite3"
