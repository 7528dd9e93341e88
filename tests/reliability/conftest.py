"""Harness for tests with real processes: the Xero sandbox served over real HTTP on 127.0.0.1 (a live
server thread of this process, on pytest-django's test databases), real ``celery -A timeclamp
worker`` subprocesses on the Redis broker (REDIS_URL), and helpers to watch them.

The workers get this test's databases (pytest-django's ``test_<name>``, read from
``connection.settings_dict`` inside the transactional test), ``SITE_URL`` = the live server (so the
product's XERO_*_URL point at it) and ``CELERY_TASK_ALWAYS_EAGER=0``. This process stays eager
except where a test turns it off (``broker``): then ``delay_on_commit`` publishes to Redis for real.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
LOOPBACK = "127.0.0.1"

# The notes' sizes (F1 x10, F2 x5 with 50 queued, F3 x5, F4 200 tasks, F5 50 submits) with
# RELIABILITY_FULL=1; CI runs each scenario once at a small size to stay within its time.
FULL = os.environ.get("RELIABILITY_FULL") == "1"


def scale(ci: int, full: int) -> int:
    return full if FULL else ci


def wait_for(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = ""):
    """Poll ``predicate`` until it returns something truthy (returned), or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what or predicate}")
        time.sleep(interval)


def database_url(alias: str, tmp_path: Path) -> str:
    """A URL for this test's database ``alias`` that another process can open. An in-memory SQLite
    test database cannot be shared: the workers never use the sandbox's database (they reach the
    sandbox over HTTP), so they get an empty file instead."""
    s = connections[alias].settings_dict
    if s["ENGINE"].endswith("postgresql"):
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or LOOPBACK
        return f"postgres://{auth}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"
    name = str(s["NAME"])
    if "memory" in name or name == ":memory:":
        return f"sqlite:///{tmp_path / f'unused-{alias}.sqlite3'}"
    return f"sqlite:///{name}"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass
class Worker:
    """One ``celery -A timeclamp worker`` in its own process group (so the whole group can be killed)."""

    env: dict[str, str]
    log_path: Path
    concurrency: int = 1
    process: subprocess.Popen | None = None
    name: str = field(default_factory=lambda: f"reliability-{uuid.uuid4().hex[:8]}")

    def start(self, *, timeout: float = 30) -> Worker:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                str(CELERY),
                "-A",
                "timeclamp",
                "worker",
                "-Q",
                "celery,xero",
                "--concurrency",
                str(self.concurrency),
                "--prefetch-multiplier",
                "1",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
                "-n",
                f"{self.name}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(
            lambda: self._check_alive() and " ready." in self.log(),
            timeout=timeout,
            what="the worker to be ready",
        )
        return self

    def _check_alive(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited ({self.process.returncode}):\n{self.log()[-3000:]}")
        return True

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def count(self, text: str) -> int:
        return self.log().count(text)

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill_group(self) -> None:
        """SIGKILL the main process and its pool children at once (container kill, kill -9)."""
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, *, grace: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def sandbox_server(transactional_db, settings) -> Iterator[str]:
    """The app, with the sandbox mounted, on a live server thread at http://127.0.0.1:<free port>."""
    from pytest_django.live_server_helper import LiveServer

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, LOOPBACK]
    server = LiveServer(LOOPBACK)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def worker_env(sandbox_server, tmp_path) -> dict[str, str]:
    redis_url = os.environ["REDIS_URL"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="timeclamp.settings",
        DATABASE_URL=database_url("default", tmp_path),
        XERO_SANDBOX_DATABASE_URL=database_url("xero_sandbox", tmp_path),
        XERO_SANDBOX="1",
        SITE_URL=sandbox_server,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
        PYTHONUNBUFFERED="1",
    )
    for key in ("XERO_API_URL", "XERO_IDENTITY_URL", "XERO_LOGIN_URL"):
        env.pop(key, None)  # derived from SITE_URL
    return env


@pytest.fixture
def start_worker(worker_env, tmp_path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*, concurrency: int = 1) -> Worker:
        worker = Worker(
            env=worker_env, log_path=tmp_path / f"worker-{len(started) + 1}.log", concurrency=concurrency
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def broker():
    """This process publishes to the real broker (not eagerly) for the test; yields the Celery app."""
    from django.conf import settings

    from timeclamp.celery import app

    def reset_producers():  # drop cached connections to another broker
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    foreign = app.conf.broker_url != settings.CELERY_BROKER_URL  # e.g. left by the e2e worker (memory://)
    if foreign:
        saved_url = app.conf.broker_url
        app.conf.broker_url = settings.CELERY_BROKER_URL
        reset_producers()
    try:
        yield app
    finally:
        app.conf.task_always_eager = eager
        if foreign:
            app.conf.broker_url = saved_url
            reset_producers()


def publish(url: str, name: str, kwargs: dict | None = None, *, priority: int | None = None) -> None:
    """Send a task to the broker at ``url`` (a private Redis; this process's broker setting is left
    alone), as beat or the web process would."""
    from celery.exceptions import AlwaysEagerIgnored

    from timeclamp.celery import app

    with app.connection_for_write(url) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", AlwaysEagerIgnored)  # send_task always publishes: as meant
        options = {} if priority is None else {"priority": priority}
        app.send_task(name, kwargs=kwargs or {}, queue="xero", connection=conn, **options)


def queue_pushes_on(monkeypatch, url: str) -> None:
    """This process publishes push tasks to the broker at ``url`` (a private Redis) instead of its
    own; everything else of payroll_push_enqueue (the outbox mark, the priority) runs as it is."""
    from integrations.tasks import payroll_push_execute_task

    def apply_async(*, kwargs: dict, queue: str, priority: int | None = None, **_options) -> None:
        publish(url, payroll_push_execute_task.name, kwargs, priority=priority)

    monkeypatch.setattr(payroll_push_execute_task, "apply_async", apply_async)


def unacked_task(app, *, task: str, kwargs: dict) -> str | None:
    """The delivery tag of ``task`` with ``kwargs`` among the broker's unacknowledged messages (a
    worker took it and died without acking), or None."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for tag, payload in channel.client.hgetall(channel.unacked_key).items():
            message, _exchange, _routing_key = json.loads(payload)
            if message.get("headers", {}).get("task") != task:
                continue
            body = message["body"]
            if message.get("properties", {}).get("body_encoding") == "base64":
                body = base64.b64decode(body)
            _args, task_kwargs, _embed = json.loads(body)
            if task_kwargs == kwargs:
                return tag.decode() if isinstance(tag, bytes) else tag
    return None


def restore_unacked(app, tag: str) -> None:
    """Put an unacknowledged message back on its queue: what kombu's Redis transport does by itself
    once ``visibility_timeout`` (3,600 s here) has passed."""
    with app.connection_for_write() as conn:
        conn.default_channel.qos.restore_by_tag(tag, leftmost=True)
