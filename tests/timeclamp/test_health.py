import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from timeclamp.models import WorkerHeartbeat
from timeclamp.tasks import worker_heartbeat


def test_healthz_needs_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_broker_and_worker_heartbeats(client, monkeypatch):
    monkeypatch.setattr("timeclamp.views._eager", lambda: False)
    monkeypatch.setattr("timeclamp.views._check_broker", lambda: "ok")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"].startswith("error: no worker heartbeat")
    worker_heartbeat.apply(kwargs={"queue": "celery"})
    worker_heartbeat.apply(kwargs={"queue": "xero"})
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    WorkerHeartbeat.objects.filter(queue="xero").update(
        beat_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    assert "xero" in client.get("/readyz").json()["checks"]["workers"]


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_broker(client, monkeypatch, settings):
    monkeypatch.setattr("timeclamp.views._eager", lambda: False)
    monkeypatch.setattr("timeclamp.views._broker_connection", lambda: Connection("redis://127.0.0.1:1/0"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: OperationalError"


@pytest.mark.django_db
def test_a_lost_database_connection_is_a_brief_503_not_a_500(client, monkeypatch):
    """F6: while PostgreSQL restarts, a page answers 503 with Retry-After (a moment), not a 500."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    client.raise_request_exception = False
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32

    def server_closed_the_connection(self):
        monkeypatch.setattr(connection, "is_usable", lambda: False)  # what a dropped connection reports
        connection.errors_occurred = True  # as Django's error wrapper marks it
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "load", server_closed_the_connection)
    response = client.get("/", secure=True)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Back in a moment" in response.content
    assert b"check it and try again" in response.content


@pytest.mark.django_db
def test_a_database_error_on_a_working_connection_is_a_500(client, monkeypatch):
    """A missing table after a bad deploy is not 'back in a moment': monitors must see a 500."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import OperationalError

    client.raise_request_exception = False
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32

    def no_such_table(self):
        raise OperationalError("no such table: django_session")

    monkeypatch.setattr(SessionStore, "load", no_such_table)
    response = client.get("/", secure=True)
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.django_db
def test_any_other_failure_is_still_a_500(client, monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    client.raise_request_exception = False
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    monkeypatch.setattr(SessionStore, "load", lambda self: 1 / 0)
    response = client.get("/", secure=True)
    assert response.status_code == 500
    assert "Retry-After" not in response
