"""The transaction cache: field values of records, shared by all environments.

Values are kept in *cache format* (ids for relations, plain Python for the
rest), one dict per field: ``{record_id: value}``. Reading a field over ten
thousand records thus fills a handful of dicts from a handful of queries;
writes update or drop the entries they touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from postroom.orm.fields.base import Field


class Cache:
    """Field values by field, then by record id."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[Field, dict[int, Any]] = {}

    def field_values(self, field: Field) -> dict[int, Any]:
        """The mutable ``{id: value}`` dict of one field."""
        values = self._data.get(field)
        if values is None:
            values = self._data[field] = {}
        return values

    def has_values(self, field: Field) -> bool:
        """Whether some record has a value of ``field`` in the cache."""
        return bool(self._data.get(field))

    def contains(self, field: Field, record_id: int) -> bool:
        values = self._data.get(field)
        return values is not None and record_id in values

    def get(self, field: Field, record_id: int) -> Any:
        """The cached value; raises KeyError when missing."""
        return self._data[field][record_id]

    def set(self, field: Field, record_id: int, value: Any) -> None:
        self.field_values(field)[record_id] = value

    def update(self, field: Field, ids: Iterable[int], values: Iterable[Any]) -> None:
        self.field_values(field).update(zip(ids, values))

    def missing_ids(self, field: Field, ids: Iterable[int]) -> Iterator[int]:
        values = self._data.get(field, {})
        return (i for i in ids if i not in values)

    def invalidate(self, field: Field | None = None, ids: Iterable[int] | None = None) -> None:
        """Drop values: everything, one field, or one field for some ids."""
        if field is None:
            self._data.clear()
        elif ids is None:
            self._data.pop(field, None)
        else:
            values = self._data.get(field)
            if values:
                for record_id in ids:
                    values.pop(record_id, None)

    def invalidate_model(self, model_name: str) -> None:
        """Drop every value of a model's fields."""
        for field in [f for f in self._data if f.model_name == model_name]:
            del self._data[field]

    def invalidate_ids(self, model_name: str, ids: Iterable[int]) -> None:
        """Drop every field value of some records of a model (after unlink)."""
        ids = set(ids)
        for field, values in self._data.items():
            if field.model_name == model_name:
                for record_id in ids:
                    values.pop(record_id, None)
