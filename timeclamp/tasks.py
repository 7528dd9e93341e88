"""Cross-cutting Celery tasks. ``timeclamp.ping`` is a round-trip check for a running worker:

    .venv/bin/python manage.py shell -c "from timeclamp.tasks import ping; print(ping.delay().get(timeout=10))"

(needs a result backend, e.g. CELERY_RESULT_BACKEND=redis://...; otherwise watch the worker log).
"""

from celery import shared_task


@shared_task(name="timeclamp.ping")
def ping() -> str:
    return "pong"
