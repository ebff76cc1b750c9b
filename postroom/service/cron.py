"""The cron worker: runs the due scheduled actions (``ir.cron``) of one database.

Any number of workers (threads, processes, machines) can share a database; each due job
runs once, by one of them:

- A worker claims the most urgent due job with ``SELECT … FOR NO KEY UPDATE SKIP LOCKED``
  and keeps that row lock while the job runs *in the same transaction*: the other workers
  skip the job until it is done. The job's work and its bookkeeping (``lastcall``,
  ``nextcall``, failures) commit together, so a worker that dies mid-job leaves the job due,
  with nothing half-done.
- The job runs inside a savepoint. If it raises, its work is rolled back to the savepoint,
  the traceback is logged and kept on the record with one more failure, and the schedule
  moves on; all of it in the same transaction, still under the lock, so no other worker
  retries the job in between. The worker goes on with the next job.
- Between rounds a worker sleeps until the next due time (at most ``poll_interval``
  seconds). ``ir.cron._trigger`` sends ``NOTIFY postroom_cron`` when its transaction
  commits, which wakes the sleeping workers at once.
- Errors never end the loop: when the database goes away, the worker reconnects with a
  growing delay.

A job must therefore neither commit nor roll back the cursor it is given (that would drop
the lock, and the savepoint); :class:`JobTransactionError` stops it if it tries. Work that
needs transactions of its own (one per mail sent, say) opens its own cursors with
``env.registry.cursor()``.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.service.db import Cursor, Database
from postroom.service.notified_loop import serve_notified

if TYPE_CHECKING:
    from postroom.orm.registry import Registry

__all__ = ["CRON_CHANNEL", "CronWorker", "JobTransactionError", "utcnow"]

_logger = logging.getLogger(__name__)

#: the NOTIFY channel that wakes the workers of a database
CRON_CHANNEL = "postroom_cron"
#: how often (seconds) a sleeping worker looks at its stop event
#: first and longest wait (seconds) before retrying after an error


# Active jobs whose nextcall or earliest trigger has come, most urgent first. FOR NO KEY UPDATE
# rather than FOR UPDATE: adding a trigger to a running job (its foreign key takes FOR KEY
# SHARE on the job's row) must not wait for the job to end.
_CLAIM = """
    SELECT c.id
      FROM ir_cron c
     WHERE c.active AND c.id <> ALL(%(skip)s::int[])
       AND LEAST(c.nextcall, (SELECT min(t.call_at) FROM ir_cron_trigger t
                               WHERE t.cron_id = c.id)) <= %(now)s
     ORDER BY c.priority,
              LEAST(c.nextcall, (SELECT min(t.call_at) FROM ir_cron_trigger t
                                  WHERE t.cron_id = c.id)),
              c.id
     LIMIT 1
       FOR NO KEY UPDATE OF c SKIP LOCKED
"""

# The earliest time after %(since)s at which an active job is due.
_NEXT_DUE = """
    SELECT LEAST((SELECT min(nextcall) FROM ir_cron WHERE active AND nextcall > %(since)s),
                 (SELECT min(t.call_at) FROM ir_cron_trigger t JOIN ir_cron c ON c.id = t.cron_id
                   WHERE c.active AND t.call_at > %(since)s))
