"""Queue workers on a committed database: wake-up on commit, the cron, limits shared by
several workers, two worker processes, and a worker killed in the middle of a batch."""

from __future__ import annotations

import collections
import datetime
import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from postroom.addons.mail_core.mailer.worker import (
    QUEUE_CHANNEL,
    QueueWorker,
    start_workers,
    worker_command,
)

from postroom.service.cron import CronWorker
from postroom.testing.plugin import CommittedDatabase
from postroom.testing.smtp import SMTPPeer


class QueueDB:
    """A committed database whose only outgoing server is the SMTP peer."""

    def __init__(self, db: CommittedDatabase, peer: SMTPPeer):
        self.db, self.peer = db, peer
        with db.env() as env:
            env["ir.mail_server"].search([]).write({"active": False})
            self.server_id = env["ir.mail_server"].create({
                "name": "Peer", "smtp_host": peer.host, "smtp_port": peer.port,
                "smtp_timeout": 5}).id
            env["ir.config_parameter"].set_param("mail.mail.retry_delay", 1)

    def queue(self, count: int = 1, **values: Any) -> list[int]:
        """Queue ``count`` mails in one committed transaction; their ids."""
        with self.db.env() as env:
            return env["mail.mail"].create([{
                "subject": f"Mail {number}", "email_from": "ceo@example.com",
                "email_to": f"reader{number}@example.org", "body_html": f"<p>Mail {number}</p>",
                **values} for number in range(count)]).ids

    def write_server(self, values: dict[str, Any]) -> None:
        with self.db.env() as env:
            env["ir.mail_server"].browse(self.server_id).write(values)

    def states(self) -> collections.Counter:
        with self.db.env() as env:
            env.cr.execute("SELECT state, count(*) FROM mail_mail GROUP BY state")
            return collections.Counter(dict(env.cr.fetchall()))

    def read(self, ids: list[int], *names: str) -> list[dict[str, Any]]:
        with self.db.env() as env:
            return env["mail.mail"].browse(ids).read(list(names))

    def message_ids(self, state: str) -> set[str]:
        with self.db.env() as env:
            return set(env["mail.mail"].search([("state", "=", state)]).mapped("message_id"))

    def worker(self, **options: Any) -> QueueWorker:
        return QueueWorker(self.db.database, lambda: self.db.registry, **options)

    @staticmethod
    def wait_until(condition: Callable[[], Any], timeout: float, interval: float = 0.05) -> float:
        start = time.monotonic()
        while not condition():
            if time.monotonic() - start > timeout:
                pytest.fail(f"condition not met within {timeout} s")
            time.sleep(interval)
        return time.monotonic() - start


@pytest.fixture
def queue_db(committed_db: CommittedDatabase, smtp_peer: SMTPPeer) -> QueueDB:
    return QueueDB(committed_db, smtp_peer)


