"""Queue workers: the threads and processes that send a database's mail queue.

A :class:`QueueWorker` sends the due ``mail.mail`` rows of one database, round after round:

- a round (:meth:`QueueWorker.run_once`) reserves a batch of due mails, sends them (each
  mail locked for its SMTP transactions, its outcome committed right after them), releases
  the batch and goes on until nothing is due; SMTP sessions are kept open from batch to
  batch and from round to round (:class:`~.sessions.SessionPool`);
- between rounds (:meth:`QueueWorker.serve_forever`) it sleeps until the next mail is due
  (a scheduled or retried one), at most ``poll_interval`` seconds, and wakes at once when a
  transaction that queued mail commits (``NOTIFY postroom_mail_queue``);
- it outlives every error: when the database goes away it reconnects with a growing delay.

Any number of workers, in threads, processes or on other machines, share a queue; the
locking that keeps them from sending a mail twice is described in
:mod:`..models.mail_mail`. Entry points:

- :func:`start_workers` runs workers in threads, for the ``postroom serve`` and
  ``postroom cron`` commands;
- :func:`main` runs one in the current process until SIGTERM, and :func:`worker_command`
  is the command line that starts such a process (``python -c …``: addons are imported as
  ``postroom.addons.<name>``, so the addons path must be set before this module loads);
- the "Mail: Email Queue Manager" scheduled action runs one round
  (``mail.mail.process_email_queue``).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import psycopg2

from postroom.modules.loader import AddonLoader
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.service.db import Database, Server
from postroom.service.notified_loop import serve_notified

from .sessions import SessionPool

if TYPE_CHECKING:
    from postroom.orm.registry import Registry

__all__ = ["QUEUE_CHANNEL", "QueueWorker", "main", "start_workers", "worker_command"]

_logger = logging.getLogger(__name__)

#: the NOTIFY channel that wakes the queue workers of a database
QUEUE_CHANNEL = "postroom_mail_queue"
#: mails reserved per batch
BATCH_SIZE = 100
#: how often (seconds) a sleeping worker looks at its stop event
#: nap (seconds) when mail is due but other workers hold all of it
BUSY_NAP = 1.0
#: first and longest wait (seconds) before retrying after an error



def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class QueueWorker:
    """Sends the mail queue of ``database``; see the module docstring.

    ``registry_loader`` returns the registry to work with; it is called at the first round.
    """

    _numbers = itertools.count(1)

    def __init__(self, database: Database, registry_loader: Callable[[], Registry], *,
                 batch_size: int = BATCH_SIZE, poll_interval: float = 60.0,
                 name: str | None = None):
        self.database = database
        self.registry_loader = registry_loader
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.name = name or f"mail-queue-{os.getpid()}-{next(self._numbers)}"
        self.sessions = SessionPool()
        self._registry: Registry | None = None
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"<QueueWorker {self.name} on {self.database.dbname}>"

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self.registry_loader()
        return self._registry

    def close(self) -> None:
        """Close the SMTP sessions."""
        self.sessions.close()

    # ------------------------------------------------------------------
    # one round
    # ------------------------------------------------------------------
    def run_once(self, limit: int | None = None) -> int:
        """Send what is due, batch after batch, until nothing is (or ``limit`` mails were
        handled); returns how many mails were handled."""
        handled = 0
        self.sessions.new_round()
        with self.database.cursor() as cr:
            self.registry.signal.check(cr)  # e.g. mail.mail.* parameters changed elsewhere
            env = Environment(cr, SUPERUSER_ID, {}, registry=self.registry)
            while not self._stop.is_set() and (limit is None or handled < limit):
                size = self.batch_size if limit is None else min(self.batch_size, limit - handled)
                batch = env["mail.mail"]._claim_due(size)
                if not batch:
                    break
                try:
                    batch._send(self.sessions, auto_commit=True, due_only=True)
                except BaseException:
                    cr.rollback()
                    raise
                finally:
                    self._release(batch)
                handled += len(batch)
                env.invalidate_all()
        if handled:
            _logger.info("%s: %d mail(s) handled", self.name, handled)
        return handled

    @staticmethod
    def _release(batch: Any) -> None:
        """Release a batch's reservations (gone anyway if the connection broke)."""
        try:
            batch._release_claims()
            batch.env.cr.commit()
        except psycopg2.Error as exc:
            _logger.debug("releasing mail claims failed (%s); the connection is discarded", exc)

    # ------------------------------------------------------------------
    # the loop
    # ------------------------------------------------------------------
    def serve_forever(self, stop_event: threading.Event | None = None) -> None:
        """Send mail as it comes due until ``stop_event`` is set (the mail being sent is
        finished and committed first). The caller owns signals."""
        self._stop = stop = stop_event or threading.Event()
        _logger.info("%s: sending the mail queue of %r", self.name, self.database.dbname)
        try:
            serve_notified(self.database, QUEUE_CHANNEL, stop, self.name, self._round)
        finally:
            self.close()
            _logger.info("%s: stopped", self.name)

    def _round(self) -> float:
        """Send what is due; the seconds until the next mail."""
        handled = self.run_once()
        self.sessions.close_idle()
        return self._seconds_to_next(handled)

    def _seconds_to_next(self, handled: int) -> float:
        """Seconds until a mail is due, at most ``poll_interval``; a short nap when mail is
        due but other workers hold it all."""
        with self.database.cursor() as cr:
            due = Environment(cr, SUPERUSER_ID, {}, registry=self.registry)["mail.mail"]._next_due()
        if due is None:
            return self.poll_interval
        seconds = (due - _utcnow()).total_seconds()
        if seconds <= 0:
            return 0.0 if handled else min(BUSY_NAP, self.poll_interval)
        return min(self.poll_interval, seconds)



