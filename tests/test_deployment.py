"""The ways Timeclamp is run: docker-compose.yml + Dockerfile (production), Procfile.dev + `make run`
(local, with its demo data), .env.example, and `manage.py check --deploy` with production settings.

Docker cannot run in CI, so the compose file and Dockerfile are checked statically: every command a
service runs must name something that exists in this project.
"""

import ast
import datetime
import io
import os
import re
import secrets
import shlex
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from staff import demo
from staff.models import Membership, Organization, Role, StaffMember, User
from timesheets.models import TimeEntry

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
ALL_SERVICES = {"web", "worker", "beat", "db", "redis"}


# --- helpers -----------------------------------------------------------------------------------


def _command(value) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


def _settings_env_names() -> set[str]:
    """Every variable name timeclamp/settings.py reads via env(...), env.<cast>(...) or os.environ."""
    tree = ast.parse((ROOT / "timeclamp" / "settings.py").read_text())
    names, dynamic = set(), []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
            and func.attr != "read_env"
        )
        is_os = (
            isinstance(func, ast.Attribute)
            and func.attr in {"getenv", "get"}
            and ast.unparse(func.value) in {"os", "os.environ"}
        )
        if not (is_env or is_os):
            continue
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
        else:
            dynamic.append(f"line {node.lineno}: {ast.unparse(node)}")
    assert not dynamic, f"settings read env vars by a computed name; use a literal: {dynamic}"
    for node in ast.walk(tree):  # os.environ["NAME"]
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.literal_eval(node.slice))
    return names


