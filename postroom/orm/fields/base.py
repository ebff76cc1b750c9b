"""The :class:`Field` descriptor every field type builds on.

A field object in a class body only records its keyword arguments. When the
registry composes a model class it merges the arguments of every definition of
the field along the inheritance chain (so an extension can write
``name = fields.Char(required=True)`` to change one attribute) and creates a
fresh field object bound to that model (:meth:`Field.new`).

On a record, the field is a descriptor: reading returns the value from the
transaction cache, fetching or computing it for the whole prefetch batch on a
miss; assigning writes through :meth:`BaseModel.write`, except while the field
is being computed, when the value only goes to the cache.

Values travel in four formats, converted by methods of the field type:

- *cache*: what the cache stores (ids for relations, ``None`` for empty);
- *record*: what ``record.field`` returns (recordsets, ``False`` for empty);
- *column*: what is sent to PostgreSQL;
- *read*: what :meth:`read` and the external API return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from postroom.exceptions import AccessError, MissingError

if TYPE_CHECKING:
    from postroom.orm.models.base import BaseModel

_ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    "string": None,
    "help": None,
    "required": False,
    "readonly": None,
    "index": False,
    "default": None,
    "copy": None,
    "groups": None,
    "store": None,
    "compute": None,
    "inverse": None,
    "search": None,
    "related": None,
    "depends": None,
    "compute_sudo": None,
    "tracking": False,
    "translate": False,
    "prefetch": True,
    "aggregator": None,
    "states": None,
    "size": None,
    "trim": True,
    "inherited": False,
    "inherited_field": None,
    "precompute": False,
    "selection": None,
    "selection_add": None,
    "ondelete": None,
    "comodel_name": None,
    "inverse_name": None,
    "relation": None,
    "column1": None,
    "column2": None,
    "domain": None,
    "context": None,
    "auto_join": False,
    "delegate": False,
    "digits": None,
    "currency_field": None,
    "sanitize": True,
    "attachment": True,
    "check_company": False,
    "widget": None,
}


class Field:
    """Base class of field types; see the module docstring."""

    type: str = ""
    #: PostgreSQL column type, or None when the field has no column
    column_type: str | None = None
    relational = False
    #: the value the cache holds for "empty"
    null: Any = None
    #: arguments of this type's constructor that may be positional after ``string``
    _positional: tuple[str, ...] = ("string",)

    def __init__(self, *args: Any, **kwargs: Any):
        for name, value in zip(self._positional, args):
            kwargs[name] = value
        if "group_operator" in kwargs:
            kwargs["aggregator"] = kwargs.pop("group_operator")
        unknown = set(kwargs) - set(_ATTRIBUTE_DEFAULTS)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unknown arguments {sorted(unknown)}")
        self.args = kwargs
        self.name: str = ""
        self.model_name: str = ""
        self._apply(kwargs)

    def _apply(self, args: dict[str, Any]) -> None:
        for attr, default in _ATTRIBUTE_DEFAULTS.items():
            setattr(self, attr, args.get(attr, default))
        computed = bool(self.compute or self.related)
        if self.store is None:
            self.store = not computed
        if self.readonly is None:
            self.readonly = computed and not self.inverse
        if self.copy is None:
            self.copy = not computed and self.type != "one2many"
        if self.compute_sudo is None:
            self.compute_sudo = bool(self.store) or bool(self.related)

    relational_multi = False
    #: context keys the (non-stored) computed value depends on; set by the registry
    depends_context: tuple[str, ...] = ()

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"{self.model_name}.{self.name}"

    # ------------------------------------------------------------------
    # setup, done by the registry
    # ------------------------------------------------------------------
    @classmethod
    def merge(cls, definitions: list[Field]) -> dict[str, Any]:
        """Merge the arguments of successive definitions of one field."""
        args: dict[str, Any] = {}
        for definition in definitions:
            own = dict(definition.args)
            added = own.pop("selection_add", None)
            args.update(own)
            if added:
                args["selection_add"] = list(args.get("selection_add") or []) + list(added)
        return args

    def new(self, model_name: str, name: str, args: dict[str, Any]) -> Field:
        """A fresh field of this type, bound to a registry model."""
        field = type(self)(**args)
        field.name, field.model_name = name, model_name
        return field

    def setup(self, model: type[BaseModel]) -> None:
        """Resolve what depends on other models (after every field exists)."""
        if self.string is None:
            self.string = self.name.replace("_id", "").replace("_", " ").strip().title() \
                if self.name not in ("id",) else "ID"
        if self.related:
            self._setup_related(model)

    def _setup_related(self, model: type[BaseModel]) -> None:
        registry = model.pool
        target_model = model
        chain = []
        for name in self.related.split("."):
            field = target_model._fields.get(name)
            if field is None:
                raise ValueError(f"Field {self}: related path {self.related!r} has no field {name!r} "
                                 f"on {target_model._name}")
            chain.append(field)
            if field.relational:
                target_model = registry[field.comodel_name]
        target = chain[-1]
        self.related_field = target
        for attr in ("string", "help", "selection", "comodel_name", "digits", "currency_field",
                     "size", "relation", "column1", "column2", "inverse_name", "groups"):
            if self.args.get(attr) is None and getattr(target, attr, None) is not None \
                    and attr != "string":
                setattr(self, attr, getattr(target, attr))
        if self.args.get("string") is None and target.string:
            self.string = target.string
        self.depends = (self.related,)
        self.compute = self._compute_related
        if not self.readonly or self.inherited:
            self.inverse = self._inverse_related
            self.readonly = False if self.inherited else self.readonly
        self.search = self._search_related

    def cache_key(self, env: Any) -> tuple | None:
        """Which values of the cache reading this field in ``env`` sees.

        ``None`` (one value per record) unless the field depends on context keys:
        then the values of those keys in ``env`` (see :meth:`Environment.context_key`).
        """
        return env.context_key(self.depends_context) if self.depends_context else None

    # ------------------------------------------------------------------
    # related fields
    # ------------------------------------------------------------------
    def _compute_related(self, records: BaseModel) -> None:
        path = self.related.split(".")
        for record in records:
            value: Any = record
            for name in path[:-1]:
                value = value[name][:1] if value else value
            field_value = value[path[-1]] if value else self.related_field.convert_to_record(
                self.related_field.null, records.browse())
            record[self.name] = field_value

    def _inverse_related(self, records: BaseModel) -> None:
        path = self.related.split(".")
        for record in records:
            target = record
            for name in path[:-1]:
                target = target[name]
            if target:
                target[path[-1]] = record[self.name]

    def _search_related(self, records: BaseModel, operator: str, value: Any) -> list:
        return [(self.related, operator, value)]

    # ------------------------------------------------------------------
    # conversions
    # ------------------------------------------------------------------
    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        """User input (write/create values) → cache format."""
        return None if value is False else value

    def convert_from_column(self, value: Any) -> Any:
        """A value fetched from PostgreSQL → cache format."""
        return value

    def convert_to_column(self, value: Any, record: BaseModel) -> Any:
        """Cache format → SQL parameter."""
        return value

    def convert_to_record(self, value: Any, record: BaseModel) -> Any:
        """Cache format → what ``record.field`` returns."""
        return False if value is None else value

    def convert_to_read(self, value: Any, record: BaseModel) -> Any:
        """Record value → what :meth:`read` returns."""
        return value

    def convert_to_write(self, value: Any, record: BaseModel) -> Any:
        """Record value → a value :meth:`write` accepts."""
        return self.convert_to_read(value, record)

    def read_values(self, records: BaseModel) -> list[Any]:
        """What :meth:`read` returns for each of ``records`` (values in cache)."""
        env = records.env
        values = env.transaction.cache.field_values(self, self.cache_key(env))
        to_record, to_read = self.convert_to_record, self.convert_to_read
        if type(self).convert_to_read is Field.convert_to_read:
            if type(self).convert_to_record is Field.convert_to_record:
                return [False if (value := values[i]) is None else value for i in records._ids]
            return [to_record(values[i], records) for i in records._ids]
        return [to_read(to_record(values[i], records), records) for i in records._ids]

    # ------------------------------------------------------------------
    # descriptor
    # ------------------------------------------------------------------
    def __get__(self, record: BaseModel | None, owner: type | None = None) -> Any:
        if record is None:
            return self
        ids = record._ids
        if len(ids) != 1:
            if ids:
                raise ValueError(f"Expected singleton: {record!r} (reading {self.name!r})")
            return self.convert_to_record(self.null, record)
        env = record.env
        if self.groups and not env.su:
            self.check_access(record)
        transaction = env.transaction
        record_id = ids[0]
        if self.store and self.compute:
            pending = transaction.tocompute.get(self)
            if pending and record_id in pending:
                env.registry.recompute(env, self)
        values = transaction.cache.field_values(
            self, env.context_key(self.depends_context) if self.depends_context else None)
        try:
            value = values[record_id]
        except KeyError:
            if self.store and self.compute and record_id in transaction.protected.get(self, ()):
                # read by the computation of another record of its batch: compute it first
                self.compute_batch(record)
            else:
                self.fetch(record)
            if record_id not in values:
                raise MissingError(f"Record does not exist or has been deleted: "
                                   f"{record._name}({record_id},)") from None
            value = values[record_id]
        return self.convert_to_record(value, record)

    def __set__(self, records: BaseModel, value: Any) -> None:
        transaction = records.env.transaction
        protected = transaction.protected.get(self)
        ids = records._ids
        if protected and all(i in protected for i in ids):
            # being computed: the value goes to the cache only
            cache_value = self.convert_to_cache(value, records, validate=False)
            values = transaction.cache.field_values(self, self.cache_key(records.env))
            for record_id in ids:
                values[record_id] = cache_value
            return
        records.write({self.name: self.convert_to_write(value, records)})

    def fetch(self, record: BaseModel) -> None:
        """Fill the cache for ``record`` (and its prefetch batch)."""
        if self.compute and not self.store:
            self.compute_batch(record._in_prefetch_batch(self))
        else:
            record._fetch_field(self)

    def compute_batch(self, records: BaseModel) -> None:
        """Run the compute method on ``records`` (cache only)."""
        env = records.env
        fields = env.registry.field_computed.get(self, [self])
        if self.compute_sudo:
            records = records.sudo()
        with env.protecting(fields, records):
            compute: Callable | str = self.compute
            if isinstance(compute, str):
                getattr(records, compute)()
            else:
                compute(records)
        values = env.transaction.cache.field_values(self, self.cache_key(records.env))
        missing = [i for i in records._ids if i not in values]
        if missing:
            raise ValueError(f"Compute method failed to assign {self} on {records._name}{tuple(missing)}")

    def check_access(self, record: BaseModel) -> None:
        if self.groups and not record.env.su and not record.env.user._has_any_group(self.groups):
            raise AccessError(f"The field {self.string!r} of {record._description} is restricted "
                              f"to the groups {self.groups}.")
