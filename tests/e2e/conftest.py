"""Browser journeys: Playwright (PyPI) driving Debian's Chromium against the app and the Xero sandbox,
both served over real HTTP on 127.0.0.1 by pytest-django's live_server, with a real Celery worker thread.

stack-notes §7 and §4:
- never ``playwright install``: the browser is /usr/bin/chromium (CHROMIUM_PATH overrides it);
- Playwright's sync API runs an event loop in the test thread, so DJANGO_ALLOW_ASYNC_UNSAFE is set
  for the whole run (the loop outlives the e2e tests);
- every setting the live server needs is overridden for the e2e package, before the first journey:
  the Xero base URLs and the redirect URI point at live_server.url (the sandbox registers the OAuth
  app from settings, so it picks the redirect URI up), plain-HTTP cookies;
- a real worker (``start_worker``, memory broker, solo pool) consumes the ``celery`` and ``xero``
  queues, so the $Payroll page shows live progress. Celery's config is restored afterwards, so the
  rest of the suite keeps running tasks eagerly.

What every journey checks on every page it opens (see ``Person``): no console error, no failed
request to our server (4xx/5xx, except the statuses a journey declares with ``expect_status``), a
non-empty <title>, an <h1>, a label on every form control, nothing wider than the window (an init
script reports problems as console errors, so nothing is missed, htmx swaps included). ``Person.screen()`` also runs axe-core
(no serious or critical violation) and saves a screenshot under test-artifacts/<journey>/.

axe is injected with ``page.evaluate`` rather than a script tag: DevTools evaluation is not subject to
the page's Content-Security-Policy, so the app's CSP stays enforced in the journeys (a violation is a
console error and fails the journey), which ``bypass_csp=True`` would hide.
"""

import os
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import override_settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
PASSWORD = "timeclamp-demo"
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING_IMPACTS = {"serious", "critical"}
# The sandbox's pages stand in for Xero's own (login, consent), whose markup Timeclamp does not
# control: axe gates our pages only. Every other check applies to them too.
SANDBOX_PREFIX = "/xero-sandbox/"

# Runs in every document before the page's own scripts. Problems become console errors, which fail
# the journey with the page's address.
PAGE_CHECK_SCRIPT = r"""
(() => {
  const controls = "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea";
  function check() {
    if (!document.contentType || document.contentType.indexOf("html") === -1) return;
    const problems = [];
    if (!document.title || !document.title.trim()) problems.push("no <title>");
    if (!document.querySelector("h1")) problems.push("no <h1>");
    document.querySelectorAll(controls).forEach((el) => {
      const labelled = (el.labels && el.labels.length) || el.getAttribute("aria-labelledby") || el.getAttribute("aria-label");
      if (!labelled) problems.push("control without a label: " + el.outerHTML.slice(0, 120));
    });
    if (problems.length) console.error("[e2e page check] " + location.pathname + ": " + problems.join(" | "));
  }
  function checkWidth() {  // nothing may push the page sideways (a phone shows it zoomed out)
    const root = document.documentElement;
    if (root && root.scrollWidth > root.clientWidth + 1) {
      console.error("[e2e page check] " + location.pathname + ": wider than the window (" + root.scrollWidth + " px > " + root.clientWidth + " px)");
    }
  }
  document.addEventListener("DOMContentLoaded", check);
  document.addEventListener("htmx:afterSettle", () => { check(); checkWidth(); });
  window.addEventListener("load", checkWidth);
})();
"""