def _env_example() -> dict[str, str]:
    """NAME -> value for every documented variable, active (NAME=) or commented out (# NAME=)."""
    documented = {}
    pattern = re.compile(r"^\s*(?:#\s*)?(?:Example:\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = pattern.match(line)
        if match:
            documented.setdefault(match.group(1), match.group(2).strip())
    return documented


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --- docker-compose.yml ------------------------------------------------------------------------


def test_compose_has_the_five_services(services):
    assert set(services) == ALL_SERVICES


def test_compose_app_services_share_one_image_and_one_env_file(services):
    builds = {repr(services[name].get("build")) for name in APP_SERVICES}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(builds) == 1, builds
    assert builds != {"None"}
    assert len(images) == 1, images
    assert images != {None}
    assert (ROOT / "Dockerfile").is_file()
    for name in APP_SERVICES:
        env_file = services[name]["env_file"]
        assert env_file in (".env", [".env"]), (name, env_file)
    other_env_files = {repr(s.get("env_file")) for n, s in services.items() if n not in APP_SERVICES}
    assert other_env_files <= {"None", "'.env'", "['.env']"}


def test_compose_uses_the_anchor_for_the_app_services():
    text = (ROOT / "docker-compose.yml").read_text()
    anchor = re.search(r"^x-[\w-]+:\s*&(\w+)", text, re.MULTILINE)
    assert anchor, "define the shared app service once as an x-...: &anchor"
    assert text.count(f"<<: *{anchor.group(1)}") == len(APP_SERVICES)


def test_compose_app_services_point_at_the_db_and_redis_services(services):
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert "@db:5432/" in environment["DATABASE_URL"]
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert str(environment["DJANGO_DEBUG"]) == "0"
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_compose_backing_services(services):
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"].startswith("redis:7")
    redis_command = _command(services["redis"]["command"])
    assert "--appendonly yes" in redis_command
    assert "--maxmemory-policy noeviction" in redis_command


def test_compose_every_service_has_a_healthcheck(services):
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_compose_web_runs_gunicorn_on_the_project_wsgi_app(services):
    command = _command(services["web"]["command"])
    target = re.search(r"gunicorn\s+(\S+)", command).group(1)
    module_name, _, attr = target.partition(":")
    assert callable(getattr(import_module(module_name), attr or "application"))
    assert "--no-control-socket" in command
    assert "/healthz" in _command(services["web"]["healthcheck"]["test"])


def test_compose_celery_services_use_the_timeclamp_app(services):
    for name, sub in (("worker", "worker"), ("beat", "beat")):
        command = _command(services[name]["command"])
        match = re.search(r"celery\s+-A\s+(\S+)\s+(\w+)", command)
        assert match, command
        assert match.group(2) == sub
        app = import_module(match.group(1)).celery_app
        assert app.main == "timeclamp"
    worker = _command(services["worker"]["command"])
    assert re.search(r"-Q\s+celery,xero\b", worker)
    assert "--prefetch-multiplier 1" in worker


def test_compose_manage_py_commands_exist(services):
    known = get_commands()
    used = []
    for _name, service in services.items():
        for field in ("command", "healthcheck"):
            text = _command(service.get(field, ""))
            used += re.findall(r"manage\.py\s+(\w+)", text)
    assert used, "web should migrate before starting"
    assert set(used) <= set(known), set(used) - set(known)


def test_compose_interpolated_variables_are_documented(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    variables = set(re.findall(r"(?<!\$)\$\{(\w+)", text))
    assert variables <= set(_env_example()), variables - set(_env_example())


# --- Dockerfile --------------------------------------------------------------------------------


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_dockerfile_base_user_and_server():
    text = _dockerfile()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert re.search(r"^RUN pip install ", text, re.MULTILINE)
    assert "collectstatic --noinput" in text
    cmd = re.search(r"^CMD\s+(\[.*?\])\s*$", text.replace("\\\n", " "), re.MULTILINE | re.DOTALL)
    argv = ast.literal_eval(cmd.group(1))
    assert argv[0] == "gunicorn"
    assert argv[1] == "timeclamp.wsgi:application"
    assert "--no-control-socket" in argv


def test_dockerfile_copies_every_top_level_package():
    copied = set(re.findall(r"^COPY\s+(?:--\S+\s+)*(\S+)\s", _dockerfile(), re.MULTILINE))
    # Every installed app that lives in this repository (its top-level package), plus the project.
    needed = {"manage.py", "templates", "timeclamp"} | {
        Path(config.path).relative_to(ROOT).parts[0]
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and not Path(config.path).is_relative_to(sys.prefix)
    }
    assert needed <= copied, f"add COPY lines for: {sorted(needed - copied)}"


# --- Procfile.dev and make run -----------------------------------------------------------------


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile.dev").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_procfile_dev_runs_web_worker_and_beat_on_the_same_queues_as_compose(services):
    procs = _procfile()
    assert set(procs) == {"web", "worker", "beat"}
    assert "manage.py runserver 127.0.0.1:" in procs["web"]
    for name in ("worker", "beat"):
        argv = shlex.split(procs[name])
        assert argv[:3] == ["celery", "-A", "timeclamp"]
        assert argv[3] == name
    dev_queues = re.search(r"--queues[= ](\S+)", procs["worker"]).group(1)
    prod_queues = re.search(r"-Q\s+(\S+)", _command(services["worker"]["command"])).group(1)
    assert set(dev_queues.split(",")) == set(prod_queues.split(",")) == {"celery", "xero"}


def test_make_run_migrates_seeds_and_starts_procfile_dev():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "manage.py migrate" in recipe
    assert "manage.py seed_demo" in recipe
    assert "honcho start -f Procfile.dev" in recipe


def _python(argv: list[str], *, env: dict[str, str]) -> subprocess.CompletedProcess:
    """This interpreter in the project root with exactly ``env`` (settings are read at import)."""
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_make_run_on_another_port_sends_xero_back_to_that_port():
    """`make run PORT=8001` (README) gives every process WEB_PORT; the Xero sign-in pages (the sandbox)
    and the OAuth redirect must be on that port too, or "Connect Xero Organisation" leads nowhere."""
    code = (
        "from django.conf import settings as s; "
        "print(s.SITE_URL, s.XERO_REDIRECT_URI, s.XERO_LOGIN_URL, sep='\\n')"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "XERO_REDIRECT_URI")}
    env.update(DJANGO_DEBUG="1", WEB_PORT="8001", DJANGO_SETTINGS_MODULE="timeclamp.settings")
    result = _python(["-c", f"import django; django.setup(); {code}"], env=env)
    assert result.returncode == 0, result.stderr
    site, redirect, login = result.stdout.split()
    assert site == "http://127.0.0.1:8001"
    assert redirect == "http://127.0.0.1:8001/integrations/xero/callback/"
    assert login.startswith("http://127.0.0.1:8001/")


def test_ping_task_is_registered_under_its_stable_name():
    from timeclamp.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    ping = app.tasks["timeclamp.ping"]
    assert ping.apply().get() == "pong"


# --- .env.example ------------------------------------------------------------------------------


def test_env_example_documents_every_variable_settings_reads():
    names = _settings_env_names()
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= names  # the parser works
    missing = names - set(_env_example())
    assert not missing, f"document these in .env.example: {sorted(missing)}"


def test_env_example_documents_each_variable_with_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^\s*(?:#\s*)?([A-Z][A-Z0-9_]*)=", line) and index > 0:
            above = lines[index - 1]
            assert above.startswith("#"), f"no comment above: {line}"


def test_env_example_holds_no_secrets():
    documented = _env_example()
    for name in (
        "DJANGO_SECRET_KEY",
        "DJANGO_SECRET_KEY_FALLBACKS",
        "TOKEN_ENCRYPTION_KEYS",
        "XERO_CLIENT_SECRET",
    ):
        assert documented[name] == "", f"{name} must be empty in .env.example"
    active = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    }
    assert active == {"DJANGO_DEBUG"}, "only DJANGO_DEBUG=1 is set, so a copy works locally as is"


# --- manage.py check --deploy ------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings(tmp_path):
    """Production-like environment, nothing inherited from the test run (pytest-env sets DEBUG
    helpers that production never has)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "timeclamp.example.com",
        "TOKEN_ENCRYPTION_KEYS": "ukXEsxkbSAl2Ba2FRIwsNvt1F5HqCFygrBAzwIlEKBQ=",
        "XERO_CLIENT_ID": "production-client-id",
        "XERO_CLIENT_SECRET": "production-client-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_FS_ROOT": str(tmp_path / "celery-fs"),
        "LOG_LEVEL": "WARNING",
    }
    assert len(env["DJANGO_SECRET_KEY"]) >= 50

    result = _python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "warning" not in output.lower(), output


# --- make run: demo data (manage.py seed_demo) -------------------------------------------------


def test_demo_staff_is_deterministic_and_valid():
    codes = [person["employee_code"] for person in demo.DEMO_STAFF]
    emails = [person["email"] for person in demo.DEMO_STAFF]
    assert len(demo.DEMO_STAFF) == 25
    assert len(set(codes)) == 25
    assert len(set(emails)) == 25
    assert sum(1 for person in demo.DEMO_STAFF if person["middle_names"]) >= 5
    field_names = {field.name for field in StaffMember._meta.get_fields()}
    for person in demo.DEMO_STAFF + demo.DEMO_SECOND_ORGANIZATION_STAFF:
        assert set(person) <= field_names
        for key in ("first_name", "middle_names", "last_name"):
            assert len(person[key]) <= 35
        adult_from = person["date_of_birth"].replace(year=person["date_of_birth"].year + 16)
        assert person["start_date"] >= adult_from
        assert person["start_date"] <= datetime.date(2026, 1, 1)
    assert set(demo.DEMO_ROSTER_BY_CODE) == set(codes)
    assert demo.DEMO_STAFF_LOGIN_EMPLOYEE_CODE in codes


@pytest.mark.parametrize(
    ("today", "mondays"),
    [
        (datetime.date(2026, 12, 3), ["2026-11-09", "2026-11-16", "2026-11-23"]),  # Thursday
        (datetime.date(2026, 11, 30), ["2026-11-09", "2026-11-16", "2026-11-23"]),  # Monday
        (datetime.date(2026, 12, 6), ["2026-11-09", "2026-11-16", "2026-11-23"]),  # Sunday: not done
    ],
)
def test_demo_weeks_are_the_last_three_complete_weeks(today, mondays):
    assert [d.isoformat() for d in demo.demo_weeks(today=today)] == mondays


def test_demo_shifts_are_realistic_and_in_mixed_states():
    today = datetime.date(2026, 10, 14)  # Sydney moved to daylight time on Sunday 4 October 2026
    shifts = demo.demo_shifts(today=today)
    weeks = demo.demo_weeks(today=today)

    assert shifts == demo.demo_shifts(today=today)  # deterministic
    assert {s.work_date.weekday() for s in shifts} >= {5, 6}  # some weekend work
    by_week: dict[int, set[str]] = {0: set(), 1: set(), 2: set()}
    for shift in shifts:
        assert weeks[0] <= shift.work_date < today
        assert shift.start_at.tzinfo is not None
        assert shift.end_at > shift.start_at
        span = int((shift.end_at - shift.start_at).total_seconds() // 60)
        assert shift.minutes == span - shift.break_minutes
        assert 4 * 60 <= shift.minutes <= 9 * 60
        by_week[(shift.work_date - weeks[0]).days // 7].add(shift.status)
        assert (shift.approved_at is not None) == (shift.status == "approved")
        assert (shift.submitted_at is not None) == (shift.status != "draft")
        if shift.submitted_at:
            assert shift.submitted_at.date() < today
    assert by_week == {0: {"approved"}, 1: {"approved"}, 2: {"approved", "draft", "submitted"}}
    last_week = [s for s in shifts if s.work_date >= weeks[2]]
    assert sum(s.status == "approved" for s in last_week) > len(last_week) / 2


def _counts() -> dict[str, int]:
    return {
        "organizations": Organization.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "staff": StaffMember.all_organizations.count(),
        "entries": TimeEntry.all_organizations.count(),
        "approved": TimeEntry.all_organizations.filter(status="approved").count(),
    }


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_and_a_second_run_changes_nothing(settings):
    settings.DEBUG = True
    out = io.StringIO()

    call_command("seed_demo", stdout=out)
    first = _counts()
    updated = TimeEntry.all_organizations.order_by("-updated_at").values_list("updated_at", flat=True)[0]
    call_command("seed_demo", stdout=(second_out := io.StringIO()))

    assert _counts() == first
    assert (
        TimeEntry.all_organizations.order_by("-updated_at").values_list("updated_at", flat=True)[0] == updated
    )
    assert "created nothing" in second_out.getvalue()
    assert first["organizations"] == 2
    assert first["users"] == 3
    assert first["staff"] == 25 + len(demo.DEMO_SECOND_ORGANIZATION_STAFF)
    assert first["entries"] == len(demo.demo_shifts(today=Organization.objects.get(slug="demo-cafe").today()))
    for email in ("admin@demo-cafe.test", "manager@demo-cafe.test", "staff@demo-cafe.test"):
        assert email in out.getvalue()
    assert demo.DEMO_PASSWORD in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_logins_roles_and_links(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())

    cafe = Organization.objects.get(slug="demo-cafe")
    assert (cafe.name, cafe.timezone) == ("Demo Cafe Pty Ltd", "Australia/Sydney")
    admin = User.objects.get(email="admin@demo-cafe.test")
    assert admin.check_password(demo.DEMO_PASSWORD)
    assert {(m.organization.slug, m.role) for m in admin.memberships.all()} == {
        ("demo-cafe", Role.ADMIN),
        ("harbour-bakery", Role.ADMIN),
    }
    manager = User.objects.get(email="manager@demo-cafe.test")
    assert manager.memberships.get().role == Role.MANAGER
    staff_user = User.objects.get(email="staff@demo-cafe.test")
    assert staff_user.memberships.get().role == Role.STAFF
    linked = StaffMember.all_organizations.get(user=staff_user)
    assert (linked.organization, linked.employee_code) == (cafe, demo.DEMO_STAFF_LOGIN_EMPLOYEE_CODE)
    assert TimeEntry.all_organizations.filter(staff_member=linked).exists()
    approved = TimeEntry.all_organizations.filter(status="approved")
    assert approved.exists()
    assert set(approved.values_list("approved_by", flat=True)) == {manager.pk}
    assert not TimeEntry.all_organizations.exclude(organization=cafe).exists()


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Organization.objects.exists()

    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert Organization.objects.filter(slug="demo-cafe").exists()
