"""The loop of a background worker woken by PostgreSQL notifications.

Both the cron worker and the mail queue worker work the same way: listen on a
channel, do a round of work, then sleep until the next due time, a NOTIFY on
the channel, or the stop event; when the database goes away, close the
listener and retry with a doubling delay (1 s to 60 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2

from postroom.service.db import Listener, ServiceError

STOP_CHECK_INTERVAL = 0.5
BACKOFF_MIN, BACKOFF_MAX = 1.0, 60.0
DATABASE_ERRORS = (ServiceError, psycopg2.OperationalError, psycopg2.InterfaceError)


def serve_notified(database: Any, channel: str, stop: threading.Event, name: str,
                   work_round: Callable[[], float]) -> None:
    """Run ``work_round`` (it returns the seconds to sleep) until ``stop`` is set.

    The listener is opened before each first round, so no notification sent while
    a round looks for work goes unheard.
    """
    listener: Listener | None = None
    backoff = BACKOFF_MIN
    try:
        while not stop.is_set():
            try:
                if listener is None:
                    listener = database.server.listen(database.dbname, [channel])
                sleep(listener, stop, work_round())
                backoff = BACKOFF_MIN
            except Exception as exc:
                if isinstance(exc, DATABASE_ERRORS):
                    logging.getLogger(__name__).warning(
                        "%s: database %r unavailable (%s); retrying in %g s", name,
                        database.dbname, " ".join(str(exc).split()), backoff)
                else:
                    logging.getLogger(__name__).exception(
                        "%s: unexpected error; retrying in %g s", name, backoff)
                if listener is not None:
                    listener.close()
                    listener = None
                stop.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
    finally:
        if listener is not None:
            listener.close()


def sleep(listener: Listener, stop: threading.Event, timeout: float) -> None:
    """Wait ``timeout`` seconds, or less if a notification comes or ``stop`` is set."""
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or listener.wait(min(remaining, STOP_CHECK_INTERVAL)):
            return