"""


class JobTransactionError(RuntimeError):
    """A job tried to commit or roll back the transaction of the worker running it."""


def utcnow() -> datetime.datetime:
    """Now as a naive UTC datetime (how Datetime fields are stored), to the microsecond."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class CronWorker:
    """Runs the due jobs of ``database``; see the module docstring.

    ``registry_loader`` returns the registry the jobs run with; it is called once, at the
    first round (e.g. ``AddonLoader(database).load_registry``).
    """

    _numbers = itertools.count(1)

    def __init__(self, database: Database, registry_loader: Callable[[], Registry], *,
                 poll_interval: float = 60.0, name: str | None = None):
        self.database = database
        self.registry_loader = registry_loader
        self.poll_interval = poll_interval
        self.name = name or f"cron-{os.getpid()}-{next(self._numbers)}"
        self._registry: Registry | None = None
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"<CronWorker {self.name} on {self.database.dbname}>"

    @property
    def registry(self) -> Registry:
        """The registry jobs run with, loaded at first use."""
        if self._registry is None:
            self._registry = self.registry_loader()
        return self._registry

    # ------------------------------------------------------------------
    # running jobs
    # ------------------------------------------------------------------
    def run_pending(self, max_jobs: int | None = None) -> int:
        """Run the due jobs one by one, each in its own transaction; return how many ran.

        Each job runs at most once per call, so a job that keeps triggering itself waits for
        the next round rather than starving the others.
        """
        done: list[int] = []
        while (max_jobs is None or len(done) < max_jobs) and not self._stop.is_set():
            cron_id = self._run_next(done)
            if cron_id is None:
                break
            done.append(cron_id)
        return len(done)

    def _run_next(self, skip: list[int]) -> int | None:
        """Claim a due job not in ``skip``, run it, book the outcome; its id, or None."""
        with self.database.cursor() as cr:
            self.registry.signal.check(cr)
            env = Environment(cr, SUPERUSER_ID, {}, registry=self.registry)
            started_at = utcnow()
            claimed = self._claim(env, started_at, skip)
            if claimed is None:
                return None
            cron, triggers = claimed
            job = f"{cron.name!r} (ir.cron {cron.id}, {cron.model_name}.{cron.function})"
            _logger.info("%s: running %s", self.name, job)
            error = self._call(cron, job)
            finished_at = utcnow()
            cron._record_run(triggers, started_at, finished_at, error)
            if error is None:
                _logger.info("%s: %s done in %.3f s", self.name, job,
                             (finished_at - started_at).total_seconds())
            return cron.id

    def _claim(self, env: Environment, now: datetime.datetime,
               skip: list[int]) -> tuple[Any, Any] | None:
        """Lock the most urgent job due at ``now``; return it and its due triggers, or None."""
        cr = env.cr
        while True:
            cr.execute(_CLAIM, {"now": now, "skip": skip})
            row = cr.fetchone()
            if row is None:
                return None
            cron = env["ir.cron"].browse(row[0])
            triggers = env["ir.cron.trigger"].search([("cron_id", "=", cron.id),
                                                      ("call_at", "<=", now)])
            if cron.nextcall <= now or triggers:
                return cron, triggers
            # The claim's subquery saw triggers of its snapshot, which the worker that just
            # ran the job has deleted since: the job is not due. Unlock it and look again.
            cr.rollback()

    def _call(self, cron: Any, job: str) -> str | None:
        """Run the job in a savepoint: None if it succeeded, else its traceback (work undone)."""
        try:
            with cron.env.cr.savepoint(), _transaction_guarded(cron.env.cr, cron.name):
                cron._run_job()
        except Exception:
            _logger.exception("%s: %s failed", self.name, job)
            return traceback.format_exc()
        return None

    # ------------------------------------------------------------------
    # the loop
    # ------------------------------------------------------------------
    def serve_forever(self, stop_event: threading.Event | None = None) -> None:
        """Run jobs as they come due until ``stop_event`` is set.

        Stopping lets the running job finish (its transaction commits) and returns. The
        caller owns signals: a SIGTERM handler that sets ``stop_event`` stops gracefully.
        """
        self._stop = stop = stop_event or threading.Event()
        _logger.info("%s: running the scheduled actions of %r", self.name, self.database.dbname)
        try:
            serve_notified(self.database, CRON_CHANNEL, stop, self.name, self._round)
        finally:
            _logger.info("%s: stopped", self.name)

    def _round(self) -> float:
        """Run the due jobs; the seconds until the next one."""
        round_start = utcnow()
        self.run_pending()
        return self._seconds_to_next(round_start)

    def _seconds_to_next(self, since: datetime.datetime) -> float:
        """Seconds until a job is due after ``since``, at most ``poll_interval``.

        Jobs due at ``since`` or before were run this round, or are running in another
        worker; those that came due during the round make the result 0.
        """
        with self.database.cursor() as cr:
            cr.execute(_NEXT_DUE, {"since": since})
            [(due,)] = cr.fetchall()
        if due is None:
            return self.poll_interval
        return min(self.poll_interval, max(0.0, (due - utcnow()).total_seconds()))



@contextlib.contextmanager
def _transaction_guarded(cr: Cursor, job_name: str) -> Iterator[None]:
    """While the block runs, refuse to commit or roll back ``cr`` (JobTransactionError)."""
    running = True

    def refuse() -> None:
        if running:
            raise JobTransactionError(
                f"Scheduled action {job_name!r} must not commit or roll back the worker's "
                "transaction; open a cursor of its own (env.registry.cursor()) instead.")

    cr.precommit.add(refuse)
    cr.prerollback.add(refuse)
    try:
        yield
    finally:
        running = False
