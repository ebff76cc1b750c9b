"""Reading records: ``read``, ``exists``, and filling the cache from the database.

A field read on one record that misses the cache fetches it for the whole
prefetch batch (up to :data:`~postroom.orm.models.base.PREFETCH_MAX` records
of the set the record came from), together with the other prefetchable
columns of the model: reading three fields over ten thousand records costs
ten queries, not thirty thousand. x2many values are read with one query per
batch too, ordered by the comodel's ``_order``, archived records left out.

For users other than the superuser, the model's record rules are part of the
query; a record the rules hide raises :class:`AccessError` when it is the one
being read (another record of its batch does not make the read fail).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from postroom.exceptions import AccessError
from postroom.orm.fields.base import Field
from postroom.orm.sql import SQL
from postroom.tools.misc import split_every

#: ids per query when read() fetches columns
READ_CHUNK = 5000


class ReadMixin:
    """``read``, ``exists`` and the fetching of field values."""

    _register = False

    def read(self, fields: list[str] | None = None, load: str = "_classic_read") -> list[dict[str, Any]]:
        """The values of ``fields`` for each record, as dicts (many2one as ``(id, name)``).

        Records that no longer exist are left out.
        """
        self.check_access_rights("read")
        self.check_access_rule("read")
        if fields:
            unknown = [n for n in fields if n not in self._fields]
            if unknown:
                raise ValueError(f"Invalid fields {unknown} on model {self._name!r}")
            readable = {f.name for f in self._readable_fields()}
            denied = [n for n in fields if n not in readable]
            if denied:
                raise AccessError(f"You are not allowed to read the fields {denied} of "
                                  f"'{self._description or self._name}' ({self._name}) records: "
                                  "they are restricted to some groups.")
            field_list = [self._fields[n] for n in dict.fromkeys(fields) if n != "id"]
        else:
            field_list = [f for f in self._readable_fields() if f.type != "binary" and f.name != "id"]
        existing = self._read_fields(field_list)
        rows: list[dict[str, Any]] = [{"id": record_id} for record_id in existing]
        as_ids = load != "_classic_read"
        records = self._browse(self.env, existing, existing)
        for field in field_list:
            name = field.name
            if as_ids and field.type == "many2one":
                values = self.env.transaction.cache.field_values(field,
                                                                 field.cache_key(self.env))
                for row, record_id in zip(rows, existing):
                    row[name] = values[record_id] or False
            else:
                for row, value in zip(rows, field.read_values(records)):
                    row[name] = value
        return rows

    def _read_fields(self, fields: list[Field]) -> tuple[int, ...]:
        """Put ``fields`` of these records in the cache; returns the ids of those that exist."""
        columns = [f for f in fields if f.store and f.column_type]
        cache = self.env.transaction.cache
        if columns:
            missing: set[int] = set()
            for field in columns:
                values = cache.field_values(field)
                missing.update(i for i in self._ids if i not in values)
            for chunk in split_every(READ_CHUNK, (i for i in self._ids if i in missing)):
                self._browse(self.env, chunk, chunk)._read_columns(columns, chunk)
            found = cache.field_values(columns[0])
            existing = tuple(i for i in self._ids if i in found)
        else:
            existing = self.exists()._ids
        tocompute = self.env.transaction.tocompute
        for field in fields:
            if field.relational_multi or (field.compute and not field.store) or \
                    (field.type == "binary" and not field.column_type):
                ids = tuple(cache.missing_ids(field, existing, field.cache_key(self.env)))
                if ids:
                    field.fetch(self._browse(self.env, ids, ids))
            elif field.store and field.compute and not tocompute.get(field, set()).isdisjoint(existing):
                self.pool.recompute(self.env, field)
        return existing

    def _fetch_field(self, field: Field) -> None:
        """Fetch ``field`` (and, for columns, its prefetchable siblings) for a batch."""
        self.check_access_rights("read")
        records = self._in_prefetch_batch(field)
        if field.relational_multi:
            records._read_x2many(field)
            return
        if field.prefetch:
            fields = self.pool.prefetch_fields[self._name]
            if not self.env.su:
                user = self.env.user
                fields = [f for f in fields if not f.groups or user._has_any_group(f.groups)]
            if field not in fields:
                fields = [*fields, field]
        else:
            fields = [field]
        records._read_columns(fields, self._ids)

    def _read_columns(self, fields: list[Field], requested: tuple[int, ...]) -> None:
        """One SELECT of some columns for these records, record rules applied.

        Raises AccessError if rules hide one of the ``requested`` records.
        """
        ids = list(self._ids)
        table = SQL.identifier(self._table)
        columns = [SQL.identifier(self._table, "id")] + \
            [SQL.identifier(self._table, f.name) for f in fields]
        query = SQL("SELECT %s FROM %s WHERE %s = ANY(%s)", SQL(", ").join(columns), table,
                    SQL.identifier(self._table, "id"), ids)
        if not self.env.su:
            domain = self._rule_domain("read")
            if domain:
                from postroom.orm.domain import DomainCompiler
                query = SQL("%s AND %s", query,
                            DomainCompiler(self.sudo(), self._table).compile(domain))
        cr = self.env.cr
        cr.execute(query.code, query.params)
        rows = cr.fetchall()
        cache = self.env.transaction.cache
        if rows:
            fetched_ids = [row[0] for row in rows]
            for field, values in zip(fields, list(zip(*rows))[1:]):
                if type(field).convert_from_column is not Field.convert_from_column:
                    convert = field.convert_from_column
                    values = [convert(v) for v in values]
                cache.update(field, fetched_ids, values)
        if len(rows) < len(ids) and not self.env.su:
            found = {row[0] for row in rows}
            hidden = [i for i in requested if i not in found]
            forbidden = self.browse(hidden).sudo().exists() if hidden else hidden
            if forbidden:
                raise AccessError(
                    f"You are not allowed to read '{self._description or self._name}' "
                    f"({self._name}) records {forbidden.ids[:10]}: record rules hide them. "
                    "Contact your administrator to request access.")

    def _read_x2many(self, field: Field) -> None:
        """The ids of an x2many for these records, archived and out-of-domain ones left out.

        The ids are read as superuser so that the cache, shared by every
        environment, holds the same list for all; reading the records they
        point to is what access rights and rules check.
        """
        cache = self.env.transaction.cache
        ids = list(self._ids)
        comodel = self.env[field.comodel_name].sudo().with_context(active_test=True)
        found: dict[int, list[int]] = defaultdict(list)
        cr = self.env.cr
        if field.type == "one2many":
            domain = [(field.inverse_name, "in", ids)] + list(field.domain or [])
            lines = comodel._search(domain)
            query = lines.select(SQL.identifier(lines.alias, "id"),
                                 SQL.identifier(lines.alias, field.inverse_name))
            cr.execute(query.code, query.params)
            for line_id, parent_id in cr.fetchall():
                found[parent_id].append(line_id)
        else:
            lines = comodel._search(list(field.domain or []))
            query = SQL("SELECT rel.%s, rel.%s FROM %s rel JOIN %s ON %s = rel.%s "
                        "WHERE rel.%s = ANY(%s) AND %s IN (%s) ORDER BY %s",
                        SQL.identifier(field.column1), SQL.identifier(field.column2),
                        SQL.identifier(field.relation), SQL.identifier(comodel._table),
                        SQL.identifier(comodel._table, "id"), SQL.identifier(field.column2),
                        SQL.identifier(field.column1), ids,
                        SQL.identifier(comodel._table, "id"), lines.subselect(),
                        comodel._order_to_sql(comodel._order, comodel._table))
            cr.execute(query.code, query.params)
            for parent_id, line_id in cr.fetchall():
                found[parent_id].append(line_id)
        cache.update(field, ids, (tuple(found.get(i, ())) for i in ids))

    def exists(self) -> Any:
        """The subset of these records that still exist in the database."""
        if not self._ids:
            return self
        query = SQL("SELECT id FROM %s WHERE id = ANY(%s)", SQL.identifier(self._table),
                    list(self._ids))
        self.env.cr.execute(query.code, query.params)
        found = {row[0] for row in self.env.cr.fetchall()}
        return self._browse(self.env, tuple(i for i in self._ids if i in found), self._prefetch_ids)
