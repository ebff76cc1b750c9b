"""Cache invalidation across processes, through one PostgreSQL sequence per database.

Each process keeps caches in its registry: access rights, record rules and group
memberships (:meth:`Registry.clear_caches`) and ``registry.model_cache`` (system
parameters, xmlids, model ids…). When one process changes what they hold, the others
(HTTP workers, cron and mail-queue workers, on this machine or another) must drop theirs:

- the process that made the change calls :meth:`CacheSignal.changed`: its own caches
  are cleared at once, and when its transaction commits the sequence
  ``postroom_cache_signaling`` is advanced;
- a unit of work (an HTTP request, a cron job, a mail-queue round) begins with
  :meth:`CacheSignal.check`, one ``SELECT last_value``: when the sequence moved since the
  process last looked, its caches are cleared before anything reads them.

The sequence advances after the commit, never before: a process that sees it move can
only read the new data, not re-cache the old. A rolled-back change advances nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import psycopg2.errors

__all__ = ["SEQUENCE", "CacheSignal"]

#: the sequence other processes watch
SEQUENCE = "postroom_cache_signaling"
_POSTCOMMIT_KEY = "postroom.cache_signaling"


class CacheSignal:
    """The cache signal of one database, as seen by one process; ``clear`` drops its caches."""

    def __init__(self, clear: Callable[[], None]):
        self._clear = clear
        self._seen: int | None = None
        self._lock = threading.Lock()

    @staticmethod
    def setup(cr: Any) -> None:
        """Create the sequence if the database has none yet. Of two processes racing to
        create it, the second finds it made."""
        with contextlib.suppress(psycopg2.errors.UniqueViolation), cr.savepoint(flush=False):
            cr.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")

    def check(self, cr: Any) -> bool:
        """Clear the caches if another process changed them since the last look; whether
        they were cleared."""
        cr.execute(f"SELECT last_value, is_called FROM {SEQUENCE}")
        value = _value(cr.fetchone())
        with self._lock:
            stale = self._seen is not None and value != self._seen
            self._seen = value
        if stale:
            self._clear()
        return stale

    def changed(self, cr: Any) -> None:
        """Caches hold what this transaction changes: clear them here now, and in the other
        processes once it commits."""
        self._clear()
        if not cr.postcommit.data.get(_POSTCOMMIT_KEY):
            cr.postcommit.data[_POSTCOMMIT_KEY] = True
            cr.postcommit.add(lambda: self._advance(cr))

    def _advance(self, cr: Any) -> None:
        """Move the sequence on (after the commit). If another process moved it meanwhile,
        its change is ours to see too."""
        cr.execute(f"SELECT nextval('{SEQUENCE}')")
        value = cr.fetchone()[0]
        with self._lock:
            missed = self._seen is not None and value != self._seen + 1
            self._seen = value
        if missed:
            self._clear()


def _value(row: tuple[int, bool]) -> int:
    """The sequence's current value from ``(last_value, is_called)`` (0 before any nextval)."""
    last_value, is_called = row
    return last_value if is_called else 0
