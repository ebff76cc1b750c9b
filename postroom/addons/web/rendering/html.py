"""A tiny HTML builder: every value is escaped unless it already is ``Markup``.

    >>> el("a", {"href": "/web?q=1&x=2", "class": "o_link"}, "<b>")
    Markup('<a href="/web?q=1&amp;x=2" class="o_link">&lt;b&gt;</a>')

Attributes whose value is ``None`` or ``False`` are left out; ``True`` writes the bare
attribute (``disabled``). Children that are ``None`` or ``False`` are skipped, lists are
flattened. Tag and attribute names come from code, never from data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})

Attributes = Mapping[str, Any] | None


def attributes(attrs: Attributes) -> Markup:
    """`` name="value"`` pairs, escaped, skipping empty values."""
    parts = []
    for name, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        if value is True:
            parts.append(Markup(" ") + Markup(name))
        else:
            parts.append(Markup(' {}="{}"').format(Markup(name), value))
    return Markup("").join(parts)


def join(children: Iterable[Any]) -> Markup:
    """The children, escaped and concatenated (lists flattened, empty ones skipped)."""
    parts = []
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, (list, tuple)):
            parts.append(join(child))
        else:
            parts.append(escape(child))
    return Markup("").join(parts)


def el(tag: str, attrs: Attributes = None, *children: Any) -> Markup:
    """The element ``tag`` with its attributes and children."""
    opening = Markup("<") + Markup(tag) + attributes(attrs)
    if tag in VOID:
        return opening + Markup(">")
    return opening + Markup(">") + join(children) + Markup("</") + Markup(tag) + Markup(">")


def classes(*names: str | bool | None) -> str | None:
    """A ``class`` value from the truthy names, or None."""
    value = " ".join(name for name in names if name)
    return value or None
