"""The stack the push benches run on, all on 127.0.0.1: two fresh PostgreSQL databases (the app's and
the Xero sandbox's) or two temporary SQLite files, a gunicorn subprocess serving the app with the
sandbox mounted at /xero-sandbox/ (XERO_SANDBOX=1, SITE_URL=http://127.0.0.1:<port>), and, when
asked, real Celery workers on a Redis database of their own.

Import this module first and call ``prepare()`` before ``django.setup()``: it sets the environment
that this process, the server and the workers share (same databases, same SITE_URL, so the sandbox's
token issuer and the product's base URLs agree everywhere).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
# Fixed so that every process of the bench encrypts and decrypts Xero tokens alike.
BENCH_TOKEN_KEY = "YmVuY2gtb25seS10b2tlbi1rZXktMzItYnl0ZXMhISE="  # noqa: S105 - a bench-only key


def add_arguments(parser: argparse.ArgumentParser, *, port: int) -> None:
    parser.add_argument("--port", type=int, default=port, help="gunicorn port on 127.0.0.1 (8100-8199)")
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server to create two temporary databases on, or 'sqlite' for temp files",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        help="Redis database for the Celery broker and the rate governor; must be empty (or --flush-redis)",
    )
    parser.add_argument("--flush-redis", action="store_true", help="empty that Redis database first")
    parser.add_argument("--latency-ms", type=int, default=100, help="XERO_SANDBOX_LATENCY_MS")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs afterwards")


@dataclass
class Stack:
    args: argparse.Namespace
    workdir: Path
    database_urls: dict[str, str]
    created_databases: list[str] = field(default_factory=list)
    server: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)  # for every process: web, workers, this one

    @property
    def site_url(self) -> str:
        return f"http://{LOOPBACK}:{self.args.port}"

    # --- environment -------------------------------------------------------------------------------
    def environ(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "XERO_", "CELERY_", "DATABASE_", "REDIS_", "SITE_URL"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="timeclamp.settings",
            DJANGO_DEBUG="1",
            DJANGO_SECRET_KEY="bench-only-secret-key",
            SECURE_SSL_REDIRECT="0",
            SITE_URL=self.site_url,
            XERO_SANDBOX="1",
            XERO_SANDBOX_TENANT_PER_MINUTE="60",
            XERO_SANDBOX_TENANT_IN_FLIGHT="5",
            XERO_SANDBOX_LATENCY_MS=str(self.args.latency_ms),
            DATABASE_URL=self.database_urls["default"],
            XERO_SANDBOX_DATABASE_URL=self.database_urls["xero_sandbox"],
            REDIS_URL=self.args.redis,
            CELERY_BROKER_URL=self.args.redis,
            CELERY_TASK_ALWAYS_EAGER="0",
            CELERY_BEAT_SCHEDULE_FILENAME=str(self.workdir / "celerybeat-schedule"),
            TOKEN_ENCRYPTION_KEYS=BENCH_TOKEN_KEY,
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        env.update(self.overrides)
        env.update(extra)
        return env

    # --- databases -----------------------------------------------------------------------------------
    def migrate(self) -> float:
        from django.core.management import call_command

        started = time.perf_counter()
        for alias in ("default", "xero_sandbox"):
            call_command("migrate", database=alias, verbosity=0, interactive=False)
        return time.perf_counter() - started

    def drop_databases(self) -> None:
        if not self.created_databases:
            return
        from django.db import connections

        connections.close_all()
        import psycopg2

        admin = _admin_dsn(self.args.database)
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in self.created_databases:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    # --- processes --------------------------------------------------------------------------------------
    def start_server(self, *, workers: int = 3, threads: int = 8) -> None:
        log = open(self.workdir / "gunicorn.log", "ab")  # noqa: SIM115 - closed with the process
        self.server = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            [
                str(BIN / "gunicorn"),
                "timeclamp.wsgi:application",
                "--bind",
                f"{LOOPBACK}:{self.args.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--timeout",
                "120",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=self.environ(LOG_LEVEL="WARNING"),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.workdir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.site_url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def start_worker(self, *, concurrency: int | None = None, name: str = "bench") -> subprocess.Popen:
        """The default worker set-up (docker-compose.yml): ``celery -A timeclamp worker -Q celery,xero
        --prefetch-multiplier 1`` (concurrency: the number of CPUs unless given)."""
        log_path = self.workdir / f"worker-{name}.log"
        argv = [
            str(BIN / "celery"),
            "-A",
            "timeclamp",
            "worker",
            "-Q",
            "celery,xero",
            "--prefetch-multiplier",
            "1",
            "--loglevel",
            "INFO",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
        ]
        if concurrency:
            argv += ["--concurrency", str(concurrency)]
        log = open(log_path, "ab")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(  # noqa: S603 - fixed argv
            argv, cwd=ROOT, env=self.environ(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.workers.append(worker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited; see {log_path}")
            if b" ready." in log_path.read_bytes():
                return worker
            time.sleep(0.2)
        raise RuntimeError(f"the worker was not ready within 60 s; see {log_path}")

    def stop(self, process: subprocess.Popen | None, *, grace: float = 30) -> None:
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def close(self) -> None:
        for worker in self.workers:
            self.stop(worker)
        self.stop(self.server, grace=10)
        if self.args.keep:
            print(f"\nKept: databases {self.database_urls}, logs in {self.workdir}")
            return
        try:
            self.drop_databases()
        finally:
            _flush_redis(self.args.redis)
            shutil.rmtree(self.workdir, ignore_errors=True)


def _admin_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _check_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname
    if host not in (LOOPBACK, "localhost", "::1"):
        raise SystemExit(f"{what} must be on 127.0.0.1 (got {host}): benches only send local traffic")


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def prepare(args: argparse.Namespace, *, label: str) -> Stack:
    """Create the databases, set this process's environment. Call before django.setup()."""
    _check_loopback(args.redis, "--redis")
    import redis

    client = redis.Redis.from_url(args.redis)
    if client.dbsize():
        if not args.flush_redis:
            raise SystemExit(f"{args.redis} is not empty: pick an empty Redis database or pass --flush-redis")
        client.flushdb()
    workdir = Path(tempfile.mkdtemp(prefix=f"timeclamp-{label}-"))
    if args.database == "sqlite":
        urls = {
            "default": f"sqlite:///{workdir / 'app.sqlite3'}",
            "xero_sandbox": f"sqlite:///{workdir / 'sandbox.sqlite3'}",
        }
        stack = Stack(args=args, workdir=workdir, database_urls=urls)
    else:
        _check_loopback(args.database, "--database")
        import psycopg2

        stamp = f"{label}_{int(time.time())}_{os.getpid()}"
        names = {"default": f"bench_{stamp}", "xero_sandbox": f"bench_{stamp}_sandbox"}
        conn = psycopg2.connect(_admin_dsn(args.database))
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in names.values():
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        urls = {alias: _with_db(args.database, name) for alias, name in names.items()}
        stack = Stack(args=args, workdir=workdir, database_urls=urls, created_databases=list(names.values()))
    wanted = stack.environ()
    for key in set(os.environ) - set(wanted):
        del os.environ[key]
    os.environ.update(wanted)
    os.environ["LOG_LEVEL"] = "WARNING"  # this process only: the bench prints its own figures
    return stack
