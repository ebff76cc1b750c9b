"""Relational fields: Many2one, One2many, Many2many, and the x2many Command.

In the cache a Many2one holds an id (or None) and an x2many a tuple of ids;
on records they become recordsets of the comodel, sharing a prefetch set so
that ``order.partner_id.name`` over many orders fetches partners in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from postroom.orm.fields.base import Field
from postroom.tools.misc import unique

if TYPE_CHECKING:
    from postroom.orm.models.base import BaseModel


class Command(IntEnum):
    """The x2many write commands, as tuples: ``Command.link(5)`` == ``(4, 5, 0)``."""

    CREATE = 0
    UPDATE = 1
    DELETE = 2
    UNLINK = 3
    LINK = 4
    CLEAR = 5
    SET = 6

    @classmethod
    def create(cls, values: dict) -> tuple:
        return (cls.CREATE, 0, values)

    @classmethod
    def update(cls, record_id: int, values: dict) -> tuple:
        return (cls.UPDATE, record_id, values)

    @classmethod
    def delete(cls, record_id: int) -> tuple:
        return (cls.DELETE, record_id, 0)

    @classmethod
    def unlink(cls, record_id: int) -> tuple:
        return (cls.UNLINK, record_id, 0)

    @classmethod
    def link(cls, record_id: int) -> tuple:
        return (cls.LINK, record_id, 0)

    @classmethod
    def clear(cls) -> tuple:
        return (cls.CLEAR, 0, 0)

    @classmethod
    def set(cls, ids: Iterable[int]) -> tuple:
        return (cls.SET, 0, list(ids))


class LazyPrefetch:
    """The ids a relational field points to over a prefetch set, computed on demand."""

    __slots__ = ("field", "records")

    def __init__(self, field: Field, records: BaseModel):
        self.field, self.records = field, records

    def __iter__(self) -> Iterator[int]:
        env = self.records.env
        values = env.transaction.cache.field_values(self.field, self.field.cache_key(env))
        ids: Iterable[Any] = (values.get(i) for i in self.records._prefetch_ids)
        if self.field.relational_multi:
            ids = (i for value in ids if value for i in value)
        return unique(i for i in ids if i)


class _Relational(Field):
    relational = True

    def setup(self, model: type[BaseModel]) -> None:
        super().setup(model)
        if self.comodel_name not in model.pool.models:
            raise ValueError(f"Field {self} points to unknown model {self.comodel_name!r} "
                             f"(is the addon that defines it a dependency?)")

    def _comodel(self, record: BaseModel) -> BaseModel:
        return record.env[self.comodel_name]


class Many2one(_Relational):
    """A reference to one record of ``comodel_name``.

    ``ondelete`` is what happens when that record is deleted: ``set null``
    (default), ``cascade`` or ``restrict``.
    """

    type = "many2one"
    column_type = "int4"
    _positional = ("comodel_name", "string")

    def _apply(self, args: dict[str, Any]) -> None:
        super()._apply(args)
        if self.ondelete is None:
            self.ondelete = "set null"

    def setup(self, model: type[BaseModel]) -> None:
        super().setup(model)
        if self.ondelete == "set null" and self.required:
            self.ondelete = "restrict"

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        if not value:
            return None
        if isinstance(value, tuple):
            value = value[0]
        if hasattr(value, "_ids"):
            if len(value._ids) > 1:
                raise ValueError(f"Field {self}: expected a single record, got {value!r}")
            return value._ids[0] if value._ids else None
        return int(value)

    def convert_to_record(self, value: Any, record: BaseModel) -> BaseModel:
        env = record.env
        return env.registry.models[self.comodel_name]._browse(
            env, (value,) if value else (), LazyPrefetch(self, record))

    def convert_to_read(self, value: Any, record: BaseModel) -> Any:
        if not value:
            return False
        try:
            return (value.id, value.sudo().display_name)
        except Exception:
            return (value.id, f"{value._name},{value.id}")

    def convert_to_write(self, value: Any, record: BaseModel) -> Any:
        return value.id if hasattr(value, "_ids") else value


class _RelationalMulti(_Relational):
    relational_multi = True
    null = ()

    def convert_to_record(self, value: Any, record: BaseModel) -> BaseModel:
        env = record.env
        return env.registry.models[self.comodel_name]._browse(
            env, tuple(value or ()), LazyPrefetch(self, record))

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> tuple:
        if not value:
            return ()
        if hasattr(value, "_ids"):
            return tuple(value._ids)
        ids: list[int] = []
        for item in value:
            if isinstance(item, (list, tuple)):
                ids = apply_commands_to_ids(ids, [item])
            else:
                ids.append(int(item))
        return tuple(unique(ids))

    def convert_to_read(self, value: Any, record: BaseModel) -> list[int]:
        return list(value._ids)

    def convert_to_write(self, value: Any, record: BaseModel) -> Any:
        if hasattr(value, "_ids"):
            return [Command.set(value._ids)]
        return value


def apply_commands_to_ids(ids: list[int], commands: Iterable[Any]) -> list[int]:
    """The ids an x2many holds after ``commands`` (without creating anything)."""
    ids = list(ids)
    for command in commands:
        code = command[0]
        if code == Command.SET:
            ids = list(command[2])
        elif code == Command.CLEAR:
            ids = []
        elif code == Command.LINK and command[1] not in ids:
            ids.append(command[1])
        elif code in (Command.UNLINK, Command.DELETE) and command[1] in ids:
            ids.remove(command[1])
    return ids


class One2many(_RelationalMulti):
    """The records of ``comodel_name`` whose ``inverse_name`` points here."""

    type = "one2many"
    _positional = ("comodel_name", "inverse_name", "string")

    def setup(self, model: type[BaseModel]) -> None:
        super().setup(model)
        comodel = model.pool[self.comodel_name]
        if not self.related and self.inverse_name not in comodel._fields:
            raise ValueError(f"Field {self}: inverse field {self.inverse_name!r} "
                             f"not found on {self.comodel_name}")


class Many2many(_RelationalMulti):
    """A set of records of ``comodel_name``, kept in a relation table."""

    type = "many2many"
    _positional = ("comodel_name", "relation", "column1", "column2", "string")

    def setup(self, model: type[BaseModel]) -> None:
        super().setup(model)
        if self.related or not self.store:
            return
        if not self.relation:
            tables = sorted([model._table, model.pool[self.comodel_name]._table])
            if tables[0] == tables[1]:
                raise ValueError(f"Field {self}: a many2many to its own model needs relation=")
            self.relation = f"{tables[0]}_{tables[1]}_rel"
        if not self.column1:
            self.column1 = f"{model._table}_id"
        if not self.column2:
            self.column2 = f"{model.pool[self.comodel_name]._table}_id"
        if self.column1 == self.column2:
            raise ValueError(f"Field {self}: column1 and column2 must differ")