@pytest.fixture
def serving(queue_db: QueueDB) -> Iterator[Callable[[int], None]]:
    """Start queue workers in threads (``serving(count)``); stopped afterwards."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(count: int = 1) -> None:
        threads.extend(start_workers(queue_db.db.database, lambda: queue_db.db.registry, stop,
                                     count, poll_interval=30))
        time.sleep(0.3)  # listening, first round done

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a worker did not stop"


def _arrival_times(peer: SMTPPeer, *replies: str) -> list[float]:
    """When each DATA arrives; the first ones are answered with ``replies``."""
    times: list[float] = []
    answers = collections.deque(replies)

    def on_data(envelope: Any) -> str | None:
        times.append(time.monotonic())
        return answers.popleft() if answers else None

    peer.on_data = on_data
    return times


# ----------------------------------------------------------------------------------------
# handed over at commit
# ----------------------------------------------------------------------------------------
def test_commit_notifies_the_workers(queue_db: QueueDB) -> None:
    database = queue_db.db.database
    with database.server.listen(database.dbname, [QUEUE_CHANNEL]) as listener:
        with queue_db.db.env() as env:
            env["mail.mail"].create({"subject": "x", "email_to": "x@example.org"})
            assert listener.wait(0.2) == []  # not before the commit
        assert listener.wait(2) == [(QUEUE_CHANNEL, "")]
        with database.cursor() as cr:
            from postroom.orm.environment import SUPERUSER_ID, Environment
            env = Environment(cr, SUPERUSER_ID, {}, registry=queue_db.db.registry)
            env["mail.mail"].create({"subject": "x", "email_to": "x@example.org"})
            cr.rollback()
        assert listener.wait(0.3) == []


def test_worker_sends_within_seconds_of_the_commit(queue_db: QueueDB, serving: Callable) -> None:
    serving(1)
    start = time.monotonic()
    queue_db.queue(3)
    queue_db.peer.wait_for(3, timeout=10)
    assert time.monotonic() - start < 5  # seconds, where the poll interval is 30 s
    queue_db.wait_until(lambda: queue_db.states() == {"sent": 3}, timeout=5)


def test_worker_retries_after_the_backoff(queue_db: QueueDB, serving: Callable) -> None:
    times = _arrival_times(queue_db.peer, "451 4.3.0 Try again later")
    serving(1)
    [mail_id] = queue_db.queue()
    queue_db.peer.wait_for(1, timeout=8)
    queue_db.wait_until(lambda: queue_db.states() == {"sent": 1}, timeout=5)
    assert times[1] - times[0] >= 0.9
    assert queue_db.read([mail_id], "attempt_count")[0]["attempt_count"] == 1


def test_scheduled_mail_leaves_at_its_time(queue_db: QueueDB, serving: Callable) -> None:
    serving(1)
    when = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(
        seconds=1.5)
    queue_db.queue(scheduled_date=when)
    time.sleep(1)
    assert queue_db.peer.messages == []
    queue_db.peer.wait_for(1, timeout=5)


def test_cron_is_the_safety_net(queue_db: QueueDB) -> None:
    queue_db.queue(2)
    with queue_db.db.env() as env:
        cron = env.ref("mail_core.ir_cron_mail_scheduler_action")
        assert (cron.name, cron.function, cron.interval_type) == (
            "Mail: Email Queue Manager", "process_email_queue", "minutes")
        cron.method_direct_trigger()  # Run Manually
    assert len(queue_db.peer.messages) == 2 and queue_db.states() == {"sent": 2}
    queue_db.queue(1)
    with queue_db.db.env() as env:  # due now, for a cron worker (which keeps its cursor)
        env.ref("mail_core.ir_cron_mail_scheduler_action").nextcall = \
            datetime.datetime(2000, 1, 1)
    CronWorker(queue_db.db.database, lambda: queue_db.db.registry).run_pending()
    assert queue_db.states() == {"sent": 3}


# ----------------------------------------------------------------------------------------
# limits hold whatever the number of workers
# ----------------------------------------------------------------------------------------
def test_rate_limit_across_workers(queue_db: QueueDB, serving: Callable) -> None:
    queue_db.write_server({"send_rate_limit": 120})  # one every half second
    times = _arrival_times(queue_db.peer)
    queue_db.queue(6)
    serving(2)
    queue_db.peer.wait_for(6, timeout=10)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) > 0.45, gaps
    assert times[-1] - times[0] > 2.4


def test_warmup_cap_across_workers(queue_db: QueueDB, serving: Callable) -> None:
    queue_db.write_server({"warmup_start_date": datetime.date.today(),
                           "warmup_first_day_limit": 5})
    ids = queue_db.queue(8)
    serving(2)
    queue_db.wait_until(lambda: queue_db.states() == {"sent": 5, "outgoing": 3}, timeout=10)
    time.sleep(0.5)
    assert len(queue_db.peer.messages) == 5
    tomorrow = f"{datetime.date.today() + datetime.timedelta(days=1)} 00:00:00"
    waiting = [row for row in queue_db.read(ids, "state", "next_attempt", "attempt_count")
               if row["state"] == "outgoing"]
    assert all(row["next_attempt"] == tomorrow and not row["attempt_count"] for row in waiting), \
        waiting


# ----------------------------------------------------------------------------------------
# worker processes
# ----------------------------------------------------------------------------------------
def _start_process(queue_db: QueueDB, postroom_server: Any) -> subprocess.Popen:
    database = queue_db.db.database
    return subprocess.Popen(
        worker_command("--db-url", postroom_server.dsn_for(database.dbname), "-d",
                       database.dbname, "--poll-interval", "1", "--batch-size", "50"),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> str:
    if process.poll() is None:
        process.send_signal(sig)
    output, _ = process.communicate(timeout=30)
    return output


def _handled(log: str) -> int:
    return sum(int(line.split(": ")[-1].split()[0]) for line in log.splitlines()
               if "mail(s) handled" in line)


def test_two_worker_processes_send_each_mail_once(queue_db: QueueDB, postroom_server: Any) -> None:
    queue_db.queue(2000)
    processes = [_start_process(queue_db, postroom_server) for _ in range(2)]
    try:
        queue_db.peer.wait_for(2000, timeout=180)
        queue_db.wait_until(lambda: queue_db.states() == {"sent": 2000}, timeout=30)
        time.sleep(0.5)  # nothing more arrives
    finally:
        logs = [_stop(process) for process in processes]
    received = [m.message["Message-Id"] for m in queue_db.peer.messages]
    assert len(received) == 2000 and set(received) == queue_db.message_ids("sent")
    assert all(_handled(log) > 0 for log in logs), logs  # both took part


def test_killed_worker_loses_nothing(queue_db: QueueDB, postroom_server: Any) -> None:
    queue_db.peer.delay = 0.01
    queue_db.queue(300)
    process = _start_process(queue_db, postroom_server)
    try:
        queue_db.peer.wait_for(60, timeout=60)
    finally:
        _stop(process, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    received = collections.Counter(m.message["Message-Id"] for m in queue_db.peer.messages)
    sent = queue_db.message_ids("sent")
    states = queue_db.states()
    assert set(states) == {"sent", "outgoing"} and sum(states.values()) == 300
    assert sent <= set(received)  # committed as sent: really sent
    assert len(set(received) - sent) <= 1  # only the one in flight may be sent, not committed
    queue_db.peer.delay = 0
    process = _start_process(queue_db, postroom_server)
    try:
        queue_db.wait_until(lambda: queue_db.states() == {"sent": 300}, timeout=60)
    finally:
        _stop(process)
    received = collections.Counter(m.message["Message-Id"] for m in queue_db.peer.messages)
    assert set(received) == queue_db.message_ids("sent") and len(received) == 300
    assert sum(received.values()) - 300 <= 1


def test_worker_process_once(queue_db: QueueDB, postroom_server: Any) -> None:
    queue_db.queue(5)
    database = queue_db.db.database
    result = subprocess.run(worker_command("--db-url", postroom_server.dsn_for(database.dbname),
                                           "-d", database.dbname, "--once"),
                            capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, "PYTHONWARNINGS": "error"})
    assert result.returncode == 0, result.stderr
    assert queue_db.states() == {"sent": 5} and len(queue_db.peer.messages) == 5
