"""The cron worker on a committed database: due jobs, failures, triggers, NOTIFY, two workers."""

from __future__ import annotations

import datetime
import itertools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from postroom.service.cron import CronWorker, utcnow

if TYPE_CHECKING:
    from tests.cron.conftest import CronDB

Serving = Callable[..., CronWorker]

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def test_due_job_runs_and_nextcall_moves_past_now(cron_db: CronDB) -> None:
    start = utcnow()
    nextcall = start - 90 * datetime.timedelta(minutes=1)
    job = cron_db.create_cron("hourly", args="('hourly', 5)", interval_type="hours",
                              nextcall=nextcall)
    assert cron_db.worker().run_pending() == 1
    assert cron_db.counter("hourly") == 5
    cron = cron_db.read_cron(job)
    assert cron["nextcall"] == nextcall + 2 * HOUR  # the missed 11:30-ish run is skipped
    assert start <= cron["lastcall"] <= utcnow()
    assert cron["failure_count"] == 0 and cron["last_duration"] >= 0
    assert cron_db.worker().run_pending() == 0  # not due any more


def test_job_not_due_or_inactive_does_not_run(cron_db: CronDB) -> None:
    cron_db.create_cron("later", args="('later',)", nextcall=utcnow() + HOUR)
    cron_db.create_cron("off", args="('off',)", nextcall=utcnow() - HOUR, active=False)
    assert cron_db.worker().run_pending() == 0
    assert cron_db.counter("later") is None and cron_db.counter("off") is None


def test_jobs_run_by_priority_then_due_time(cron_db: CronDB) -> None:
    now = utcnow()
    for name, priority, late in (("c", 5, 1), ("a", 1, 0), ("b", 5, 2)):
        cron_db.create_cron(name, "record", f"({name!r},)", priority=priority,
                            nextcall=now - late * HOUR, model_id=_run_model(cron_db))
    assert cron_db.worker().run_pending() == 3
    with cron_db.env() as env:
        assert env["test.cron.run"].search([]).mapped("key") == ["a", "b", "c"]


def test_max_jobs(cron_db: CronDB) -> None:
    for name in ("one", "two", "three"):
        cron_db.create_cron(name, args=f"({name!r},)")
    worker = cron_db.worker()
    assert worker.run_pending(max_jobs=2) == 2
    assert worker.run_pending() == 1


def test_failure_is_recorded_and_the_worker_goes_on(cron_db: CronDB,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    failing = cron_db.create_cron("failing", "increment_then_fail", "('failing',)", priority=1)
    cron_db.create_cron("fine", args="('fine',)", priority=2)
    with caplog.at_level(logging.INFO, logger="postroom.service.cron"):
        assert cron_db.worker().run_pending() == 2
    assert cron_db.counter("failing") is None  # the job's own work was rolled back
    assert cron_db.counter("fine") == 1
    first = cron_db.read_cron(failing)
    assert first["failure_count"] == 1 and first["first_failure_date"]
    assert first["nextcall"] > utcnow() and not first["lastcall"]
    assert "in increment_then_fail" in first["last_error"]
    assert first["last_error"].endswith("ValueError: counter failing refuses to count")
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failed) == 1 and "'failing'" in failed[0].getMessage()
    assert "refuses to count" in caplog.text and "Traceback" in caplog.text

    cron_db.write_cron(failing, {"nextcall": utcnow()})
    assert cron_db.worker().run_pending() == 1
    second = cron_db.read_cron(failing)
    assert second["failure_count"] == 2
    assert second["first_failure_date"] == first["first_failure_date"]

    cron_db.write_cron(failing, {"nextcall": utcnow(), "function": "increment"})
    assert cron_db.worker().run_pending() == 1
    healed = cron_db.read_cron(failing)
    assert healed["failure_count"] == 0 and not healed["first_failure_date"]
    assert healed["lastcall"] and cron_db.counter("failing") == 1


def test_a_job_cannot_commit_the_workers_transaction(cron_db: CronDB) -> None:
    job = cron_db.create_cron("committer", "commit")
    assert cron_db.worker().run_pending() == 1
    assert cron_db.counter("committed") is None
    cron = cron_db.read_cron(job)
    assert cron["failure_count"] == 1
    assert "JobTransactionError: Scheduled action 'committer' must not commit" in cron["last_error"]


def test_job_runs_as_its_user_with_lastcall_in_context(cron_db: CronDB) -> None:
    with cron_db.env() as env:
        user = env["res.users"].create({"name": "Cron Runner", "login": "cron-runner"})
        user_id = user.id
    job = cron_db.create_cron("as user", args="('as user',)", user_id=user_id)
    assert cron_db.worker().run_pending() == 1
    with cron_db.env() as env:
        counter = env["test.cron.counter"].search([("name", "=", "as user")])
        assert counter.last_uid == user_id and not counter.last_lastcall
    lastcall = cron_db.read_cron(job)["lastcall"]
    cron_db.trigger(job)
    assert cron_db.worker().run_pending() == 1
    with cron_db.env() as env:
        counter = env["test.cron.counter"].search([("name", "=", "as user")])
        assert counter.value == 2 and counter.last_lastcall == lastcall


