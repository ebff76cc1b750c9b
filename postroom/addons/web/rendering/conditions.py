"""Conditions on view nodes: ``invisible``, ``readonly``, ``required``, decorations.

A condition is a Python expression over the fields of the record shown::

    <button name="action_done" invisible="state != 'open'"/>
    <field name="date_done" readonly="state == 'done'" required="state == 'done'"/>
    <list decoration-muted="not active">            (one2many lines also see ``parent``)

It is evaluated by :func:`postroom.tools.safe_eval.safe_eval` (never Python's
``eval``) with only the names it uses: fields (many2one as an id, x2many as a list
of ids), ``id``, ``uid``, ``context``, ``context_today()``, and ``parent`` for lines.
``"1"``/``"True"`` and ``"0"``/``"False"`` are the constants. A condition that cannot
be evaluated is a mistake in the view: :class:`ViewError` says which.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from postroom.tools.safe_eval import SafeEvalError, safe_eval

TRUE_TEXTS = frozenset({"1", "True", "true"})
FALSE_TEXTS = frozenset({"", "0", "False", "false"})
_EVALUATION_ERRORS = (SafeEvalError, TypeError, AttributeError, KeyError, IndexError,
                      ZeroDivisionError, ValueError)


class ViewError(ValueError):
    """A view cannot be shown as written (a bad condition, a bad node)."""


@lru_cache(maxsize=2048)
def names_in(expression: str) -> frozenset[str]:
    """The variable names ``expression`` reads."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ViewError(f"Invalid condition {expression!r} in a view: {exc.msg}") from None
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


class Namespace:
    """Attribute access to another scope's fields: ``parent.state``."""

    def __init__(self, lookup: Callable[[str], Any]):
        self.lookup = lookup

    def __getattr__(self, name: str) -> Any:
        try:
            return self.lookup(name)
        except KeyError:
            raise AttributeError(name) from None


class Scope:
    """What conditions on one record see; ``lookup(name)`` gives a field's value."""

    def __init__(self, lookup: Callable[[str], Any], extras: Mapping[str, Any]):
        self.lookup = lookup
        self.extras = dict(extras)

    @classmethod
    def for_env(cls, env: Any, lookup: Callable[[str], Any], record_id: int | bool = False,
                **extras: Any) -> Scope:
        """A scope with the standard names of ``env`` (uid, context, context_today)."""
        def context_today() -> datetime.date:
            return datetime.date.today()
        return cls(lookup, {"id": record_id, "uid": env.uid, "context": dict(env.context),
                            "context_today": context_today, **extras})

    def evaluate(self, expression: str) -> Any:
        names = {}
        for name in names_in(expression):
            if name in self.extras:
                names[name] = self.extras[name]
                continue
            try:
                names[name] = self.lookup(name)
            except KeyError:
                continue  # not a field: a base name (datetime…) or an error safe_eval reports
        try:
            return safe_eval(expression, names)
        except _EVALUATION_ERRORS as exc:
            raise ViewError(f"Cannot evaluate the view condition {expression!r}: {exc}") from None

    def condition(self, node: Any, attribute: str) -> bool:
        """Whether the condition ``attribute`` of ``node`` holds (False when absent)."""
        text = node.get(attribute)
        if text is None:
            return False
        text = text.strip()
        if text in TRUE_TEXTS:
            return True
        if text in FALSE_TEXTS:
            return False
        return bool(self.evaluate(text))
