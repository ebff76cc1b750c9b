"""Scalar field types: numbers, booleans, text, HTML and JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from psycopg2.extras import Json as _JsonAdapter

from postroom.orm.fields.base import Field

if TYPE_CHECKING:
    from postroom.orm.models.base import BaseModel


class Id(Field):
    """The primary key; ``record.id``."""

    type = "integer"
    column_type = None

    def __get__(self, record: BaseModel | None, owner: type | None = None) -> Any:
        if record is None:
            return self
        if not record._ids:
            return False
        if len(record._ids) > 1:
            raise ValueError(f"Expected singleton: {record!r}")
        return record._ids[0]

    def __set__(self, record: BaseModel, value: Any) -> None:
        raise TypeError("The id of a record cannot be changed")


class Boolean(Field):
    type = "boolean"
    column_type = "boolean"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> bool:
        return bool(value)

    def convert_from_column(self, value: Any) -> bool:
        return bool(value)

    def convert_to_record(self, value: Any, record: BaseModel) -> bool:
        return bool(value)


class Integer(Field):
    type = "integer"
    column_type = "int4"
    null = 0

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> int:
        return int(value or 0)

    def convert_from_column(self, value: Any) -> int:
        return value or 0

    def convert_to_record(self, value: Any, record: BaseModel) -> int:
        return value or 0


class Float(Field):
    """A float; ``digits=(precision, scale)`` stores it as ``numeric``."""

    type = "float"
    _positional = ("string", "digits")
    null = 0.0

    @property
    def column_type(self) -> str:  # type: ignore[override]
        return "numeric" if self.digits else "float8"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> float:
        value = float(value or 0.0)
        if self.digits and isinstance(self.digits, tuple):
            value = round(value, self.digits[1])
        return value

    def convert_from_column(self, value: Any) -> float:
        return float(value) if value is not None else 0.0

    def convert_to_record(self, value: Any, record: BaseModel) -> float:
        return value or 0.0


class Monetary(Float):
    """An amount in the currency given by ``currency_field`` (default ``currency_id``)."""

    type = "monetary"
    _positional = ("string", "currency_field")

    @property
    def column_type(self) -> str:  # type: ignore[override]
        return "numeric"

    def setup(self, model: Any) -> None:
        super().setup(model)
        if not self.currency_field:
            self.currency_field = "currency_id"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> float:
        return float(value or 0.0)


class Char(Field):
    """A single line of text (``size`` caps its length)."""

    type = "char"
    _positional = ("string",)

    @property
    def column_type(self) -> str:  # type: ignore[override]
        return f"varchar({int(self.size)})" if self.size else "varchar"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        if value is None or value is False:
            return None
        value = str(value)
        if self.size and validate:
            value = value[: self.size]
        return value


class Text(Char):
    """Multi-line text."""

    type = "text"

    @property
    def column_type(self) -> str:  # type: ignore[override]
        return "text"


class Html(Text):
    """HTML; foreign markup is sanitized with nh3 on write unless ``sanitize=False``."""

    type = "html"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        if value is None or value is False:
            return None
        if validate and self.sanitize:
            from postroom.render.html import sanitize_html
            return str(sanitize_html(str(value)))
        return str(value)

    def convert_to_record(self, value: Any, record: BaseModel) -> Any:
        return False if value is None else Markup(value)

    def convert_to_read(self, value: Any, record: BaseModel) -> Any:
        return str(value) if value else value


class Json(Field):
    """Any JSON value, stored as ``jsonb``."""

    type = "json"
    column_type = "jsonb"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        return None if value is False else value

    def convert_to_column(self, value: Any, record: BaseModel) -> Any:
        return None if value is None else _JsonAdapter(value)


def as_float(value: Any) -> float:
    """Numbers from PostgreSQL (``Decimal`` for numeric) as floats."""
    return float(value) if isinstance(value, Decimal) else value