def start_workers(database: Database, registry_loader: Callable[[], Registry],
                  stop: threading.Event, count: int = 1, **options: Any) -> list[threading.Thread]:
    """Start ``count`` queue workers of ``database`` in threads, until ``stop`` is set.

    ``options`` go to :class:`QueueWorker` (``batch_size``, ``poll_interval``). Join the
    returned threads after setting ``stop``.
    """
    threads = []
    for number in range(1, count + 1):
        worker = QueueWorker(database, registry_loader, name=f"mail-queue-{number}", **options)
        thread = threading.Thread(target=worker.serve_forever, args=(stop,), name=worker.name,
                                  daemon=True)
        thread.start()
        threads.append(thread)
    return threads


# ----------------------------------------------------------------------------------------
# a process of its own
# ----------------------------------------------------------------------------------------
_BOOTSTRAP = """import sys
from postroom.modules.manifest import set_addons_path
set_addons_path([{addons_dir!r}])
from postroom.addons.mail_core.mailer.worker import main
sys.exit(main(sys.argv[1:]))
"""


def worker_command(*args: str) -> list[str]:
    """The command that runs :func:`main` with ``args`` in a new Python process."""
    addons_dir = str(Path(__file__).resolve().parents[2])
    return [sys.executable, "-c", _BOOTSTRAP.format(addons_dir=addons_dir), *args]


def main(argv: list[str] | None = None) -> int:
    """Run one queue worker until SIGTERM or Ctrl-C (or one round with ``--once``)."""
    parser = argparse.ArgumentParser(description="Send the mail queue of a Postroom database.")
    parser.add_argument("--db-url", required=True, help="libpq URL of the PostgreSQL server")
    parser.add_argument("-d", "--database", required=True, help="database name")
    parser.add_argument("--addons-path", help="comma-separated addon directories")
    parser.add_argument("--once", action="store_true", help="send what is due, then exit")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--poll-interval", type=float, default=60.0)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    database = Server.from_dsn(args.db_url).database(args.database)
    paths = args.addons_path.split(",") if args.addons_path else None
    registry = AddonLoader(database, paths).load_registry()
    worker = QueueWorker(database, lambda: registry, batch_size=args.batch_size,
                         poll_interval=args.poll_interval)
    if args.once:
        try:
            worker.run_once()
        finally:
            worker.close()
        return 0
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker.serve_forever(stop)
    return 0