def test_a_one_shot_job_may_delete_its_own_action(cron_db: CronDB) -> None:
    job = cron_db.create_cron("one-shot", "delete_action", "('one-shot',)")
    assert cron_db.worker().run_pending() == 1
    with cron_db.env() as env:
        assert not env["ir.cron"].browse(job).exists()


# ---------------------------------------------------------------------------
# triggers
# ---------------------------------------------------------------------------
def test_trigger_runs_the_job_once_without_moving_its_schedule(cron_db: CronDB) -> None:
    nextcall = utcnow() + DAY
    job = cron_db.create_cron("triggered", args="('triggered',)", nextcall=nextcall)
    cron_db.trigger(job)
    cron_db.trigger(job, [utcnow() - HOUR, utcnow()])  # due together: still one run
    cron_db.trigger(job, utcnow() + HOUR)  # not due yet
    assert cron_db.worker().run_pending() == 1
    assert cron_db.counter("triggered") == 1
    cron = cron_db.read_cron(job)
    assert cron["nextcall"] == nextcall and cron["triggers"] == 1
    assert cron_db.worker().run_pending() == 0


def test_trigger_wakes_a_sleeping_worker(cron_db: CronDB, serving: Serving) -> None:
    job = cron_db.create_cron("wake", args="('wake',)", nextcall=utcnow() + DAY)
    serving(poll_interval=30)
    start = time.monotonic()
    cron_db.trigger(job)
    elapsed = cron_db.wait_until(lambda: cron_db.counter("wake") == 1, timeout=10)
    assert elapsed < 3, f"the worker took {elapsed:.1f} s to wake (poll interval 30 s)"
    assert time.monotonic() - start < 3


def test_future_trigger_wakes_the_worker_at_its_time(cron_db: CronDB, serving: Serving) -> None:
    job = cron_db.create_cron("soon", args="('soon',)", nextcall=utcnow() + DAY)
    serving(poll_interval=30)
    cron_db.trigger(job, utcnow() + datetime.timedelta(seconds=1.5))
    elapsed = cron_db.wait_until(lambda: cron_db.counter("soon") == 1, timeout=10)
    assert 1.0 <= elapsed < 4


def test_worker_reconnects_when_the_database_drops_its_connections(cron_db: CronDB,
                                                                   serving: Serving) -> None:
    job = cron_db.create_cron("survivor", args="('survivor',)", nextcall=utcnow() + DAY)
    serving(poll_interval=30)
    with cron_db.database.cursor() as cr:
        cr.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert cr.fetchone()[0] >= 1
    cron_db.trigger(job)
    cron_db.wait_until(lambda: cron_db.counter("survivor") == 1, timeout=15)


# ---------------------------------------------------------------------------
# several workers
# ---------------------------------------------------------------------------
def test_a_running_job_is_skipped_by_other_workers(cron_db: CronDB) -> None:
    job = cron_db.create_cron("slow", "sleep", "(1.5,)")
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cron_db.worker().run_pending()))
    first.start()
    time.sleep(0.5)
    assert cron_db.worker().run_pending() == 0
    first.join()
    assert results == [1]
    assert cron_db.read_cron(job)["failure_count"] == 0


def test_two_workers_run_every_job_once_per_due_time_never_at_once(cron_db: CronDB,
                                                                   serving: Serving) -> None:
    jobs, runs = 50, 3
    model_id = _run_model(cron_db)
    with cron_db.env() as env:
        env["ir.cron"].create([{
            "name": f"job-{n:02d}", "model_id": model_id, "function": "record",
            "args": f"('job-{n:02d}', {runs}, 0.005)", "interval_type": "days",
            "nextcall": utcnow() + DAY} for n in range(jobs)])
    serving(poll_interval=30, name="worker-a")
    serving(poll_interval=30, name="worker-b")
    with cron_db.env() as env:  # due now, for both sleeping workers at once
        env["ir.cron"].search([("name", "like", "job-")])._trigger()

    def count() -> int:
        with cron_db.env() as env:
            return env["test.cron.run"].search_count([])

    cron_db.wait_until(lambda: count() >= jobs * runs, timeout=60)
    time.sleep(0.3)  # nothing more may run
    with cron_db.env() as env:
        rows = env["test.cron.run"].search([]).read(["key", "started", "ended", "worker"])
    by_key: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        by_key[row["key"]].append((row["started"], row["ended"]))
    assert len(by_key) == jobs
    assert {key: len(spans) for key, spans in by_key.items() if len(spans) != runs} == {}
    for key, spans in by_key.items():
        spans.sort()
        for (_start, end), (next_start, _end) in itertools.pairwise(spans):
            assert next_start >= end, f"{key} ran twice at once"
    assert {row["worker"] for row in rows} == {"worker-a", "worker-b"}


def _run_model(cron_db: CronDB) -> int:
    with cron_db.env() as env:
        return env["ir.model"]._get_id("test.cron.run")
