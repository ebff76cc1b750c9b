"""Creating records: defaults, ``_inherits`` parents, one INSERT per batch.

``create`` completes each dict of values with defaults, creates the
``_inherits`` parent records, then inserts the whole batch (with one
``INSERT`` per thousand rows, or a ``COPY`` for large batches, their ids taken
from the table's sequence first) and puts the values in the cache. x2many values,
attachments and inverse methods are applied next, then stored computed fields
are computed and saved, and constraints and record rules are checked.

Stored computed fields declared with ``precompute=True`` are computed *before*
the INSERT, so they are inserted with the other columns instead of updated
afterwards: the new ids are taken from the table's sequence first and the
given values put in the cache under them. A precomputed field may therefore
only depend on values given at creation, defaults, and other precomputed
fields; its compute method should not search for the new records.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import psycopg2

from postroom.exceptions import ValidationError
from postroom.orm import api
from postroom.orm.fields.base import Field
from postroom.orm.models.storage import LOG_ACCESS_FIELDS
from postroom.orm.sql import SQL, copy_rows, execute_values

#: from this many records on, create() streams the rows with COPY
COPY_MIN_ROWS = 100


class CreateMixin:
    """``default_get`` and ``create``."""

    _register = False

    # ------------------------------------------------------------------
    # defaults
    # ------------------------------------------------------------------
    @api.model
    def default_get(self, fields_list: Iterable[str]) -> dict[str, Any]:
        """Default values for ``fields_list``: ``default_<name>`` in context, then field defaults."""
        context = self.env.context
        defaults: dict[str, Any] = {}
        for name in fields_list:
            key = "default_" + name
            if key in context:
                defaults[name] = context[key]
                continue
            field = self._fields.get(name)
            if field is None or field.default is None:
                continue
            default = field.default
            defaults[name] = default(self) if callable(default) else default
        return defaults

    def _add_missing_defaults(self, vals_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each dict of values completed with the defaults of the fields it lacks."""
        names = list(dict.fromkeys(self._model_info("defaults") + [
            key[8:] for key in self.env.context
            if key.startswith("default_") and key[8:] in self._fields]))
        result = []
        for vals in vals_list:
            missing = [name for name in names if name not in vals]
            result.append({**self.default_get(missing), **vals} if missing else dict(vals))
        return result

    def _model_info(self, kind: str) -> list[Any]:
        """Per-model lists of fields derived once from ``_fields`` (kept in the registry)."""
        cache = self.pool.model_cache
        key = (kind, self._name)
        info = cache.get(key)
        if info is None:
            info = cache[key] = _MODEL_INFO[kind](self._fields.values())
        return info

    # ------------------------------------------------------------------
    # create
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        """Create one record per dict of values; returns them as a recordset."""
        if not vals_list:
            return self.browse()
        if self._abstract:
            raise TypeError(f"Cannot create records of abstract model {self._name}")
        self.check_access_rights("create")
        fields_map = self._fields
        self._check_field_access({name for vals in vals_list for name in vals}, "write")
        vals_list = self._add_missing_defaults(vals_list)
        for vals in vals_list:
            for name in vals:
                if name not in fields_map:
                    raise ValueError(f"Invalid field {name!r} on model {self._name!r}")
        vals_list = self._create_inherits_parents(vals_list)
        records, precomputed = self._create_rows(vals_list)
        self._create_after_insert(records, vals_list, precomputed)
        return records

    def _create_inherits_parents(self, vals_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create the ``_inherits`` parent records and point the new records at them."""
        for parent_model, link in self._inherits.items():
            parent_fields = self.env[parent_model]._fields
            parent_vals_list, needing = [], []
            for index, vals in enumerate(vals_list):
                own = {name: vals[name] for name in vals
                       if name in parent_fields and self._fields[name].inherited}
                if own:
                    vals_list[index] = {k: v for k, v in vals.items() if k not in own}
                if not vals.get(link):
                    parent_vals_list.append(own)
                    needing.append(index)
                elif own:
                    self.env[parent_model].browse(vals[link]).write(own)
            if parent_vals_list:
                parents = self.env[parent_model].create(parent_vals_list)
                for index, parent_id in zip(needing, parents._ids):
                    vals_list[index] = {**vals_list[index], link: parent_id}
        return vals_list

    def _create_rows(self, vals_list: list[dict[str, Any]]) -> tuple[Any, list[Field]]:
        """INSERT the rows and fill the cache; returns the records and the precomputed fields."""
        if self._log_access:
            now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
            uid = self.env.uid
            for vals in vals_list:
                for name, value in (("create_uid", uid), ("write_uid", uid),
                                    ("create_date", now), ("write_date", now)):
                    vals.setdefault(name, value)
        given = {name for vals in vals_list for name in vals}
        columns: dict[Field, list[Any]] = {}
        for field in self._model_info("columns"):
            name, convert = field.name, field.convert_to_cache
            if name not in given:
                columns[field] = [None] * len(vals_list)
                continue
            columns[field] = [convert(vals[name], self) if name in vals else None
                              for vals in vals_list]
        for field in self._model_info("required"):
            if any(value is None for value in columns[field]):
                raise ValidationError(f"The field '{field.string}' is required on "
                                      f"{self._description or self._name} but was not given.")
        precomputed = [f for f in self._model_info("precompute")
                       if any(f.name not in vals for vals in vals_list)]
        bulk = len(vals_list) >= COPY_MIN_ROWS
        ids: list[int] | None = None
        if precomputed or bulk:
            ids = self._reserve_ids(len(vals_list))
            self._cache_new_rows(ids, vals_list, columns)
            self._precompute(ids, vals_list, columns, precomputed)
        inserted = [field for field, values in columns.items()
                    if (field.name in given or field in precomputed)
                    and any(value is not None for value in values)]
        names = [f.name for f in inserted]
        values = [_column_values(field, columns[field], self) for field in inserted]
        try:
            if ids is None:
                ids = self._insert(names, list(zip(*values)) or [()] * len(vals_list))
                self._cache_new_rows(ids, vals_list, columns)
            elif bulk:
                copy_rows(self.env.cr, self._table, ["id", *names], [ids, *values])
            else:
                self._insert(["id", *names], list(zip(ids, *values)), returning=False)
        except psycopg2.IntegrityError as exc:
            raise self._integrity_error(exc) from None
        ids_tuple = tuple(ids)
        return self._browse(self.env, ids_tuple, ids_tuple), precomputed

    def _insert(self, names: list[str], rows: list[tuple], returning: bool = True) -> list[int]:
        cr = self.env.cr
        table = SQL.identifier(self._table)
        if not names:
            query = SQL("INSERT INTO %s DEFAULT VALUES RETURNING id", table)
            ids = []
            for _row in rows:
                cr.execute(query.code)
                ids.append(cr.fetchone()[0])
            return ids
        query = SQL("INSERT INTO %s (%s) VALUES VALUES_LIST", table,
                    SQL(", ").join(SQL.identifier(name) for name in names))
        if not returning:
            execute_values(cr, query, rows)
            return []
        query = SQL("%s RETURNING id", query)
        return [row[0] for row in execute_values(cr, query, rows, fetch=True)]

    def _reserve_ids(self, count: int) -> list[int]:
        """``count`` new ids from the table's sequence."""
        self.env.cr.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                            "FROM generate_series(1, %s)", (self._table, count))
        return [row[0] for row in self.env.cr.fetchall()]

    def _cache_new_rows(self, ids: list[int], vals_list: list[dict[str, Any]],
                        columns: dict[Field, list[Any]]) -> None:
        """Put the values of new records in the cache (computed ones only where given)."""
        cache = self.env.transaction.cache
        for field, values in columns.items():
            if field.compute:  # computed later, or precomputed: given values only
                name = field.name
                given = [(i, v) for i, v, vals in zip(ids, values, vals_list) if name in vals]
                cache.update(field, (i for i, _v in given), (v for _i, v in given))
            else:
                cache.update(field, ids, values)
        empty = [()] * len(ids)
        for field in self._model_info("x2many"):
            # nothing points to new records yet; given values are applied later
            cache.update(field, ids, empty)

    def _precompute(self, ids: list[int], vals_list: list[dict[str, Any]],
                    columns: dict[Field, list[Any]], precomputed: list[Field]) -> None:
        """Compute ``precomputed`` fields on the rows about to be inserted (cache only)."""
        cache = self.env.transaction.cache
        for field in precomputed:
            todo = tuple(i for i, vals in zip(ids, vals_list) if field.name not in vals)
            if todo and not all(cache.contains(field, i) for i in todo):
                field.compute_batch(self._browse(self.env, todo, todo))
            values = cache.field_values(field)
            columns[field] = [values.get(i) for i in ids]

    def _create_after_insert(self, records: Any, vals_list: list[dict[str, Any]],
                             precomputed: list[Field]) -> None:
        fields_map = self._fields
        given: set[str] = set()
        for vals in vals_list:
            given.update(vals)
        # what the new values change; computations run once everything is written
        tocompute = self.env.transaction.tocompute
        fresh: dict[Field, set[int]] = {}  # given or precomputed: not to compute again
        for field in self._model_info("stored_computed"):
            name = field.name
            fresh[field] = {i for i, vals in zip(records._ids, vals_list) if name in vals}
            if field in precomputed:
                fresh[field].update(records._ids)
            else:
                tocompute[field].update(i for i in records._ids if i not in fresh[field])
        self._modified_inverse_many2one(records, [n for n in given if fields_map[n].type == "many2one"],
                                        old_values=None)
        records.modified([n for n in given if n not in LOG_ACCESS_FIELDS], creating=True,
                         fresh=fresh)
        # values kept outside the table
        for name in given:
            field = fields_map[name]
            if field.compute:
                continue
            if field.relational_multi:
                given_to = [(record_id, vals[name]) for record_id, vals in zip(records._ids, vals_list)
                            if name in vals]
                self.browse([i for i, _value in given_to])._write_x2many_values(
                    field, [value for _i, value in given_to], created=True)
            elif field.type == "binary" and field.attachment:
                for record, vals in zip(records, vals_list):
                    if name in vals:
                        field.write_attachments(record, vals[name])
        for record, vals in zip(records, vals_list):
            inverses = [fields_map[n] for n in vals if fields_map[n].compute and fields_map[n].inverse]
            if inverses:
                record._apply_inverses(inverses, vals)
        self.pool.recompute(self.env)
        records._validate_fields(given | {f.name for f in precomputed})
        if not self.env.su:
            records.check_access_rule("create")


def _column_values(field: Field, values: list[Any], record: Any) -> list[Any]:
    if type(field).convert_to_column is Field.convert_to_column:
        return values
    return [field.convert_to_column(value, record) for value in values]


_MODEL_INFO = {
    "defaults": lambda fields: [f.name for f in fields if f.default is not None],
    "columns": lambda fields: [f for f in fields
                               if f.store and f.column_type and f.name != "id"],
    "required": lambda fields: [f for f in fields if f.required and f.store and f.column_type
                                and not f.compute and f.name != "id"],
    "precompute": lambda fields: [f for f in fields
                                  if f.precompute and f.compute and f.store and f.column_type],
    "stored_computed": lambda fields: [f for f in fields if f.compute and f.store],
    "x2many": lambda fields: [f for f in fields if f.relational_multi and not f.compute],
}
