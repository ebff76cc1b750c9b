"""The expression sandbox every template goes through.

Mail templates are written by users, not by developers, yet they run inside the server
next to the database. Both template kinds (inline ``{{ ... }}`` placeholders and QWeb
bodies) therefore evaluate their expressions here, never with Python's ``eval``.

An expression is Jinja2 expression syntax (``object.partner_id.name``,
``'%s (%s)' % (a, b)``, ``x if cond else y``, ``items|map(attribute='name')|join(', ')``)
evaluated by a hardened ``jinja2.sandbox.ImmutableSandboxedEnvironment``:

* Jinja already refuses names starting with ``_`` (so no ``__class__``/``__globals__``
  walks), methods that mutate lists, dicts and sets, and sandboxes ``str.format``.
* On top of that this module refuses, whatever the object: ``env``, ``sudo``,
  ``with_user``, ``with_context``, ``with_env``, ``format``/``format_map`` on strings,
  attributes of classes other than ``datetime``/``date``/``timedelta``, and callables
  marked ``alters_data = True``.
* **Recordsets** (any object whose class sets ``_postroom_recordset = True``) expose only
  their fields (``type(obj)._fields``) plus a read-only API: ``id``, ``ids``,
  ``display_name``, ``mapped``, ``filtered``, ``sorted``, ``ensure_one``, ``exists``,
  and the ``len``/iteration/truth/indexing protocols. ``write``, ``unlink``,
  ``message_post``, ``action_*`` and every other method are refused, also when a bound
  method reaches the template some other way (in a list, from ``mapped()`` ...).
* Work is bounded: ``*`` may not build more than :data:`MAX_REPEAT` items or characters,
  ``**`` and ``*`` may not build integers above :data:`MAX_INT_BITS` bits, ``range`` stops
  at 100,000 items, ``%``-formatting widths and the string methods that can blow a value
  up (``center``, ``ljust``, ``rjust``, ``zfill``, ``expandtabs``, ``replace``, ``join``)
  may not build a value larger than the render's output limit. Filters that could do the
  same (``center``, ``indent``, ``wordwrap``, ``batch``, ``slice``, ``format`` ...) are not
  installed. A render also has a wall-time limit, checked on every call an expression
  makes, and an output limit (see :class:`RenderLimits`). Concatenation (``~``, ``+``)
  stays linear in the length of the expression and is not capped.

Expressions see the caller's context (``object``, ``user``, ``ctx`` ...) and, behind it,
the globals in :data:`GLOBALS`. Each expression string is compiled once (LRU cache);
evaluating it reads the caller's mapping directly, without copying it. Every failure,
refused or not, surfaces as :class:`RenderError` naming the expression and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from time import monotonic
from typing import Any

from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.filters import FILTERS, make_attrgetter, pass_environment
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined, missing
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from markupsafe import Markup, escape

from postroom.render.formatting import (
    format_amount,
    format_date,
    format_datetime,
    format_decimal,
)

#: Most items or characters a ``*`` repetition may produce.
MAX_REPEAT = 100_000
#: Largest integer, in bits, that ``*`` and ``**`` may produce.
MAX_INT_BITS = 10_000
#: Largest ``ndigits`` accepted by ``round`` (rounding an int to -10**8 digits never ends).
MAX_ROUND_DIGITS = 100

#: Names refused on every object: they reach the environment or change access rights.
DENIED_NAMES = frozenset({"env", "sudo", "with_user", "with_context", "with_env"})
#: What a template may use on a recordset besides its fields.
RECORDSET_API = frozenset(
    {"id", "ids", "display_name", "mapped", "filtered", "sorted", "ensure_one", "exists"}
)
#: Classes whose attributes (``datetime.now``, ``date.today`` ...) may be read.
PUBLIC_CLASSES = frozenset({datetime, date, timedelta})


class RenderError(Exception):
    """A template or expression was refused, is invalid, or failed while rendering."""

    def __init__(self, expression: str, reason: str, directive: str | None = None) -> None:
        self.expression = expression
        self.reason = reason
        self.directive = directive
        shown = expression if len(expression) <= 80 else expression[:77] + "..."
        where = f" ({directive})" if directive else ""
        super().__init__(f'Cannot render "{shown}"{where}: {reason}')


class Refused(Exception):
    """The sandbox refused an operation; renderers turn this into a :class:`RenderError`
    naming what they were rendering."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RenderLimits:
    """Resources one render may use."""

    time: float = 2.0
    """Wall-clock seconds."""
    output: int = 1_000_000
    """Characters produced, each counted once: text captured by a QWeb ``t-set`` or
    ``t-call`` body counts when captured, not when first written out, and again for each
    further copy."""


