"""Changing records: write, x2many commands, unlink, copy; recomputing what depends on them.

Writes go to the database at once (one UPDATE for a set of records) and into
the transaction cache, so the cache never holds a value the database does not.
Inside ``with cr.deferring():`` the UPDATE is sent with the cursor's next
statement or commit instead, in the same round trip (a constraint it breaks is
then reported there, as a plain psycopg2 error).
What depends on the changed fields is then invalidated (non-stored computed
fields) or recomputed and saved (stored ones) by :meth:`modified`, and
``@api.constrains`` methods run last.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from typing import Any

import psycopg2

from postroom.exceptions import UserError, ValidationError
from postroom.orm.fields.base import Field
from postroom.orm.fields.relational import Command
from postroom.orm.sql import SQL, execute_values

LOG_ACCESS_FIELDS = ("create_uid", "create_date", "write_uid", "write_date")
#: types for which False is a real value, not "missing"
_FALSY_OK = ("boolean", "integer", "float", "monetary")


@functools.lru_cache(maxsize=2048)
def _update_code(table: str, columns: tuple[str, ...]) -> str:
    """``UPDATE table SET col = %s, … WHERE id = ANY(%s)``, built once per table and columns."""
    assignments = ", ".join(f"{SQL.identifier(name).code} = %s" for name in columns)
    return f"UPDATE {SQL.identifier(table).code} SET {assignments} WHERE id = ANY(%s)"


class StorageMixin:
    """``write``, ``unlink``, ``copy`` and the bookkeeping of dependencies."""

    _register = False

    def init(self) -> None:
        """Hook run after the model's table is created or updated (extra SQL, views)."""

    # ------------------------------------------------------------------
    # write
    # ------------------------------------------------------------------
    def write(self, vals: dict[str, Any]) -> bool:
        """Write the same values on every record of the set."""
        if not self._ids or not vals:
            return True
        self.check_access_rights("write")
        self.check_access_rule("write")
        self._check_field_access(vals, "write")
        fields_map = self._fields
        for name in vals:
            field = fields_map.get(name)
            if field is None:
                raise ValueError(f"Invalid field {name!r} on model {self._name!r}")
            if field.compute and not field.inverse and not field.store:
                raise UserError(f"The field '{field.string}' of {self._name} is computed and "
                                "cannot be written")
        vals = dict(vals)
        for parent_model, link in self._inherits.items():
            parent_fields = self.env[parent_model]._fields
            own = {n: vals.pop(n) for n in list(vals)
                   if n in parent_fields and fields_map[n].inherited}
            if own:
                self.mapped(link).write(own)
        if not vals:
            return True
        if self._log_access:
            vals.setdefault("write_uid", self.env.uid)
            vals.setdefault("write_date", datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
        many2ones = [n for n in vals if fields_map[n].type == "many2one" and fields_map[n].store]
        old_values = self._old_many2one_values(many2ones)
        self._write_columns(vals)
        self._modified_x2many_filters(vals)
        for name, value in vals.items():
            field = fields_map[name]
            if field.relational_multi and not field.compute:
                self._write_x2many_values(field, [value] * len(self._ids))
            elif field.type == "binary" and field.attachment and not field.compute:
                field.write_attachments(self, value)
        inverses = [fields_map[n] for n in vals if fields_map[n].compute and fields_map[n].inverse]
        if inverses:
            self._apply_inverses(inverses, vals)
        self._modified_inverse_many2one(self, many2ones, old_values)
        written = {fields_map[n]: set(self._ids) for n in vals
                   if fields_map[n].compute and fields_map[n].store}
        for field in written:  # a written value is not to be computed again
            self.env.transaction.tocompute.get(field, set()).difference_update(self._ids)
        self.modified([n for n in vals if n not in LOG_ACCESS_FIELDS], fresh=written)
        self.pool.recompute(self.env)
        self._validate_fields(vals)
        return True

    def _write_columns(self, vals: dict[str, Any]) -> None:
        fields_map = self._fields
        columns = [(fields_map[n], v) for n, v in vals.items()
                   if fields_map[n].store and fields_map[n].column_type]
        if not columns:
            return
        cache = self.env.transaction.cache
        cached, params = [], []
        for field, value in columns:
            if field.required and (value is None or (value is False and field.type not in _FALSY_OK)):
                raise ValidationError(f"The field '{field.string}' is required on "
                                      f"{self._description or self._name}.")
            cache_value = field.convert_to_cache(value, self)
            params.append(field.convert_to_column(cache_value, self))
            cached.append((field, cache_value))
        params.append(list(self._ids))
        code = _update_code(self._table, tuple(field.name for field, _value in columns))
        try:  # inside cr.deferring(), the UPDATE goes with the next statement or the commit
            self.env.cr.execute_deferrable(code, params)
        except psycopg2.IntegrityError as exc:
            raise self._integrity_error(exc) from None
        for field, cache_value in cached:
            cache.update(field, self._ids, [cache_value] * len(self._ids))

    def _old_many2one_values(self, names: list[str]) -> dict[str, set[int]]:
        """The ids many2one fields point to before a write (for inverse one2manys)."""
        inverse_map = self.pool.many2one_inverses
        names = [n for n in names if self._fields[n] in inverse_map]
        if not names:
            return {}
        old: dict[str, set[int]] = {}
        for name in names:
            old[name] = {value for value in (r[name].id for r in self) if value}
        return old

    def _modified_inverse_many2one(self, records: Any, names: list[str],
                                   old_values: dict[str, set[int]] | None) -> None:
        """A many2one changed: the one2manys pointing back changed on both ends."""
        inverse_map = self.pool.many2one_inverses
        cache = self.env.transaction.cache
        for name in names:
            field = self._fields[name]
            inverses = inverse_map.get(field)
            if not inverses:
                continue
            ids = set((old_values or {}).get(name, ()))
            ids.update(i for i in (cache.field_values(field).get(r) for r in records._ids) if i)
            if not ids:
                continue
            for o2m in inverses:
                cache.invalidate(o2m, ids)
                self.env[o2m.model_name].browse(tuple(ids)).modified([o2m.name])

    def _modified_x2many_filters(self, names: Iterable[str]) -> None:
        """Fields that select which records an x2many shows (``active``, its domain) changed."""
        filters = self.pool.x2many_filters
        cache = self.env.transaction.cache
        for name in names:
            for x2many in filters.get(self._fields[name], ()):
                if x2many.type == "one2many":
                    parents = {i for i in self.with_context(active_test=False)
                               .mapped(x2many.inverse_name)._ids}
                else:
                    query = SQL("SELECT DISTINCT %s FROM %s WHERE %s = ANY(%s)",
                                SQL.identifier(x2many.column1), SQL.identifier(x2many.relation),
                                SQL.identifier(x2many.column2), list(self._ids))
                    self.env.cr.execute(query.code, query.params)
                    parents = {row[0] for row in self.env.cr.fetchall()}
                if parents:
                    cache.invalidate(x2many, parents)
                    self.env[x2many.model_name].browse(tuple(parents)).modified([x2many.name])

    def _apply_inverses(self, fields: list[Field], vals: dict[str, Any]) -> None:
        cache = self.env.transaction.cache
        for field in fields:
            cache_value = field.convert_to_cache(vals[field.name], self)
            cache.update(field, self._ids, [cache_value] * len(self._ids))
        done = set()
        for field in fields:
            inverse = field.inverse
            key = inverse if isinstance(inverse, str) else id(inverse)
            if key in done:
                continue
            done.add(key)
            with self.env.protecting(fields, self):
                if isinstance(inverse, str):
                    getattr(self, inverse)()
                else:
                    inverse(self)
        for field in fields:
            if not field.store:
                cache.invalidate(field, self._ids)

    def _write_x2many_values(self, field: Field, values: list[Any], created: bool = False) -> None:
        """Apply one x2many value per record; one2many lines to create go in one batch."""
        lines: list[dict[str, Any]] = []
        for record, value in zip(self, values):
            commands = _as_commands(value)
            if field.type == "one2many" and all(c[0] == Command.CREATE for c in commands):
                lines.extend({**c[2], field.inverse_name: record.id} for c in commands)
            else:
                record._write_x2many(field, commands, created)
        if lines:
            self.env[field.comodel_name].create(lines)
        self.env.transaction.cache.invalidate(field, self._ids)

    def _write_x2many(self, field: Field, value: Any, created: bool = False) -> None:
        """Apply x2many commands (or a list of ids / a recordset) on one record."""
        commands = _as_commands(value)
        comodel = self.env[field.comodel_name]
        if field.type == "one2many":
            inverse = field.inverse_name
            for command in commands:
                code = command[0]
                if code == Command.CREATE:
                    comodel.create({**command[2], inverse: self.id})
                elif code == Command.UPDATE:
                    comodel.browse(command[1]).write(command[2])
                elif code == Command.DELETE:
                    comodel.browse(command[1]).unlink()
                elif code == Command.UNLINK:
                    self._o2m_detach(comodel.browse(command[1]), field)
                elif code == Command.LINK:
                    comodel.browse(command[1]).write({inverse: self.id})
                elif code in (Command.CLEAR, Command.SET):
                    keep = set(command[2]) if code == Command.SET else set()
                    current = self[field.name] if not created else comodel.browse()
                    self._o2m_detach(current - comodel.browse(tuple(keep)), field)
                    if keep:
                        comodel.browse(tuple(keep)).write({inverse: self.id})
            return
        table = SQL.identifier(field.relation)
        col1, col2 = field.column1, field.column2
        changed: set[int] = set()  # comodel records linked or unlinked
        for command in commands:
            code = command[0]
            if code == Command.CREATE:
                new = comodel.create(command[2])
                changed.update(self._m2m_link(table, col1, col2, new._ids))
            elif code == Command.UPDATE:
                comodel.browse(command[1]).write(command[2])
                changed.update(self._m2m_link(table, col1, col2, (command[1],)))
            elif code == Command.DELETE:
                changed.update(self._m2m_unlink(table, col1, col2, (command[1],)))
                comodel.browse(command[1]).unlink()
            elif code == Command.UNLINK:
                changed.update(self._m2m_unlink(table, col1, col2, (command[1],)))
            elif code == Command.LINK:
                changed.update(self._m2m_link(table, col1, col2, (command[1],)))
            elif code in (Command.CLEAR, Command.SET):
                keep = tuple(command[2]) if code == Command.SET else ()
                if not created:
                    query = SQL("DELETE FROM %s WHERE %s = %s AND NOT %s = ANY(%s) RETURNING %s",
                                table, SQL.identifier(col1), self.id, SQL.identifier(col2),
                                list(keep), SQL.identifier(col2))
                    self.env.cr.execute(query.code, query.params)
                    changed.update(row[0] for row in self.env.cr.fetchall())
                changed.update(self._m2m_link(table, col1, col2, keep))
        self._m2m_changed(field, changed)

    def _m2m_changed(self, field: Field, changed: set[int]) -> None:
        """Links of ``field`` changed for these records: update both sides of the relation."""
        cache = self.env.transaction.cache
        for other in self.pool.relation_fields.get(field.relation, ()):
            if other.column1 == field.column1:
                cache.invalidate(other, self._ids)
            elif changed:
                cache.invalidate(other, changed)
                self.env[other.model_name].browse(tuple(changed)).modified([other.name])

    def _o2m_detach(self, lines: Any, field: Field) -> None:
        inverse = lines._fields[field.inverse_name]
        if inverse.ondelete == "cascade" or inverse.required:
            lines.unlink()
        else:
            lines.write({field.inverse_name: False})

    def _m2m_link(self, table: SQL, col1: str, col2: str, ids: tuple[int, ...]) -> list[int]:
        """Link this record to ``ids``; returns those not linked before."""
        if not ids:
            return []
        query = SQL("INSERT INTO %s (%s, %s) SELECT %s, unnest(%s::int[]) ON CONFLICT DO NOTHING "
                    "RETURNING %s", table, SQL.identifier(col1), SQL.identifier(col2), self.id,
                    list(ids), SQL.identifier(col2))
        self.env.cr.execute(query.code, query.params)
        return [row[0] for row in self.env.cr.fetchall()]

    def _m2m_unlink(self, table: SQL, col1: str, col2: str, ids: tuple[int, ...]) -> list[int]:
        """Unlink this record from ``ids``; returns those that were linked."""
        query = SQL("DELETE FROM %s WHERE %s = %s AND %s = ANY(%s) RETURNING %s", table,
                    SQL.identifier(col1), self.id, SQL.identifier(col2), list(ids),
                    SQL.identifier(col2))
        self.env.cr.execute(query.code, query.params)
        return [row[0] for row in self.env.cr.fetchall()]

    # ------------------------------------------------------------------
    # unlink
    # ------------------------------------------------------------------
    def unlink(self) -> bool:
        """Delete the records (``@api.ondelete`` checks run first)."""
        if not self._ids:
            return True
        self.check_access_rights("unlink")
        self.check_access_rule("unlink")
        uninstalling = self.env.context.get("uninstalling_addons") or ()
        for method in self.pool.ondelete_methods.get(self._name, ()):
            if method._ondelete or self._module not in uninstalling:
                method(self)
        many2ones = [n for n, f in self._fields.items() if f.type == "many2one" and f.store]
        old_values = self._old_many2one_values(many2ones)
        # dependents on other models must see the records before they go
        self.modified([n for n, f in self._fields.items() if f.store and n != "id"])
        binary = [f for f in self._fields.values() if f.type == "binary" and f.attachment
                  and not f.compute]
        if binary and "ir.attachment" in self.pool:
            self.env["ir.attachment"].sudo().search([
                ("res_model", "=", self._name), ("res_id", "in", list(self._ids)),
                ("res_field", "!=", False)]).unlink()
        if self._name != "ir.model.data" and "ir.model.data" in self.pool:
            # through the model, so that its cached external id lookups are forgotten
            self.env["ir.model.data"].sudo().search(
                [("model", "=", self._name), ("res_id", "in", list(self._ids))], order="").unlink()
        query = SQL("DELETE FROM %s WHERE id = ANY(%s)", SQL.identifier(self._table),
                    list(self._ids))
        try:
            self.env.cr.execute(query.code, query.params)
        except psycopg2.IntegrityError as exc:
            raise self._integrity_error(exc, unlink=True) from None
        cache = self.env.transaction.cache
        cache.invalidate_ids(self._name, self._ids)
        for field in self.pool.fields_pointing_to.get(self._name, ()):
            cache.invalidate(field)
        for model_name in self.pool.cascade_models.get(self._name, ()):
            # rows deleted by the database (ON DELETE CASCADE): their values are gone
            cache.invalidate_model(model_name)
        for field_name, ids in old_values.items():
            for o2m in self.pool.many2one_inverses.get(self._fields[field_name], ()):
                self.env[o2m.model_name].browse(tuple(ids)).exists().modified([o2m.name])
        tocompute = self.env.transaction.tocompute
        for field, ids in tocompute.items():
            if field.model_name == self._name:
                ids.difference_update(self._ids)
        self.pool.recompute(self.env)
        return True

    def _integrity_error(self, exc: psycopg2.IntegrityError, unlink: bool = False) -> UserError:
        diag = exc.diag
        constraint = diag.constraint_name or ""
        for name, _definition, message in self.pool.sql_constraints.get(self._table, ()):
            if constraint == f"{self._table}_{name}":
                return ValidationError(message)
        if exc.pgcode in ("23503", "23001"):  # foreign key, restrict
            if unlink:
                return UserError(f"Cannot delete {self._description or self._name}: other records "
                                 f"still refer to it ({diag.table_name}). Delete or archive them "
                                 "first.")
            return ValidationError(f"A referenced record does not exist ({diag.message_detail}).")
        if exc.pgcode == "23502":
            return ValidationError(f"A required value is missing: {diag.column_name} on "
                                   f"{self._description or self._name}.")
        if exc.pgcode == "23505":
            return ValidationError(f"This value already exists and must be unique "
                                   f"({diag.message_detail}).")
        return ValidationError(f"The operation violates a database constraint: {diag.message_primary}")

    # ------------------------------------------------------------------
    # copy
    # ------------------------------------------------------------------
    def copy_data(self, default: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Values to create a copy of each record (fields with ``copy=True``)."""
        default = dict(default or {})
        result = []
        for record in self:
            vals: dict[str, Any] = {}
            for name, field in self._fields.items():
                if name in default or not field.copy or name in ("id", *LOG_ACCESS_FIELDS):
                    continue
                if field.inherited:
                    continue
                value = record[name]
                if field.type == "one2many":
                    vals[name] = [Command.create(data) for line in value
                                  for data in line.copy_data({field.inverse_name: False})]
                else:
                    vals[name] = field.convert_to_write(value, record)
            for link in self._inherits.values():
                parent = record[link]
                vals[link] = parent.copy().id if parent else False
            vals.update(default)
            result.append(vals)
        return result

    def copy(self, default: dict[str, Any] | None = None) -> Any:
        """Duplicate the records; ``default`` overrides copied values."""
        return self.create(self.copy_data(default))

    # ------------------------------------------------------------------
    # dependencies
    # ------------------------------------------------------------------
    def modified(self, fnames: Iterable[str], creating: bool = False,
                 fresh: dict[Field, set[int]] | None = None) -> None:
        """Fields of these records changed: invalidate or schedule what depends on them."""
        if not self._ids:
            return
        self.pool.modified(self, list(fnames), creating, fresh)

    def _validate_fields(self, field_names: Iterable[str]) -> None:
        names = set(field_names)
        for method, watched in self.pool.constraint_methods.get(self._name, ()):
            if names & watched:
                method(self)

    def _recompute_stored(self, fields: list[Field]) -> None:
        """Compute stored ``fields`` (scheduled on these records) and save them.

        Each field's records leave the schedule just before its computation, so a
        compute method reading the field on other records of the batch does not
        start it again (see :meth:`Field.__get__`).
        """
        transaction = self.env.transaction
        existing = self.exists()
        missing = set(self._ids) - set(existing._ids)
        computed: list[Field] = []
        for field in fields:
            pending = transaction.tocompute.get(field) or set()
            if not pending.issuperset(existing._ids):
                # partly computed meanwhile, while another field read it
                rest = tuple(i for i in existing._ids if i in pending)
                if rest:
                    self.browse(rest)._recompute_stored([field])
                continue
            siblings = self.pool.field_computed.get(field, [field])
            for f in siblings:
                transaction.cache.invalidate(f, existing._ids)
                transaction.tocompute.get(f, set()).difference_update(self._ids)
            if existing:
                field.compute_batch(existing.with_context(active_test=False))
            computed.extend(f for f in siblings if f.store and f not in computed)
        for field in fields:
            transaction.tocompute.get(field, set()).difference_update(missing)
        if not existing or not computed:
            return
        existing._update_columns([f for f in computed if f.column_type])
        fresh = {f: set(existing._ids) for f in computed}
        self.pool.modified(existing, [f.name for f in computed], fresh=fresh)
        existing._validate_fields(f.name for f in computed)

    def _update_columns(self, fields: list[Field]) -> None:
        """Save the cached values of ``fields`` of these records (one statement per 1000)."""
        if not fields:
            return
        cache = self.env.transaction.cache
        columns = [(f, cache.field_values(f)) for f in fields]
        rows = [(record_id, *(f.convert_to_column(values.get(record_id), self)
                              for f, values in columns))
                for record_id in self._ids]
        assignments = SQL(", ").join(
            SQL(f"%s = v.%s::{f.column_type}", SQL.identifier(f.name), SQL.identifier(f.name))
            for f in fields)
        names = SQL(", ").join(SQL.identifier(f.name) for f in fields)
        query = SQL("UPDATE %s SET %s FROM (VALUES VALUES_LIST) AS v(id, %s) WHERE %s = v.id",
                    SQL.identifier(self._table), assignments, names,
                    SQL.identifier(self._table, "id"))
        execute_values(self.env.cr, query, rows)


def _as_commands(value: Any) -> list[tuple]:
    """x2many write values (commands, ids, a recordset, False) as a list of commands."""
    if not value:
        return [(Command.CLEAR, 0, 0)]
    if hasattr(value, "_ids"):
        return [(Command.SET, 0, list(value._ids))]
    items = list(value)
    if all(isinstance(item, int) for item in items):
        return [(Command.SET, 0, items)]
    return [tuple(item) for item in items]