# --- browser -----------------------------------------------------------------------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _chromium_installed():
    """Like the postgres/redis markers: skipped with the reason when Chromium is missing, unless
    REQUIRE_SERVICES=1 (CI, whose .ci/run installs it), where a missing browser fails."""
    if not os.access(CHROMIUM, os.X_OK) and os.environ.get("REQUIRE_SERVICES") != "1":
        pytest.skip(f"needs Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # An Australian browser: en-AU, Sydney's clock. (Debian's Chromium ships only its en-US locale
    # data, so native date inputs still render MM/DD/YYYY in the screenshots.)
    return {
        **browser_context_args,
        "locale": "en-AU",
        "timezone_id": "Australia/Sydney",
    }


# --- server, settings, worker --------------------------------------------------------------------
def _xero_settings(url: str) -> dict:
    return {
        "SITE_URL": url,
        "XERO_LOGIN_URL": f"{url}/xero-sandbox/login",
        "XERO_IDENTITY_URL": f"{url}/xero-sandbox/identity",
        "XERO_API_URL": f"{url}/xero-sandbox/api",
        "XERO_REDIRECT_URI": f"{url}/integrations/xero/callback/",
    }


def _share_in_memory_databases(live_server) -> None:
    """On SQLite the test databases live in memory, and the live server's request threads must use
    the test thread's connections (pytest-django passes them as connections_override). pytest-django
    only finds them if the test databases existed when the session's live server started, which is
    not so when a journey is the session's first database test: then add them now. (The server reads
    that dict for every request.) Those connection objects are the ones the worker thread and the
    journeys' own queries use too: one connection per in-memory database, so no SQLite shared-cache
    table lock ever stands between the browser's requests, the worker and the test."""
    override = live_server.thread.connections_override
    for conn in connections.all():
        if conn.vendor == "sqlite" and conn.is_in_memory_db() and conn.alias not in override:
            conn.inc_thread_sharing()  # pytest-django's LiveServer.stop() decrements it
            override[conn.alias] = conn


@pytest.fixture(scope="package")
def e2e_server(django_db_setup, django_db_blocker, live_server):
    """The live server plus the settings it needs, for the whole e2e package (one live server for the
    session, as pytest-django makes it; settings are read per request, so overriding them here, before
    the first page, is in time)."""
    _share_in_memory_databases(live_server)
    override = override_settings(
        **_xero_settings(live_server.url),
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        SESSION_COOKIE_NAME="sessionid",  # a __Host- cookie must be Secure: plain names over HTTP
        CSRF_COOKIE_NAME="csrftoken",
        # A real worker thread on an in-memory broker (see ``celery_worker``). Celery reads Django's
        # settings lazily, so this override is all it takes, and ends with the e2e package: the app's
        # own configuration is never written to, so nothing leaks into the rest of the session.
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL="memory://",
        CELERY_BROKER_TRANSPORT_OPTIONS={"polling_interval": 0.05},
        CELERY_WORKER_HIJACK_ROOT_LOGGER=False,
        # The rate governor: a per-test SQLite file (see ``journey``), never Redis state left by other
        # runs; the governor takes Redis from REDIS_URL or a redis:// broker.
        REDIS_URL="",
    )
    override.enable()
    try:
        yield live_server
    finally:
        override.disable()


_worker_db_closed = threading.Event()
_task_failures: list[str] = []  # a task that raised in the worker fails the journey that queued it


@pytest.fixture(scope="package")
def celery_worker(e2e_server):
    """A real worker thread on the in-memory broker, consuming both queues (tasks named
    ``integrations.*`` are routed to ``xero``).

    On SQLite the test databases live in memory and the live server's threads share the test
    thread's connections (see ``_share_in_memory_databases``). The worker thread shares them too: a
    connection of its own would meet SQLite's shared-cache table locks ("database table is locked")
    whenever a page reads a table the worker is writing. PostgreSQL (CI) gives every thread its own
    connection, as in production."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_failure, task_prerun

    from timeclamp.celery import app

    shared = dict(e2e_server.thread.connections_override)  # empty on PostgreSQL

    def share_connections(**_kwargs):
        for alias, conn in shared.items():
            connections[alias] = conn

    def record_failure(sender=None, exception=None, **_kwargs):
        _task_failures.append(f"{getattr(sender, 'name', sender)}: {exception!r}")

    task_prerun.connect(share_connections, weak=False)
    task_failure.connect(record_failure, weak=False)

    @app.task(name="e2e.close_worker_db", shared=False)
    def close_worker_db():  # the worker thread's own connections (PostgreSQL would keep them open)
        connections.close_all()
        _worker_db_closed.set()

    def reset_producers():
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    reset_producers()  # the broker comes from e2e_server's settings: memory://
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        queues=["celery", "xero"],
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=10,
    ) as worker:
        yield worker
        _worker_db_closed.clear()
        close_worker_db.delay()
        _worker_db_closed.wait(10)
    task_prerun.disconnect(share_connections)
    task_failure.disconnect(record_failure)
    reset_producers()


def wait_for_worker_idle(timeout: float = 30.0) -> None:
    """Until the worker has nothing running, reserved or queued (checked twice, 0.2 s apart)."""
    from celery.worker import state

    from timeclamp.celery import app

    def queued() -> int:
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            total = 0
            for queue in ("celery", "xero"):
                try:
                    total += channel.queue_declare(queue=queue, passive=True).message_count
                except Exception:  # noqa: S112 - not declared yet: nothing queued
                    continue
            return total

    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        busy = len(state.active_requests) + len(state.reserved_requests) + queued()
        quiet = quiet + 1 if busy == 0 else 0
        if quiet >= 2:
            return
        time.sleep(0.2)
    raise AssertionError("The Celery worker was still busy at the end of the journey.")


# --- journeys ------------------------------------------------------------------------------------
class Person:
    """One person in one browser context (their own cookies), with every check attached."""

    def __init__(self, journey: "Journey", name: str, page):
        self.journey, self.name, self.page = journey, name, page
        self.expected: set[tuple[int, str]] = set()
        page.set_default_timeout(15_000)
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: journey.problem(f"{name}: uncaught page error: {exc}"))
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        page.on("dialog", self._on_dialog)
        self.dialogs: list[str] = []

    # --- listeners --------------------------------------------------------------------------------
    def _ours(self, url: str) -> bool:
        return url.startswith(self.journey.url)

    def _path(self, url: str) -> str:
        return urlsplit(url).path

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        location = (message.location or {}).get("url", "")
        if "Failed to load resource" in message.text and self._expected_url(location):
            return
        self.journey.problem(f"{self.name}: console error on {self.page.url}: {message.text}")

    def _expected_url(self, url: str) -> bool:
        return any(self._path(url) == path for _status, path in self.expected)

    def _on_response(self, response) -> None:
        if response.status < 400 or not self._ours(response.url):
            return
        if (response.status, self._path(response.url)) in self.expected:
            return
        self.journey.problem(
            f"{self.name}: {response.request.method} {self._path(response.url)} answered {response.status}"
        )

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        if not self._ours(request.url) or "ERR_ABORTED" in failure:
            return  # a navigation cancelled it (an htmx poll, a download): not a failure of ours
        self.journey.problem(f"{self.name}: {request.method} {self._path(request.url)} failed: {failure}")

    def _on_dialog(self, dialog) -> None:
        # data-confirm (app.js): destructive actions ask first. Journeys accept; the text is kept.
        self.dialogs.append(dialog.message)
        dialog.accept()

    # --- actions ----------------------------------------------------------------------------------
    def expect_status(self, status: int, path: str) -> None:
        """This page answering ``status`` is part of the journey (journey 7's 404s)."""
        self.expected.add((status, path))

    def goto(self, path: str):
        response = self.page.goto(self.journey.url + path)
        self.page.wait_for_load_state()
        return response

    def go(self, target) -> None:
        """Click a link or a submit button and wait for the page it leads to (an htmx form that
        answers with HX-Redirect included)."""
        with self.page.expect_navigation():
            target.click()
        self.page.wait_for_load_state()

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.go(self.page.get_by_role("button", name="Log in"))
        assert "/accounts/login/" not in self.page.url, f"{email} could not log in"

    def message(self) -> str:
        """The text of the flash messages on the page (every action should leave one)."""
        messages = self.page.locator(".messages")
        messages.first.wait_for()
        return messages.inner_text()

    def axe(self) -> list[str]:
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE + "\n;undefined")
        violations = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
                }));
            }"""
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
            for v in violations
            if v["impact"] in BLOCKING_IMPACTS
        ]

    def screen(self, name: str) -> Path:
        """A key screen: wait for it, check accessibility, save a screenshot, and stop at once on any
        problem seen so far."""
        self.page.wait_for_load_state()
        path = self.journey.next_shot(name)
        self.page.screenshot(path=str(path), full_page=True)
        if not self._path(self.page.url).startswith(SANDBOX_PREFIX):
            for violation in self.axe():
                self.journey.problem(f"{self.name}: axe on {self.page.url}: {violation}")
        self.journey.assert_clean()
        return path


TOUR = Path(django_settings.BASE_DIR) / "docs" / "tour"


class Journey:
    def __init__(self, slug: str, url: str, new_context):
        self.slug, self.url, self._new_context = slug, url, new_context
        self.problems: list[str] = []
        self.folder = ARTIFACTS / slug
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._shots = 0

    def person(self, name: str, *, viewport: dict | None = None) -> Person:
        options = {"viewport": viewport or DESKTOP}
        if viewport == PHONE:
            options.update(is_mobile=True, has_touch=True)
        context = self._new_context(**options)
        context.add_init_script(PAGE_CHECK_SCRIPT)
        return Person(self, name, context.new_page())

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def assert_clean(self) -> None:
        if self.problems:
            found, self.problems = self.problems, []
            raise AssertionError("Journey problems:\n- " + "\n- ".join(found))

    def tour(self, person: Person, name: str) -> None:
        """The README's tour pictures (docs/tour/<name>.png): written only when E2E_TOUR=1, so that
        ``E2E_TOUR=1 pytest -m e2e`` refreshes them. What the browser window shows, not the whole page."""
        if os.environ.get("E2E_TOUR") == "1":
            TOUR.mkdir(parents=True, exist_ok=True)
            person.page.screenshot(path=str(TOUR / f"{name}.png"))

    def next_shot(self, name: str) -> Path:
        self._shots += 1
        return self.folder / f"{self._shots:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"


@pytest.fixture
def journey(request, e2e_server, celery_worker, settings, tmp_path, monkeypatch, new_context):
    """A journey: its screenshots folder, its people (browser contexts), its checks. The rate governor
    gets a fresh file; the worker must be idle before the database is flushed."""
    from integrations.services import xero_factory

    for alias, conn in e2e_server.thread.connections_override.items():
        connections[alias] = conn  # the test's own queries on the shared in-memory connection too
    settings.RATE_GOVERNOR_PATH = tmp_path / "governor.sqlite3"
    monkeypatch.setattr(xero_factory, "_governor", None)
    slug = re.sub(r"^test_", "", request.node.originalname)
    _task_failures.clear()
    j = Journey(slug, e2e_server.url, new_context)
    yield j
    wait_for_worker_idle()
    failures, _task_failures[:] = list(_task_failures), []
    for failure in failures:
        j.problem(f"a Celery task failed in the worker: {failure}")
    j.assert_clean()
