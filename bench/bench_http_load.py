"""Row L4 of the reliability matrix: raw HTTP load on /healthz and the login page under gunicorn.

Starts gunicorn (2 sync workers, like the compose file's default on 2 cores) on 127.0.0.1 with a
temporary SQLite database, runs `wrk` (Debian package `wrk`) against it, prints requests/s,
latency percentiles, socket errors and non-2xx counts, and stops gunicorn. Traffic stays on 127.0.0.1.

    .venv/bin/python bench/bench_http_load.py [--seconds 15] [--connections 50]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8190


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own loopback server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def run_wrk(url: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def find(pattern, default="0"):
        match = re.search(pattern, out)
        return match.group(1) if match else default

    return {
        "rps": find(r"Requests/sec:\s+([\d.]+)"),
        "p50": find(r"50%\s+([\d.]+\w+)"),
        "p99": find(r"99%\s+([\d.]+\w+)"),
        "requests": find(r"(\d+) requests in"),
        "socket_errors": find(r"Socket errors: (.*)", "none"),
        "non_2xx": find(r"Non-2xx or 3xx responses: (\d+)"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    tmp = tempfile.mkdtemp(prefix="timeclamp-load-")
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "load-bench-" + "x" * 50,
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "XERO_SANDBOX": "0",
        "DATABASE_URL": f"sqlite:///{tmp}/load.sqlite3",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "TOKEN_ENCRYPTION_KEYS": "ukXEsxkbSAl2Ba2FRIwsNvt1F5HqCFygrBAzwIlEKBQ=",
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(python).parent / "gunicorn"),
            "timeclamp.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"http://127.0.0.1:{PORT}/healthz")
        print(
            f"L4: wrk -t2 -c{args.connections} -d{args.seconds}s against gunicorn (2 sync workers) on 127.0.0.1"
        )
        print(f"{'path':<22}{'requests':>10}{'req/s':>10}{'p50':>10}{'p99':>10}  non-2xx  socket errors")
        for path in ("/healthz", "/accounts/login/"):
            r = run_wrk(f"http://127.0.0.1:{PORT}{path}", args.seconds, args.connections)
            print(
                f"{path:<22}{r['requests']:>10}{r['rps']:>10}{r['p50']:>10}{r['p99']:>10}  {r['non_2xx']:>7}  "
                f"{r['socket_errors']}"
            )
        print("Targets (reliability-notes L4): 0 socket errors, 0 non-2xx, p99 <= 1 s.")
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
