"""Run Manually (``method_direct_trigger``): now, in the caller's transaction, never twice."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import pytest

from postroom.exceptions import AccessError, UserError
from postroom.service.cron import utcnow

if TYPE_CHECKING:
    from tests.cron.conftest import CronDB


def test_run_manually_runs_now_as_the_jobs_user(cron_db: CronDB) -> None:
    nextcall = utcnow() + datetime.timedelta(days=3)
    with cron_db.env() as env:
        user_id = env["res.users"].create({"name": "Runner", "login": "runner"}).id
    job = cron_db.create_cron("manual", args="('manual', 2)", nextcall=nextcall, user_id=user_id)
    with cron_db.env() as env:
        assert env["ir.cron"].browse(job).method_direct_trigger() is True
        counter = env["test.cron.counter"].search([("name", "=", "manual")])
        assert counter.value == 2 and counter.last_uid == user_id
    cron = cron_db.read_cron(job)
    assert cron["nextcall"] == nextcall and cron["lastcall"]


def test_run_manually_errors_reach_the_caller(cron_db: CronDB) -> None:
    job = cron_db.create_cron("manual failure", "increment_then_fail", "('manual failure',)")
    with pytest.raises(ValueError, match="refuses to count"), cron_db.env() as env:
        env["ir.cron"].browse(job).method_direct_trigger()
    assert cron_db.counter("manual failure") is None  # the caller's transaction rolled back
    assert cron_db.read_cron(job)["failure_count"] == 0


def test_run_manually_needs_write_access(cron_db: CronDB) -> None:
    job = cron_db.create_cron("restricted", args="('restricted',)")
    with cron_db.env() as env:
        user = env["res.users"].create({"name": "Clerk", "login": "clerk"})
        with pytest.raises(AccessError):
            env["ir.cron"].with_user(user).browse(job).method_direct_trigger()
    assert cron_db.counter("restricted") is None


def test_run_manually_refuses_a_job_a_worker_is_running(cron_db: CronDB) -> None:
    job = cron_db.create_cron("busy", args="('busy',)")
    with cron_db.database.cursor() as worker_cr:  # holds the lock as a running worker does
        worker_cr.execute("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE", (job,))
        with cron_db.env() as env, pytest.raises(UserError, match="running right now"):
            env["ir.cron"].browse(job).method_direct_trigger()
    assert cron_db.counter("busy") is None
