"""Cross-cutting Celery tasks. ``timeclamp.ping`` is a round-trip check for a running worker:

    .venv/bin/python manage.py shell -c "from timeclamp.tasks import ping; print(ping.delay().get(timeout=10))"

(needs a result backend, e.g. CELERY_RESULT_BACKEND=redis://...; otherwise watch the worker log).
"""

from celery import shared_task


@shared_task(name="timeclamp.ping")
def ping() -> str:
    return "pong"


@shared_task(name="timeclamp.worker_heartbeat", bind=True, ignore_result=True)
def worker_heartbeat(self, *, queue: str = "celery") -> None:
    """Proof that a worker is consuming ``queue`` (sent by beat to each queue every 30 s)."""
    from django.utils import timezone

    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        queue=queue, defaults={"worker": self.request.hostname or "", "beat_at": timezone.now()}
    )
