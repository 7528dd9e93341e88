import datetime

import pytest
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
