"""``postroom cron``: --once in process; the worker loop as a process that SIGTERM stops."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from postroom.cli.main import main

if TYPE_CHECKING:
    from tests.cron.conftest import CronDB

ROOT = Path(__file__).resolve().parents[2]


def cli_args(cron_db: CronDB) -> list[str]:
    return ["--db-url", cron_db.database.server.dsn_for(cron_db.database.dbname),
            "--addons-path", ",".join(cron_db.db.databases.addons_path)]


def test_once_runs_the_due_jobs_with_several_workers(cron_db: CronDB) -> None:
    for name in ("a", "b", "c", "d", "e"):
        cron_db.create_cron(name, args=f"({name!r},)")
    result = CliRunner().invoke(main, [*cli_args(cron_db), "cron", "-d", cron_db.database.dbname,
                                       "--once", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "5 scheduled action(s) run." in result.output
    assert [cron_db.counter(name) for name in "abcde"] == [1] * 5


def test_sigterm_stops_the_worker_loop(cron_db: CronDB) -> None:
    job = cron_db.create_cron("served", args="('served',)")
    process = subprocess.Popen(
        [sys.executable, "-m", "postroom", *cli_args(cron_db), "cron",
         "-d", cron_db.database.dbname, "--workers", "2", "--poll-interval", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        cron_db.wait_until(lambda: cron_db.counter("served") == 1, timeout=30)
        cron_db.wait_until(lambda: cron_db.listening() == 2, timeout=10)
        cron_db.trigger(job)
        cron_db.wait_until(lambda: cron_db.counter("served") == 2, timeout=5)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "SIGTERM received" in err
    assert "running 'served'" in err and "cron-2: stopped" in err