class Budget:
    """The clock and output counter of the render in progress."""

    __slots__ = ("deadline", "limits", "output")

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.deadline = monotonic() + limits.time
        self.output = 0

    def check_time(self) -> None:
        """Refuse to go on once the render is over its time limit."""
        if monotonic() > self.deadline:
            raise Refused(f"rendering took longer than {self.limits.time:g} seconds")

    def add_output(self, size: int) -> None:
        """Count `size` produced characters against the output limit."""
        self.output += size
        if self.output > self.limits.output:
            raise Refused(
                f"the output is larger than {self.limits.output:,} characters, the most one "
                "render may produce; make the template produce less, e.g. loop over fewer "
                "records or leave long values out"
            )

    def check_size(self, size: int, what: str) -> None:
        """Refuse to build a single value larger than the whole output may be."""
        if size > self.limits.output:
            raise Refused(
                f"{what} would be {size:,} long, more than the {self.limits.output:,} allowed"
            )


_BUDGET: ContextVar[Budget | None] = ContextVar("postroom_render_budget", default=None)


@contextmanager
def render_budget(limits: RenderLimits | None = None) -> Iterator[Budget]:
    """Start a render's clock and output counter, or join the render already running.

    A render started inside another one (a helper rendering a snippet) shares the outer
    budget, so nesting can never extend the limits.
    """
    current = _BUDGET.get()
    if current is not None:
        yield current
        return
    budget = Budget(limits or RenderLimits())
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def _current_budget() -> Budget:
    budget = _BUDGET.get()
    assert budget is not None, "sandbox checks only run inside Expression.__call__"
    return budget


# --- checks used by the environment -------------------------------------------------


def _is_recordset(obj: Any) -> bool:
    return getattr(type(obj), "_postroom_recordset", False) is True


def _check_access(obj: Any, name: str) -> None:
    """Refuse reading attribute or item `name` of `obj` when the rules above forbid it."""
    if name.startswith("_"):
        raise Refused(f'"{name}" is private: names starting with "_" are not allowed in templates')
    if name in DENIED_NAMES:
        raise Refused(f'"{name}" is not allowed in templates')
    cls = type(obj)
    if _is_recordset(obj):
        if name not in cls._fields and name not in RECORDSET_API:
            verb = "calling" if callable(getattr(cls, name, None)) else "reading"
            raise Refused(f'{verb} "{name}" on a record is not allowed in templates')
    elif isinstance(obj, type):
        if obj not in PUBLIC_CLASSES:
            raise Refused(
                f'reading "{name}" on the class "{obj.__name__}" is not allowed in templates'
            )
    elif isinstance(obj, str) and name in ("format", "format_map"):
        raise Refused(f'"{name}" is not allowed in templates; use the "%" operator')


def _check_repeat(size: int) -> None:
    if size > MAX_REPEAT:
        raise Refused(
            f"repeating would build {size:,} items or characters, more than {MAX_REPEAT:,}"
        )


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise Refused(
            f"the result would be an integer of about {bits:,} bits, more than {MAX_INT_BITS:,}"
        )


