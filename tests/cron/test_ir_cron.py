"""ir.cron records: validation, the schedule arithmetic, triggers (in a rolled-back transaction)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from postroom.exceptions import ValidationError
from postroom.orm.environment import Environment

DT = datetime.datetime


def new_cron(env: Environment, **values: Any) -> Any:
    """A scheduled action calling ``ir.module.module.search_count([])``."""
    return env["ir.cron"].create({
        "name": "Count addons", "model_id": env["ir.model"]._get_id("ir.module.module"),
        "function": "search_count", "args": "([],)", **values})


def test_defaults(env: Environment) -> None:
    cron = new_cron(env)
    assert cron.model_name == "ir.module.module"
    assert cron.user_id == env.ref("base.user_root")
    assert (cron.interval_number, cron.interval_type, cron.priority) == (1, "months", 5)
    assert cron.active and cron.nextcall and not cron.lastcall and cron.failure_count == 0


@pytest.mark.parametrize("function", ["no_such_method", "__class__", "name"])
def test_function_must_be_a_method_of_the_model(env: Environment, function: str) -> None:
    with pytest.raises(ValidationError, match="has no method"), env.cr.savepoint():
        new_cron(env, function=function)


def test_function_is_checked_when_the_model_changes(env: Environment) -> None:
    cron = new_cron(env)
    partner_model = env["ir.model"]._get_id("res.partner")
    with pytest.raises(ValidationError, match="'res.partner' has no method 'count_x'"), \
            env.cr.savepoint():
        cron.write({"function": "count_x", "model_id": partner_model})


@pytest.mark.parametrize("args, message", [
    ("5", r"must be a tuple, e.g. \(5,\)"),
    ("(1,", "invalid arguments"),
    ("(__import__('os'),)", "invalid arguments"),
])
def test_args_must_be_a_tuple_literal(env: Environment, args: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message), env.cr.savepoint():
        new_cron(env, args=args)


def test_interval_must_be_positive(env: Environment) -> None:
    with pytest.raises(ValidationError, match="positive"), env.cr.savepoint():
        new_cron(env, interval_number=0)


def test_run_job_calls_the_method_with_its_arguments(env: Environment) -> None:
    cron = new_cron(env)
    assert cron._run_job() == env["ir.module.module"].search_count([])


@pytest.mark.parametrize("interval, nextcall, now, expected", [
    (("minutes", 15), DT(2025, 1, 1, 10, 0), DT(2025, 1, 1, 10, 0), DT(2025, 1, 1, 10, 15)),
    (("minutes", 15), DT(2025, 1, 1, 10, 0), DT(2025, 1, 1, 11, 7), DT(2025, 1, 1, 11, 15)),
    (("hours", 2), DT(2025, 1, 1, 10, 0), DT(2025, 1, 3, 9, 59), DT(2025, 1, 3, 10, 0)),
    (("days", 1), DT(2025, 1, 1, 3, 0), DT(2025, 6, 1, 3, 0), DT(2025, 6, 2, 3, 0)),
    (("weeks", 1), DT(2025, 1, 6, 8, 0), DT(2025, 1, 20, 9, 0), DT(2025, 1, 27, 8, 0)),
    (("months", 1), DT(2025, 1, 31, 4, 0), DT(2025, 2, 10, 0, 0), DT(2025, 2, 28, 4, 0)),
    (("months", 1), DT(2025, 1, 31, 4, 0), DT(2025, 3, 1, 0, 0), DT(2025, 3, 31, 4, 0)),
    (("months", 3), DT(2024, 11, 30, 4, 0), DT(2026, 1, 1, 0, 0), DT(2026, 2, 28, 4, 0)),
    (("months", 1), DT(2025, 1, 15, 4, 0), DT(2025, 1, 15, 4, 0), DT(2025, 2, 15, 4, 0)),
    (("days", 1), DT(2025, 1, 2, 3, 0), DT(2025, 1, 1, 0, 0), DT(2025, 1, 2, 3, 0)),
])
def test_next_call_skips_missed_runs(env: Environment, interval: tuple[str, int],
                                     nextcall: DT, now: DT, expected: DT) -> None:
    unit, number = interval
    cron = new_cron(env, interval_type=unit, interval_number=number, nextcall=nextcall)
    assert cron._next_call(now) == expected


def test_trigger_stores_one_row_per_time(env: Environment) -> None:
    cron = new_cron(env)
    later = DT(2030, 1, 1, 12, 0)
    cron._trigger()
    cron._trigger([later, later + datetime.timedelta(hours=1)])
    times = cron.trigger_ids.mapped("call_at")
    assert len(times) == 3 and times[1:] == [later, later + datetime.timedelta(hours=1)]
