"""Evaluate the ``eval="…"`` expressions of data files, without Python's eval.

Expressions go through :func:`postroom.tools.safe_eval.safe_eval` with the
names Odoo data files use: ``ref('xmlid')`` (the database id of an external
id), ``Command``, ``DateTime``/``datetime`` (the datetime class), ``date``,
``timedelta``, ``relativedelta`` and ``time`` (offering ``time.strftime``),
so that ``(DateTime.today() + relativedelta(days=3)).strftime('%Y-%m-%d')`` and
``[(6, 0, [ref('base.group_user')])]`` work as they do in Odoo.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from dateutil.relativedelta import relativedelta

from postroom.data.errors import DataError, Where
from postroom.orm.fields.relational import Command
from postroom.tools.safe_eval import SafeEvalError, safe_eval

#: ``time.strftime('%Y-%m-01')``: the one function of the time module data files need
_TIME = SimpleNamespace(strftime=time.strftime)


def eval_names(ref: Callable[[str], int]) -> dict[str, Any]:
    """The names an expression may use, with ``ref`` resolving external ids to ids."""
    return {
        "ref": ref,
        "Command": Command,
        "DateTime": datetime.datetime,
        "datetime": datetime.datetime,
        "date": datetime.date,
        "timedelta": datetime.timedelta,
        "relativedelta": relativedelta,
        "time": _TIME,
    }


def evaluate(expression: str, names: Mapping[str, Any], where: Where) -> Any:
    """The value of ``expression``; a :class:`DataError` at ``where`` if it fails."""
    try:
        return safe_eval(expression, names)
    except DataError:
        raise
    except SafeEvalError as exc:
        raise where.error(str(exc)) from None
    except Exception as exc:
        raise where.error(f"Cannot evaluate {expression!r}: {type(exc).__name__}: {exc}") from exc
