"""Evaluate small Python expressions from data files and rule domains, safely.

Data files (``eval="[(6, 0, [ref('base.group_user')])]"``), record rules
(``[('user_id', '=', user.id)]``) and action domains/contexts carry Python-looking
expressions. We never hand them to :func:`eval`: the expression is parsed with
:mod:`ast` and walked by a tiny interpreter that knows only literals,
containers, boolean and comparison operators, arithmetic, names given by the
caller, calls to callables given by the caller, and attribute reads that do not
start with an underscore. Anything else is refused with :class:`SafeEvalError`.
"""

from __future__ import annotations

import ast
import datetime
import operator
from collections.abc import Callable, Mapping
from typing import Any

from dateutil.relativedelta import relativedelta


class SafeEvalError(ValueError):
    """The expression uses something the evaluator does not allow."""


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_MAX_SEQUENCE = 100_000

#: Names every expression may use.
BASE_NAMES: Mapping[str, Any] = {
    "True": True,
    "False": False,
    "None": None,
    "datetime": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
    "timedelta": datetime.timedelta,
    "relativedelta": relativedelta,
    "len": len,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "set": set,
    "min": min,
    "max": max,
}
_BASE_CALLABLES = {datetime.datetime, datetime.date, datetime.time, datetime.timedelta,
                   relativedelta, len, str, int, float, bool, list, tuple, dict, set, min, max}
#: Methods of values (dates, strings, recordsets…) callable from expressions.
SAFE_METHODS = frozenset({
    "strftime", "isoformat", "fromisoformat", "replace", "date", "today", "now", "weekday", "timestamp",
    "lower", "upper", "strip", "split", "join", "startswith", "endswith", "format_map_refused",
    "get", "keys", "values", "items", "mapped", "filtered", "ids", "ensure_one", "has_group",
})


class _Evaluator:
    def __init__(self, names: Mapping[str, Any], source: str):
        self.names = {**BASE_NAMES, **names}
        self.callables = {id(v) for v in names.values() if callable(v)} | {id(c) for c in _BASE_CALLABLES}
        self.source = source

    def refuse(self, node: ast.AST, why: str) -> SafeEvalError:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        return SafeEvalError(f"Cannot evaluate {self.source!r}: {why} ({segment})")

    def visit(self, node: ast.AST) -> Any:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.refuse(node, f"{type(node).__name__} is not allowed")
        return method(node)

    def visit_Expression(self, node: ast.Expression) -> Any:
        return self.visit(node.body)

    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_List(self, node: ast.List) -> list:
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.visit(e) for e in node.elts)

    def visit_Set(self, node: ast.Set) -> set:
        return {self.visit(e) for e in node.elts}

    def visit_Dict(self, node: ast.Dict) -> dict:
        if any(k is None for k in node.keys):
            raise self.refuse(node, "dict unpacking is not allowed")
        return {self.visit(k): self.visit(v) for k, v in zip(node.keys, node.values)}

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id not in self.names:
            raise self.refuse(node, f"unknown name {node.id!r}")
        return self.names[node.id]

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        raise self.refuse(node, "operator not allowed")

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.refuse(node, "operator not allowed")
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Mult):
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int) \
                        and len(seq) * count > _MAX_SEQUENCE:
                    raise self.refuse(node, "result too large")
        return op(left, right)

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for expr in node.values:
            value = self.visit(expr)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def visit_Compare(self, node: ast.Compare) -> bool:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.visit(comparator)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        return self.visit(node.body) if self.visit(node.test) else self.visit(node.orelse)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_"):
            raise self.refuse(node, "private attributes are not allowed")
        value = self.visit(node.value)
        attr = getattr(value, node.attr)
        if callable(attr) and node.attr not in SAFE_METHODS:
            raise self.refuse(node, f"method {node.attr!r} is not allowed")
        return attr

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        return self.visit(node.value)[self.visit(node.slice)]

    def visit_Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(self.visit(p) if p is not None else None for p in parts))

    def visit_Call(self, node: ast.Call) -> Any:
        func = self.visit(node.func)
        if not (id(func) in self.callables or isinstance(node.func, ast.Attribute)):
            raise self.refuse(node, "this call is not allowed")
        args = [self.visit(a) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.refuse(node, "**kwargs are not allowed")
            kwargs[kw.arg] = self.visit(kw.value)
        return func(*args, **kwargs)


def safe_eval(expression: str, names: Mapping[str, Any] | None = None) -> Any:
    """Evaluate ``expression`` with only ``names`` (plus literals and dates) in scope."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise SafeEvalError(f"Cannot evaluate {expression!r}: {exc.msg}") from None
    return _Evaluator(names or {}, expression.strip()).visit(tree)


def literal_eval(expression: str) -> Any:
    """Evaluate a pure literal (no names but True/False/None)."""
    return safe_eval(expression, {})