_PRINTF_SPEC = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?)")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**`` and ``%`` when their result would be huge."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                _check_repeat(len(seq) * count)
        if isinstance(left, int) and isinstance(right, int):
            _check_int_bits(left.bit_length() + right.bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_int_bits(abs(left).bit_length() * right)
    elif isinstance(left, str):  # "%" formatting
        width = 0
        for match in _PRINTF_SPEC.finditer(left):
            for part in match.groups():
                if part == "*":
                    raise Refused('"*" widths are not allowed in "%" formatting')
                width += int(part or 0)
        _current_budget().check_size(width, "the padding of this %-format")


_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})


def _bounded_str_call(
    method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Refuse string method calls that would build a huge string; return the arguments to use."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return args
    name, budget = method.__name__, _current_budget()
    if name in _PADDING_METHODS:
        width = args[0] if args else kwargs.get("width", 0)
        budget.check_size(width, f"the result of {name}()")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        budget.check_size(len(owner) + owner.count("\t") * tabsize, "the result of expandtabs()")
    elif (
        name == "replace"
        and len(args) >= 2
        and isinstance(args[0], str)
        and isinstance(args[1], str)
    ):
        old, new = args[0], args[1]
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        hits = owner.count(old) if old else len(owner) + 1
        if count >= 0:
            hits = min(hits, count)
        budget.check_size(len(owner) + hits * (len(new) - len(old)), "the result of replace()")
    elif name == "join" and args:
        items = list(args[0])
        _check_join_size(owner, items, budget)
        return (items, *args[1:])
    return args


def _check_join_size(separator: str, items: list[Any], budget: Budget) -> None:
    size = sum(len(item) for item in items if isinstance(item, str))
    budget.check_size(size + len(separator) * max(len(items) - 1, 0), "the joined string")


@pass_environment
def _join_filter(
    environment: Any, value: Any, d: str = "", attribute: str | int | None = None
) -> str:
    """The ``join`` filter, refusing to build a string larger than the output limit."""
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    items = [item if isinstance(item, str) else str(item) for item in value]
    _check_join_size(d, items, _current_budget())
    if isinstance(d, Markup) or any(isinstance(item, Markup) for item in items):
        return escape(d).join(items)
    return d.join(items)


def _round(number: Any, ndigits: int | None = None) -> Any:
    """``round`` without the unbounded work of huge ``ndigits`` on integers."""
    if ndigits is None:
        return round(number)
    if abs(ndigits) > MAX_ROUND_DIGITS:
        raise Refused(f"round() accepts at most {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


def _sum(iterable: Any, start: float = 0) -> Any:
    """``sum`` of numbers only (summing lists or strings can grow quadratically)."""
    if not isinstance(start, (int, float)):
        raise Refused("sum() adds numbers only")
    return sum(iterable, start)


# --- the environment ----------------------------------------------------------------


class _Context(Context):
    """Looks names up in the caller's mapping (shared, not copied), then in :data:`GLOBALS`."""

    def resolve_or_missing(self, key: str) -> Any:
        if key in self.vars:
            return self.vars[key]
        if key in self.parent:
            return self.parent[key]
        return GLOBALS.get(key, missing)


class _SandboxEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the extra refusals and bounds described above."""

    context_class = _Context
    intercepted_binops = frozenset({"*", "**", "%"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        _check_access(obj, attribute)
        if _is_recordset(obj):
            return getattr(obj, attribute)  # a field or the read-only API: nothing else to check
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str):
            _check_access(obj, argument)
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise Refused(
            f'"{attribute}" of a {type(obj).__name__} is not available in templates '
            "(it is internal or modifies data)"
        )

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = _BUDGET.get()
        if budget is not None:
            budget.check_time()
        name = getattr(obj, "__name__", type(obj).__name__)
        if getattr(obj, "alters_data", False) or getattr(obj, "unsafe_callable", False):
            raise Refused(f'calling "{name}" is not allowed in templates: it alters data')
        # a record method that reached the template some other way (a list, mapped() ...)
        if _is_recordset(getattr(obj, "__self__", None)) and name not in RECORDSET_API:
            raise Refused(f'calling "{name}" on a record is not allowed in templates')
        args = _bounded_str_call(obj, args, kwargs)
        return context.call(obj, *args, **kwargs)


#: Filters that cannot blow up a value; ``join`` is replaced by a bounded version.
ALLOWED_FILTERS = frozenset({
    "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "forceescape", "groupby", "int", "items", "last",
    "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse",
    "round", "safe", "select", "selectattr", "sort", "string", "striptags", "title",
    "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount",
})  # fmt: skip

#: Names every expression can use besides its context.
GLOBALS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "sum": _sum, "abs": abs, "round": _round,
    "str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict,
    "enumerate": enumerate, "zip": zip, "sorted": sorted, "range": safe_range,
    "datetime": datetime, "date": date, "timedelta": timedelta,
    "format_amount": format_amount, "format_date": format_date,
    "format_datetime": format_datetime, "format_decimal": format_decimal,
}  # fmt: skip

# The environment's own globals stay empty (Jinja copies them into every context it
# creates); _Context falls back to GLOBALS instead.
_ENVIRONMENT = _SandboxEnvironment(autoescape=True, undefined=StrictUndefined)
_ENVIRONMENT.globals.clear()
_ENVIRONMENT.filters = {name: FILTERS[name] for name in ALLOWED_FILTERS}
_ENVIRONMENT.filters["join"] = _join_filter


# --- compiled expressions -----------------------------------------------------------


def _describe(exc: Exception) -> str:
    """The reason shown for an exception raised while evaluating."""
    if isinstance(exc, (SecurityError, UndefinedError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class Expression:
    """A compiled expression: call it with a context mapping to get its value."""

    __slots__ = ("_template", "source")

    def __init__(self, source: str, template: Template) -> None:
        self.source = source
        self._template = template

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __call__(self, context: Mapping[str, Any]) -> Any:
        if _BUDGET.get() is None:
            with render_budget():
                return self(context)
        try:
            variables = context if isinstance(context, dict) else dict(context)
            jinja_context = self._template.new_context(variables, shared=True)
            for _ in self._template.root_render_func(jinja_context):
                pass
            value = jinja_context.vars["result"]
            if isinstance(value, Undefined):
                str(value)  # StrictUndefined raises, naming what is undefined
            return value
        except RenderError:
            raise
        except Refused as exc:
            raise RenderError(self.source, exc.reason) from None
        except RecursionError:
            raise RenderError(self.source, "the expression nests too deeply") from None
        except Exception as exc:
            raise RenderError(self.source, _describe(exc)) from exc


def _check_static_names(node: nodes.Node) -> None:
    """Refuse, at compile time, names that are refused on every object (``_private``,
    ``sudo``, ``env`` ...), so that saving such a template already fails."""
    names = [found.attr for found in node.find_all(nodes.Getattr)]
    names += [
        found.arg.value
        for found in node.find_all(nodes.Getitem)
        if isinstance(found.arg, nodes.Const) and isinstance(found.arg.value, str)
    ]
    for name in names:
        if name.startswith("_") or name in DENIED_NAMES:
            _check_access(None, name)  # raises with the same reason as at run time


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> Expression:
    """Compile `source` once; raise :class:`RenderError` if it is not a valid expression."""
    try:
        parser = Parser(_ENVIRONMENT, source, state="variable")
        node = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError(
                f"unexpected {parser.stream.current.value!r} after the expression",
                parser.stream.current.lineno,
            )
        target = nodes.Name("result", "store", lineno=1)
        body = nodes.Template([nodes.Assign(target, node, lineno=1)], lineno=1)
        _check_static_names(body)
        body.set_environment(_ENVIRONMENT)
        template = _ENVIRONMENT.from_string(body)
    except TemplateSyntaxError as exc:
        raise RenderError(source, f"invalid expression: {exc.message}") from None
    except Refused as exc:
        raise RenderError(source, exc.reason) from None
    except RecursionError:
        raise RenderError(source, "the expression nests too deeply") from None
    return Expression(source, template)


def evaluate(source: str, context: Mapping[str, Any], *, limits: RenderLimits | None = None) -> Any:
    """Evaluate expression `source` against `context` within `limits`."""
    with render_budget(limits):
        return compile_expression(source)(context)
