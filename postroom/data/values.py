"""Turn the text of data files into field values.

XML ``<field>`` text and CSV cells are strings; the field's type says what they
mean: ``1``/``0``/``True``/``False`` for booleans, numbers for numeric fields,
the text itself for text-like fields. Empty text is "no value" (False).
Relations take external ids (``ref=`` in XML, ``name:id`` columns in CSV),
never names.
"""

from __future__ import annotations

from typing import Any

from postroom.data.errors import Where
from postroom.orm.fields.base import Field

_TEXT_TYPES = ("char", "text", "html", "selection")


def boolean(text: str, where: Where) -> bool:
    """``1``/``True`` → True, ``0``/``False``/empty → False (any case)."""
    value = text.strip().lower()
    if value in ("1", "true"):
        return True
    if value in ("0", "false", ""):
        return False
    raise where.error(f"invalid boolean {text!r}: use 1, 0, True or False")


def number(text: str, kind: type[int | float], where: Where) -> int | float:
    try:
        return kind(text.strip())
    except ValueError:
        raise where.error(f"invalid {kind.__name__} {text!r}") from None


def text_value(field: Field, text: str, where: Where) -> Any:
    """The value of ``field`` written as ``text``."""
    if field.type in _TEXT_TYPES:
        return text or False
    if not text.strip():
        return False
    if field.type == "boolean":
        return boolean(text, where)
    if field.type == "integer":
        return number(text, int, where)
    if field.type in ("float", "monetary"):
        return number(text, float, where)
    if field.relational:
        raise where.error(f"field {field.name!r} is a relation: give an external id "
                          "(ref= or eval=\"[(6, 0, [ref('…')])]\" in XML, a "
                          f"'{field.name}:id' column in CSV)")
    return text
