"""Fixtures for the scheduled-action tests.

``cron_db`` is a committed copy of the test database with the ``test_cron`` addon installed
(``tests/addons/test_cron``: counters to bump, a method that fails, runs to log), wrapped
in :class:`CronDB`, which creates jobs, builds workers and reads results, each in its own
committed transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postroom.service.cron import CronWorker, utcnow
from postroom.testing.plugin import CommittedDatabase


class CronDB:
    """A committed database with ``test_cron`` installed, and helpers around it."""

    def __init__(self, db: CommittedDatabase):
        self.db = db
        self.database = db.database

    def env(self) -> Any:
        """A superuser environment committed when the block ends."""
        return self.db.env()

    def create_cron(self, name: str, function: str = "increment", args: str = "()",
                    **values: Any) -> int:
        """A daily job on ``test.cron.counter``, due now unless ``values`` say otherwise."""
        with self.env() as env:
            return env["ir.cron"].create({
                "name": name, "function": function, "args": args,
                "model_id": env["ir.model"]._get_id("test.cron.counter"),
                "interval_number": 1, "interval_type": "days", "nextcall": utcnow(),
                **values}).id

    def read_cron(self, cron_id: int) -> dict[str, Any]:
        with self.env() as env:
            cron = env["ir.cron"].browse(cron_id)
            return {name: cron[name] for name in (
                "nextcall", "lastcall", "failure_count", "first_failure_date", "last_error",
                "last_duration")} | {"triggers": len(cron.trigger_ids)}

    def write_cron(self, cron_id: int, values: dict[str, Any]) -> None:
        with self.env() as env:
            env["ir.cron"].browse(cron_id).write(values)

    def trigger(self, cron_id: int, at: Any = None) -> None:
        with self.env() as env:
            env["ir.cron"].browse(cron_id)._trigger(at)

    def counter(self, name: str = "default") -> int | None:
        """The value of counter ``name``, or None if no run created it."""
        with self.env() as env:
            counter = env["test.cron.counter"].search([("name", "=", name)])
            return counter.value if counter else None

    def worker(self, name: str | None = None, poll_interval: float = 60.0) -> CronWorker:
        return CronWorker(self.database, lambda: self.db.registry, poll_interval=poll_interval,
                          name=name)

    def listening(self) -> int:
        """How many sessions of the database wait on the cron channel."""
        with self.database.cursor() as cr:
            cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND query ILIKE 'LISTEN%%postroom_cron%%'")
            return cr.fetchone()[0]

    @staticmethod
    def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.05) -> float:
        """Poll ``condition`` until true; return the seconds it took (fail after ``timeout``)."""
        start = time.monotonic()
        while not condition():
            if time.monotonic() - start > timeout:
                pytest.fail(f"condition not met within {timeout} s")
            time.sleep(interval)
        return time.monotonic() - start


@pytest.fixture
def cron_db(committed_db: CommittedDatabase) -> CronDB:
    committed_db.loader.install(["test_cron"])
    committed_db.reload()
    with committed_db.env() as env:  # the addons' own jobs would run along with the tests'
        env["ir.cron"].search([]).write({"active": False})
    return CronDB(committed_db)


@pytest.fixture
def serving(cron_db: CronDB) -> Iterator[Callable[..., CronWorker]]:
    """Start workers in threads (``serving(poll_interval=…)``); they are stopped afterwards.

    Returns once the worker sleeps: its LISTEN connection is open and its first round done.
    """
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(poll_interval: float = 30.0, name: str | None = None) -> CronWorker:
        worker = cron_db.worker(name=name, poll_interval=poll_interval)
        thread = threading.Thread(target=worker.serve_forever, args=(stop,), name=worker.name)
        thread.start()
        threads.append(thread)
        cron_db.wait_until(lambda: cron_db.listening() >= len(threads), timeout=10)
        time.sleep(0.3)  # the first round (nothing due) takes a few milliseconds
        return worker

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a worker did not stop"

