"""Recordsets: the core of :class:`BaseModel` that every model shares.

A recordset is an instance of a registry model class holding an environment
and a tuple of ids. Everything here is about sets of records (iteration, set
operators, ``mapped``, ``filtered``, switching environments); storage, search
and access control live in sibling modules and are mixed in by
:mod:`postroom.orm.models`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from postroom.orm import api, fields
from postroom.orm.models.meta import MetaModel
from postroom.tools.misc import OrderedSet, unique

if TYPE_CHECKING:
    from postroom.orm.environment import Environment
    from postroom.orm.registry import Registry

PREFETCH_MAX = 1000


class RecordsetMixin(metaclass=MetaModel):
    """Set behaviour and environment switching of recordsets."""

    __slots__ = ("_ids", "_prefetch_ids", "env")
    _register = False
    _postroom_recordset = True

    # model attributes, overridden by addon classes
    _name: str = ""
    _inherit: list[str] = []
    _inherits: dict[str, str] = {}
    _description: str | None = None
    _order = "id"
    _rec_name: str | None = None
    _table: str = ""
    _sql_constraints: list[tuple[str, str, str]] = []
    _auto = False
    _abstract = True
    _transient = False
    _log_access: bool | None = None
    _parent_name = "parent_id"
    _active_name: str | None = None
    _module: str = ""

    # set by the registry on composed classes
    pool: Registry
    _fields: dict[str, fields.Field] = {}

    id = fields.Id()
    display_name = fields.Char("Display Name", compute="_compute_display_name",
                               search="_search_display_name")

    def __init__(self, env: Environment, ids: tuple[int, ...], prefetch_ids: Iterable[int]):
        self.env = env
        self._ids = ids
        self._prefetch_ids = prefetch_ids

    @classmethod
    def _browse(cls, env: Environment, ids: tuple[int, ...], prefetch_ids: Iterable[int]) -> Any:
        record = object.__new__(cls)
        record.env, record._ids, record._prefetch_ids = env, ids, prefetch_ids
        return record

    def browse(self, ids: int | Iterable[int] | None = None) -> Any:
        """Records of this model with the given ids (no query is made)."""
        if not ids:
            ids = ()
        elif isinstance(ids, int):
            ids = (ids,)
        else:
            ids = tuple(int(i) for i in ids)
        return self._browse(self.env, ids, ids)

    # ------------------------------------------------------------------
    # identity
    # ------------------------------------------------------------------
    @property
    def ids(self) -> list[int]:
        return list(self._ids)

    @property
    def _cr(self) -> Any:
        return self.env.cr

    @property
    def _uid(self) -> int:
        return self.env.uid

    @property
    def _context(self) -> Any:
        return self.env.context

    def __iter__(self) -> Iterator[Any]:
        browse, env, prefetch = self._browse, self.env, self._prefetch_ids
        if len(self._ids) > PREFETCH_MAX and prefetch is self._ids:
            # iterate over a large set batch by batch, each batch its own prefetch set
            ids = iter(self._ids)
            while batch := tuple(islice(ids, PREFETCH_MAX)):
                for record_id in batch:
                    yield browse(env, (record_id,), batch)
        else:
            for record_id in self._ids:
                yield browse(env, (record_id,), prefetch)

    def __len__(self) -> int:
        return len(self._ids)

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, RecordsetMixin):
            if item._name != self._name:
                raise TypeError(f"Cannot test {item!r} in {self._name} records")
            return len(item) == 1 and item._ids[0] in self._ids
        if isinstance(item, str):
            return item in self._fields
        raise TypeError(f"Cannot test {item!r} in a recordset")

    def _check_same_model(self, other: Any, op: str) -> None:
        if not isinstance(other, RecordsetMixin) or other._name != self._name:
            raise TypeError(f"Cannot {op} {self._name} and {other!r}")

    def __add__(self, other: Any) -> Any:
        self._check_same_model(other, "concatenate")
        return self.browse(self._ids + other._ids)

    def __or__(self, other: Any) -> Any:
        self._check_same_model(other, "merge")
        return self.browse(tuple(unique(self._ids + other._ids)))

    def __and__(self, other: Any) -> Any:
        self._check_same_model(other, "intersect")
        keep = set(other._ids)
        return self.browse(tuple(unique(i for i in self._ids if i in keep)))

    def __sub__(self, other: Any) -> Any:
        self._check_same_model(other, "subtract")
        drop = set(other._ids)
        return self.browse(tuple(i for i in self._ids if i not in drop))

    def union(self, *others: Any) -> Any:
        result = self
        for other in others:
            result = result | other
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordsetMixin):
            return NotImplemented if other is not None else False
        return self._name == other._name and set(self._ids) == set(other._ids)

    def __lt__(self, other: Any) -> bool:
        self._check_same_model(other, "compare")
        return set(self._ids) < set(other._ids)

    def __le__(self, other: Any) -> bool:
        self._check_same_model(other, "compare")
        return set(self._ids) <= set(other._ids)

    def __hash__(self) -> int:
        return hash((self._name, frozenset(self._ids)))

    def __getitem__(self, key: int | slice | str) -> Any:
        if isinstance(key, str):
            field = self._fields.get(key)
            if field is None:
                raise KeyError(f"Invalid field {key!r} on model {self._name!r}")
            return field.__get__(self, type(self))
        if isinstance(key, slice):
            return self._browse(self.env, self._ids[key], self._prefetch_ids)
        return self._browse(self.env, (self._ids[key],), self._prefetch_ids)

    def __setitem__(self, key: str, value: Any) -> None:
        field = self._fields.get(key)
        if field is None:
            raise KeyError(f"Invalid field {key!r} on model {self._name!r}")
        field.__set__(self, value)

    def __repr__(self) -> str:
        return f"{self._name}{self._ids!r}"

    def ensure_one(self) -> Any:
        """Return self if it holds exactly one record, else raise ValueError."""
        if len(self._ids) != 1:
            raise ValueError(f"Expected singleton: {self!r}")
        return self

    # ------------------------------------------------------------------
    # environment switching
    # ------------------------------------------------------------------
    def with_env(self, env: Environment) -> Any:
        return self._browse(env, self._ids, self._prefetch_ids)

    def sudo(self, flag: bool = True) -> Any:
        """The same records, bypassing access rights (or not, with ``flag=False``)."""
        return self.with_env(self.env(su=flag))

    def with_user(self, user: Any) -> Any:
        """The same records, seen by ``user`` (a record or an id), without superuser mode."""
        return self.with_env(self.env(user=int(user.id if hasattr(user, "_ids") else user), su=False))

    def with_context(self, *args: Any, **kwargs: Any) -> Any:
        """The same records with a context updated (or replaced, given a dict positionally)."""
        context = dict(args[0] if args else self.env.context, **kwargs)
        return self.with_env(self.env(context=context))

    def with_company(self, company: Any) -> Any:
        company_id = int(company.id if hasattr(company, "_ids") else company)
        allowed = [company_id] + [c for c in self.env.context.get("allowed_company_ids", [])
                                  if c != company_id]
        return self.with_context(allowed_company_ids=allowed)

    def with_prefetch(self, prefetch_ids: Iterable[int] | None = None) -> Any:
        return self._browse(self.env, self._ids, self._ids if prefetch_ids is None else prefetch_ids)

    def _in_prefetch_batch(self, field: fields.Field) -> Any:
        """These records plus others of the prefetch set missing ``field``, up to a batch."""
        cache = self.env.transaction.cache
        ids = OrderedSet(self._ids)
        if len(ids) < PREFETCH_MAX:
            for record_id in cache.missing_ids(field, self._prefetch_ids,
                                               field.cache_key(self.env)):
                ids.add(record_id)
                if len(ids) >= PREFETCH_MAX:
                    break
        return self._browse(self.env, tuple(ids), self._prefetch_ids)

    # ------------------------------------------------------------------
    # functional helpers
    # ------------------------------------------------------------------
    def mapped(self, func: str | Callable[[Any], Any]) -> Any:
        """Apply ``func`` (or follow a dotted field path) on every record.

        Relational results are merged into one recordset; other results come
        back as a list.
        """
        if not func:
            return self
        if isinstance(func, str):
            records = self
            for name in func.split("."):
                records = records._mapped_field(name)
            return records
        values = [func(record) for record in self]
        if values and isinstance(values[0], RecordsetMixin):
            return values[0].union(*values[1:])
        if not values and not self:
            return []
        return values

    def _mapped_field(self, name: str) -> Any:
        field = self._fields.get(name)
        if field is None:
            raise KeyError(f"Invalid field {name!r} on model {self._name!r}")
        if field.relational:
            comodel = self.env[field.comodel_name]
            ids: list[int] = []
            for record in self:
                ids.extend(record[name]._ids)
            return comodel._browse(self.env, tuple(unique(ids)), tuple(unique(ids)))
        return [record[name] for record in self]

    def filtered(self, func: str | Callable[[Any], Any]) -> Any:
        """The records for which ``func`` (or the dotted field path) is truthy."""
        if isinstance(func, str):
            path = func

            def func(rec: Any) -> bool:
                return any(rec.mapped(path))
        return self.browse(tuple(rec.id for rec in self if func(rec))).with_prefetch(self._prefetch_ids)

    def filtered_domain(self, domain: list) -> Any:
        """The records that satisfy ``domain``, evaluated in Python on the cache."""
        from postroom.orm.domain import matches
        return self.browse(tuple(rec.id for rec in self if matches(rec, domain)))

    def sorted(self, key: str | Callable[[Any], Any] | None = None, reverse: bool = False) -> Any:
        """The records sorted by ``key`` (a function or field names), or by ``_order``."""
        if key is None:
            ordered = self.sudo().with_context(active_test=False).search(
                [("id", "in", list(self._ids))], order=self._order)._ids
            return self._browse(self.env, ordered[::-1] if reverse else ordered,
                                self._prefetch_ids)
        if isinstance(key, str):
            names = [part.strip().split()[0] for part in key.split(",")]
            desc = [part.strip().lower().endswith(" desc") for part in key.split(",")]
            records = list(self)
            for name, is_desc in reversed(list(zip(names, desc))):
                records.sort(key=lambda r, n=name: _sort_key(r[n]), reverse=is_desc != reverse)
            return self.browse(tuple(r.id for r in records))
        return self.browse(tuple(r.id for r in sorted(self, key=key, reverse=reverse)))

    def grouped(self, key: str | Callable[[Any], Any]) -> dict[Any, Any]:
        """Records grouped by ``key`` (a field name or function), as a dict of recordsets."""
        groups: dict[Any, list[int]] = {}
        for record in self:
            value = record[key] if isinstance(key, str) else key(record)
            groups.setdefault(value, []).append(record.id)
        return {value: self.browse(ids) for value, ids in groups.items()}

    # ------------------------------------------------------------------
    # names
    # ------------------------------------------------------------------
    def _search_display_name(self, operator: str, value: Any) -> list:
        """Searching the display name searches the ``_rec_name`` field."""
        if not self._rec_name:
            from postroom.orm.domain import DomainError
            raise DomainError(f"{self._name} has no name field (_rec_name) to search")
        return [(self._rec_name, operator, value)]

    @api.depends(lambda model: _rec_name_depends(model))
    def _compute_display_name(self) -> None:
        rec_name = self._rec_name
        for record in self:
            if rec_name and rec_name in self._fields:
                value = record[rec_name]
                field = self._fields[rec_name]
                if field.relational:
                    value = value.display_name if value else False
                record.display_name = str(value) if value else f"{self._description or self._name},{record.id}"
            else:
                record.display_name = f"{self._description or self._name},{record.id}"


def _rec_name_depends(model: type[RecordsetMixin]) -> tuple[str, ...]:
    """What ``display_name`` depends on: the ``_rec_name`` field (its display name, if relational)."""
    field = model._fields.get(model._rec_name or "")
    if field is None:
        return ()
    return (f"{field.name}.display_name",) if field.relational else (field.name,)


def _sort_key(value: Any) -> Any:
    if isinstance(value, RecordsetMixin):
        return (value.display_name or "") if value else ""
    if value is False or value is None:
        return (0, "")
    return (1, value)
