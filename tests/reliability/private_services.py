"""Private Redis and PostgreSQL servers on free 127.0.0.1 ports, in temporary directories, that a test
or bench may stop and restart at will (the machine's shared servers on 6379 and 5432 are never
touched). Used by test_redis_restart.py (F4) and bench/bench_pg_restart.py, bench/bench_web_load.py.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


class PrivateRedis:
    """``redis-server --port <free> --save "" --appendonly yes --dir <tmp>``: the queue survives a
    restart through the append-only file. ``restart`` keeps the port and the directory."""

    def __init__(self, directory: Path, *, port: int | None = None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def client(self):
        """A client that fails at once when the server is away (redis-py retries with backoff by default)."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return redis.Redis(
            host=LOOPBACK,
            port=self.port,
            socket_timeout=5,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 0),
        )

    def start(self, *, timeout: float = 15) -> PrivateRedis:
        self.starts += 1
        log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, loopback only
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
                "--dir",
                str(self.dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.dir / 'redis.log').read_text()[-2000:]}")
            try:
                if self.client().ping():
                    # loading the AOF: wait until the server answers data commands
                    self.client().dbsize()
                    return self
            except Exception:  # noqa: S110 - not up yet
                pass
            time.sleep(0.05)
        raise RuntimeError(f"private redis on {self.port} not up within {timeout} s")

    def shutdown(self, *, save: bool) -> None:
        """``SHUTDOWN NOSAVE`` (only the AOF keeps the data) or ``SHUTDOWN SAVE`` (RDB dump + AOF)."""
        with socket.create_connection((LOOPBACK, self.port), timeout=5) as sock:
            sock.sendall(b"SHUTDOWN SAVE\r\n" if save else b"SHUTDOWN NOSAVE\r\n")
            with contextlib.suppress(OSError):
                sock.recv(100)  # the server closes the connection as it exits
        self.process.wait(15)
        deadline = time.monotonic() + 10
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, *, save: bool, down_for: float = 1.0) -> float:
        """Shut down, stay down ``down_for`` s, start again on the same port; returns seconds down."""
        t0 = time.monotonic()
        self.shutdown(save=save)
        time.sleep(down_for)
        self.start()
        return time.monotonic() - t0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class PrivatePostgres:
    """A throwaway PostgreSQL 15 cluster (initdb in a temp dir, trust auth on 127.0.0.1, a free port),
    run as the ``postgres`` OS user when this process is root (initdb refuses root)."""

    def __init__(self, *, port: int | None = None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="timeclamp-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/postgres"

    def _run(self, argv: list[str], *, timeout: float = 60) -> subprocess.CompletedProcess:
        kwargs = {}
        if self.user is not None:
            uid, gid = self.user.pw_uid, self.user.pw_gid

            def demote():
                os.setgid(gid)
                os.setuid(uid)

            kwargs["preexec_fn"] = demote
        return subprocess.run(  # noqa: S603 - fixed argv
            argv,
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            **kwargs,
        )

    def init(self) -> PrivatePostgres:
        self._run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ]
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '{LOOPBACK}'\nport = {self.port}\nunix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )
        return self

    def start(self) -> PrivatePostgres:
        self._run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"]
        )
        return self

    def restart_fast(self) -> float:
        """``pg_ctl restart -m fast``; returns the seconds it took."""
        t0 = time.monotonic()
        self._run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "restart",
            ]
        )
        return time.monotonic() - t0

    def stop(self, *, mode: str = "immediate") -> None:
        """Stop the cluster. ``immediate`` (the clean-up default) is a crash: with ``synchronous_commit
        = off`` it can lose the last commits, so a test that starts the cluster again uses ``fast``."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
