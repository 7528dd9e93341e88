"""Riding out a short outage of our own infrastructure (Redis or PostgreSQL restarting) inside a task.

Celery's own retry cannot help while the broker is down: publishing the retry fails and the message
is dropped (``Reject(requeue=False)``), so the work would wait for a watchdog. A restart takes about a
second, so the task waits in place for a while and carries on; past OUTAGE_WAITS it gives up and the
caller's retry policy (and the watchdog) takes over.
"""

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, close_old_connections, connections
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

INFRASTRUCTURE_ERRORS = (RedisConnectionError, RedisTimeoutError, OperationalError, InterfaceError)
OUTAGE_WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # about 30 s in all: a restart, not a real outage


def outlast_outages(
    call: Callable[[], T],
    *,
    waits: tuple[float, ...] = OUTAGE_WAITS,
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Run ``call``; on a Redis or database connection error wait and run it again (``call`` must be
    safe to repeat: it resumes from what it committed). ``before_retry`` runs before each repeat (to
    check the work is still ours, say; it may raise to stop). A database error inside a transaction
    cannot be repeated (the transaction is lost), so it is raised at once."""
    for attempt, wait in enumerate((*waits, None), start=1):
        try:
            if attempt > 1 and before_retry is not None:
                before_retry()
            return call()
        except INFRASTRUCTURE_ERRORS as exc:
            in_transaction = any(c.in_atomic_block for c in connections.all(initialized_only=True))
            database_error = isinstance(exc, OperationalError | InterfaceError)
            if wait is None or (database_error and in_transaction):
                raise
            logger.warning(
                "Infrastructure unavailable (%s: %s); attempt %d, trying again in %.1f s",
                type(exc).__name__,
                exc,
                attempt,
                wait,
            )
            sleep(wait * random.uniform(1.0, 1.5))  # noqa: S311 - jitter, not security
            if not in_transaction:
                close_old_connections()  # drop a database connection the restart broke
    raise AssertionError("unreachable")
