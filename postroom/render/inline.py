"""Inline templates: plain text with ``{{ expression }}`` placeholders.

Short mail fields (subject, email_from, email_to, partner_to, reply_to, lang ...) are
inline templates::

    Order {{ object.name }} for {{ object.partner_id.name ||| our customer }}

Each placeholder holds a sandboxed expression (see :mod:`postroom.render.sandbox`),
optionally followed by ``|||`` and a literal default used when the value is empty:
``None``, ``False``, or anything of length zero (``""``, ``[]``, an empty recordset).
Empty values without a default render as ``""``; zero renders as ``0``.

The result is plain text and is **not** HTML-escaped: these fields are mail headers or
codes, never markup. Text outside placeholders is copied as is, an unmatched ``{{`` too.
A placeholder ends at the first ``}}``, so an expression cannot contain ``}}``.

Saving a template should call :func:`validate_inline`; whether a non-editor may save it
depends on :func:`is_plain_field_path` holding for every :func:`inline_expressions` entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from postroom.render.sandbox import (
    Expression,
    Refused,
    RenderError,
    RenderLimits,
    compile_expression,
    render_budget,
)

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_FIELD_PATH = re.compile(r"object(?:\.[A-Za-z][A-Za-z0-9_]*)+\Z")

_Part = str | tuple[Expression, str | None]


def _placeholders(template: str) -> list[tuple[str, str | None, re.Match[str]]]:
    """``(expression, default or None, match)`` for each placeholder."""
    found = []
    for match in _PLACEHOLDER.finditer(template):
        source, separator, default = match.group(1).partition("|||")
        found.append((source.strip(), default.strip() if separator else None, match))
    return found


@lru_cache(maxsize=1024)
def _compile(template: str) -> tuple[_Part, ...]:
    parts: list[_Part] = []
    position = 0
    for source, default, match in _placeholders(template):
        if match.start() > position:
            parts.append(template[position : match.start()])
        parts.append((compile_expression(source), default))
        position = match.end()
    if position < len(template):
        parts.append(template[position:])
    return tuple(parts)


def _is_empty(value: Any) -> bool:
    return value is None or value is False or (hasattr(value, "__len__") and len(value) == 0)


def render_inline(
    template: str | None, context: Mapping[str, Any], *, limits: RenderLimits | None = None
) -> str:
    """Render `template` with `context` as variables; ``None``/``False`` give ``""``."""
    if not template:
        return ""
    with render_budget(limits) as budget:
        chunks = []
        for part in _compile(template):
            if isinstance(part, str):
                text = part
            else:
                expression, default = part
                value = expression(context)
                text = (default or "") if _is_empty(value) else str(value)
            try:
                budget.add_output(len(text))
            except Refused as exc:
                raise RenderError(template, exc.reason) from None
            chunks.append(text)
        return "".join(chunks)


def inline_expressions(template: str) -> list[str]:
    """The expressions of `template`'s placeholders, without their defaults."""
    return [source for source, _, _ in _placeholders(template)]


def validate_inline(template: str) -> None:
    """Raise :class:`RenderError`, naming the expression, if a placeholder is invalid."""
    _compile(template)


def is_plain_field_path(expression: str) -> bool:
    """True for ``object.field.subfield`` paths: safe to let any user write them."""
    return bool(_FIELD_PATH.match(expression.strip()))
