from django.db import models
from django.utils import timezone


class WorkerHeartbeat(models.Model):
    """Written by a Celery worker every 30 s (beat schedules it): /readyz reads its age to tell
    whether any worker is consuming tasks. One row per queue."""

    queue = models.CharField(max_length=50, unique=True)
    worker = models.CharField(max_length=200, blank=True)
    beat_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.queue} at {self.beat_at:%H:%M:%S}"
