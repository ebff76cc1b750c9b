"""The transaction cache: field values of records, shared by all environments.

Values are kept in *cache format* (ids for relations, plain Python for the
rest), one dict per field: ``{record_id: value}``. Reading a field over ten
thousand records thus fills a handful of dicts from a handful of queries;
writes update or drop the entries they touch.

A computed field whose method is marked ``@api.depends_context('lang', …)``
has one such dict per *context key*, the values of those context keys in the
reading environment (see :meth:`Field.cache_key`), so that a value computed in
French is never returned in English. Methods take that key as ``key``; without
it (``None``), they work on the values that hold in every context: an
assignment then reaches every context, and an invalidation drops the values
of every context.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from postroom.orm.fields.base import Field

_NONE: dict = {}  # read-only stand-in for a missing dict


class Cache:
    """Field values by field, then (context-dependent fields) by context key, then by id."""

    __slots__ = ("_data", "_keyed")

    def __init__(self) -> None:
        self._data: dict[Field, dict[int, Any]] = {}
        #: values of context-dependent fields: {field: {context key: {id: value}}}
        self._keyed: dict[Field, dict[Hashable, dict[int, Any]]] = {}

    def field_values(self, field: Field, key: Hashable | None = None) -> dict[int, Any]:
        """The mutable ``{id: value}`` dict of one field (in the context ``key``)."""
        if key is None:
            values = self._data.get(field)
            if values is None:
                values = self._data[field] = {}
            return values
        variants = self._keyed.get(field)
        if variants is None:
            variants = self._keyed[field] = {}
        values = variants.get(key)
        if values is None:
            # a new context starts with the values assigned for every context
            values = variants[key] = dict(self._data.get(field, ()))
        return values

    def _peek(self, field: Field, key: Hashable | None) -> dict[int, Any]:
        """The values of ``field`` in context ``key``, without creating anything."""
        if key is not None:
            values = self._keyed.get(field, _NONE).get(key)
            if values is not None:
                return values
        return self._data.get(field, _NONE)

    def has_values(self, field: Field) -> bool:
        """Whether some record has a value of ``field`` in the cache (in some context)."""
        return bool(self._data.get(field)) or any(self._keyed.get(field, _NONE).values())

    def contains(self, field: Field, record_id: int, key: Hashable | None = None) -> bool:
        return record_id in self._peek(field, key)

    def get(self, field: Field, record_id: int, key: Hashable | None = None) -> Any:
        """The cached value; raises KeyError when missing."""
        return self._peek(field, key)[record_id]

    def set(self, field: Field, record_id: int, value: Any, key: Hashable | None = None) -> None:
        self.update(field, (record_id,), (value,), key)

    def update(self, field: Field, ids: Iterable[int], values: Iterable[Any],
               key: Hashable | None = None) -> None:
        """Set values of records; without ``key``, in every context."""
        variants = self._keyed.get(field) if key is None else None
        if not variants:
            self.field_values(field, key).update(zip(ids, values))
            return
        pairs = list(zip(ids, values))
        self.field_values(field).update(pairs)
        for variant in variants.values():
            variant.update(pairs)

    def missing_ids(self, field: Field, ids: Iterable[int],
                    key: Hashable | None = None) -> Iterator[int]:
        values = self._peek(field, key)
        return (i for i in ids if i not in values)

    def invalidate(self, field: Field | None = None, ids: Iterable[int] | None = None) -> None:
        """Drop values (in every context): everything, one field, or one field for some ids."""
        if field is None:
            self._data.clear()
            self._keyed.clear()
        elif ids is None:
            self._data.pop(field, None)
            self._keyed.pop(field, None)
        else:
            variants = self._keyed.get(field)
            if variants:
                ids = tuple(ids)
                for values in variants.values():
                    for record_id in ids:
                        values.pop(record_id, None)
            values = self._data.get(field)
            if values:
                for record_id in ids:
                    values.pop(record_id, None)

    def invalidate_model(self, model_name: str) -> None:
        """Drop every value of a model's fields."""
        for store in (self._data, self._keyed):
            for field in [f for f in store if f.model_name == model_name]:
                del store[field]

    def invalidate_ids(self, model_name: str, ids: Iterable[int]) -> None:
        """Drop every field value of some records of a model (after unlink)."""
        ids = set(ids)
        dicts = [values for field, values in self._data.items() if field.model_name == model_name]
        dicts.extend(values for field, variants in self._keyed.items()
                     if field.model_name == model_name for values in variants.values())
        for values in dicts:
            for record_id in ids:
                values.pop(record_id, None)
