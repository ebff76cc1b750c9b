"""Searching: ``search``, ``search_count``, ``search_read``, ``name_search``, ``read_group``."""

from __future__ import annotations

import re
from typing import Any

from postroom.orm import api
from postroom.orm.domain import AND, DomainCompiler
from postroom.orm.query import Query
from postroom.orm.sql import SQL

_ORDER_TERM = re.compile(r"^\s*([a-z_][a-z0-9_]*)(?::([a-z]+))?(?:\s+(asc|desc))?"
                         r"(?:\s+nulls\s+(first|last))?\s*$", re.IGNORECASE)
_DATE_GRANULARITY = {"day", "week", "month", "quarter", "year"}
_AGGREGATES = {"sum", "avg", "min", "max", "count", "count_distinct", "bool_and", "bool_or",
               "array_agg"}


class SearchMixin:
    """Query methods of models."""

    _register = False

    @api.model
    def _search(self, domain: list | None, offset: int = 0, limit: int | None = None,
                order: str | None = None, active_test: bool = True) -> Query:
        """A :class:`Query` for ``domain``, with access rules and ``active`` applied."""
        self.check_access_rights("read")
        query = Query(self._table, f"{self._table}")
        domain = list(domain or [])
        self._check_domain_access(domain)
        active = self._active_name
        if active and active_test and self.env.context.get("active_test", True) and \
                not any(isinstance(leaf, (list, tuple)) and leaf[0] == active for leaf in domain):
            domain = AND([[(active, "=", True)], domain])
        query.add_where(DomainCompiler(self, query.alias).compile(domain))
        if not self.env.su:
            rule_domain = self._rule_domain("read")
            if rule_domain:
                query.add_where(DomainCompiler(self.sudo(), query.alias).compile(rule_domain))
        if order != "":
            query.order = self._order_to_sql(order or self._order, query.alias)
        query.limit = limit
        query.offset = offset or 0
        return query

    @api.model
    def search(self, domain: list | None = None, offset: int = 0, limit: int | None = None,
               order: str | None = None) -> Any:
        """The records matching ``domain``, ordered by ``order`` or ``_order``."""
        query = self._search(domain, offset, limit, order)
        self.env.cr.execute(*_as_args(query.select()))
        ids = tuple(row[0] for row in self.env.cr.fetchall())
        return self._browse(self.env, ids, ids)

    @api.model
    def search_count(self, domain: list | None = None, limit: int | None = None) -> int:
        query = self._search(domain, order="")
        if limit:
            sql = SQL("SELECT count(*) FROM (%s LIMIT %s) t", query.select(), int(limit))
        else:
            sql = query.select(SQL("count(*)"))
        self.env.cr.execute(*_as_args(sql))
        return self.env.cr.fetchone()[0]

    @api.model
    def search_fetch(self, domain: list | None, field_names: list[str], offset: int = 0,
                     limit: int | None = None, order: str | None = None) -> Any:
        """Search and fetch ``field_names`` for the result in one go."""
        records = self.search(domain, offset, limit, order)
        records._read_fields([self._fields[name] for name in field_names if name in self._fields])
        return records

    @api.model
    def search_read(self, domain: list | None = None, fields: list[str] | None = None,
                    offset: int = 0, limit: int | None = None, order: str | None = None,
                    **kwargs: Any) -> list[dict[str, Any]]:
        records = self.search(domain or [], offset=offset, limit=limit, order=order)
        return records.read(fields, **kwargs) if records else []

    @api.model
    def name_search(self, name: str = "", args: list | None = None, operator: str = "ilike",
                    limit: int = 100) -> list[tuple[int, str]]:
        """``[(id, display_name)]`` of records whose name matches ``name``."""
        domain = list(args or [])
        if name:
            domain = AND([domain, [("display_name", operator, name)]])
        records = self.search(domain, limit=limit)
        return [(record.id, record.display_name) for record in records]

    def _order_to_sql(self, order: str, alias: str) -> SQL:
        terms = []
        for term in order.split(","):
            match = _ORDER_TERM.match(term)
            if not match:
                raise ValueError(f"Invalid order {order!r} for model {self._name}: use "
                                 "'field [asc|desc] [nulls first|last]', comma-separated")
            name, _granularity, direction, nulls = match.groups()
            self._check_field_access([name], "read")
            field = self._fields.get(name)
            if field is None or not (field.store and (field.column_type or name == "id")):
                raise ValueError(f"Invalid order {order!r}: {name!r} is not a stored field "
                                 f"of {self._name}")
            direction = (direction or "asc").upper()
            column = SQL.identifier(alias, name)
            if field.type == "many2one":
                comodel = self.env[field.comodel_name]
                rec_name = comodel._rec_name
                if rec_name and comodel._fields.get(rec_name) and comodel._fields[rec_name].store \
                        and comodel._fields[rec_name].column_type:
                    column = SQL("(SELECT %s FROM %s WHERE %s = %s)",
                                 SQL.identifier("_o", rec_name),
                                 SQL("%s AS _o", SQL.identifier(comodel._table)),
                                 SQL.identifier("_o", "id"), column)
            nulls_sql = f" NULLS {nulls.upper()}" if nulls else ""
            terms.append(SQL(f"%s {direction}{nulls_sql}", column))
        if not any(t.code.startswith(f'"{alias}"."id"') for t in terms):
            terms.append(SQL("%s", SQL.identifier(alias, "id")))
        return SQL(", ").join(terms)

    # ------------------------------------------------------------------
    # read_group
    # ------------------------------------------------------------------
    @api.model
    def read_group(self, domain: list, fields: list[str], groupby: list[str] | str,
                   offset: int = 0, limit: int | None = None, orderby: str | None = None,
                   lazy: bool = True) -> list[dict[str, Any]]:
        """Aggregate records per group.

        ``groupby`` names fields, with ``:day``, ``:week``, ``:month``,
        ``:quarter`` or ``:year`` for dates; ``fields`` names aggregates as
        ``field:sum``, ``alias:avg(field)`` or a plain numeric field (summed).
        Each group comes back as a dict with the group values (many2one as
        ``(id, name)``), the aggregates, ``<groupby>_count`` (or ``__count``)
        and ``__domain``, the domain selecting its records.
        """
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        query = self._search(domain, order="")
        alias = query.alias
        group_specs = [self._groupby_spec(spec, alias)
                       for spec in (groupby[:1] if lazy else groupby)]
        aggregates = self._aggregate_specs(fields, alias, {g[0] for g in group_specs})
        select = [sql for _name, sql, _field, _gran in group_specs]
        select += [sql for _alias, sql in aggregates]
        select.append(SQL("count(*)"))
        sql = SQL("SELECT %s FROM %s WHERE %s", SQL(", ").join(select), query.from_clause,
                  query.where_clause)
        if group_specs:
            positions = SQL(", ").join(SQL(str(i + 1)) for i in range(len(group_specs)))
            sql = SQL("%s GROUP BY %s", sql, positions)
            sql = SQL("%s ORDER BY %s", sql, self._read_group_order(orderby, group_specs, aggregates))
        if limit:
            sql = SQL("%s LIMIT %s", sql, int(limit))
        if offset:
            sql = SQL("%s OFFSET %s", sql, int(offset))
        self.env.cr.execute(*_as_args(sql))
        rows = self.env.cr.fetchall()
        return self._read_group_format(rows, group_specs, aggregates, domain, lazy, groupby)

    def _groupby_spec(self, spec: str, alias: str) -> tuple[str, SQL, Any, str | None]:
        name, _, granularity = spec.partition(":")
        self._check_field_access([name], "read")
        field = self._fields.get(name)
        if field is None or not field.store or not (field.column_type or field.type == "many2many"):
            raise ValueError(f"Cannot group {self._name} by {spec!r}: not a stored field")
        if field.type == "many2many":
            raise ValueError(f"Grouping by a many2many ({spec!r}) is not supported")
        column = SQL.identifier(alias, name)
        if field.type in ("date", "datetime"):
            granularity = granularity or "month"
            if granularity not in _DATE_GRANULARITY:
                raise ValueError(f"Invalid date grouping {spec!r}: use one of "
                                 f"{', '.join(sorted(_DATE_GRANULARITY))}")
            column = SQL(f"date_trunc('{granularity}', %s)::date", column)
        elif granularity:
            raise ValueError(f"Invalid grouping {spec!r}: only dates take a granularity")
        return spec, column, field, granularity or None

    def _aggregate_specs(self, fields: list[str], alias: str, groupnames: set[str]) -> list[tuple[str, SQL]]:
        specs: list[tuple[str, SQL]] = []
        for spec in fields or []:
            match = re.match(r"^(\w+)(?::(\w+)(?:\((\w+)\))?)?$", spec.strip())
            if not match:
                raise ValueError(f"Invalid aggregate {spec!r}: use 'field', 'field:sum' or "
                                 "'name:avg(field)'")
            out_name, func, source = match.groups()
            source = source or out_name
            if source in groupnames or source == "__count":
                continue
            field = self._fields.get(source)
            if field is None:
                raise ValueError(f"Invalid field {source!r} on model {self._name} in read_group")
            self._check_field_access([source], "read")
            if func is None:
                func = field.aggregator or ("sum" if field.type in ("integer", "float", "monetary")
                                            else None)
                if func is None:
                    continue
            if func not in _AGGREGATES:
                raise ValueError(f"Invalid aggregate function {func!r} in {spec!r}")
            if not field.store or not (field.column_type or source == "id"):
                raise ValueError(f"Cannot aggregate {source!r}: not a stored field")
            column = SQL.identifier(alias, source)
            if func == "count_distinct":
                sql = SQL("count(DISTINCT %s)", column)
            else:
                sql = SQL(f"{func}(%s)", column)
            specs.append((out_name, sql))
        return specs

    def _read_group_order(self, orderby: str | None, group_specs: list, aggregates: list) -> SQL:
        position = {spec[0]: i + 1 for i, spec in enumerate(group_specs)}
        offset = len(group_specs)
        position.update({name: offset + i + 1 for i, (name, _sql) in enumerate(aggregates)})
        position["__count"] = offset + len(aggregates) + 1
        terms = []
        for term in (orderby or "").split(","):
            if not term.strip():
                continue
            parts = term.split()
            name = parts[0]
            direction = parts[1].upper() if len(parts) > 1 else "ASC"
            if name not in position or direction not in ("ASC", "DESC"):
                raise ValueError(f"Invalid read_group order {orderby!r}")
            terms.append(SQL(f"{position[name]} {direction}"))
        terms += [SQL(str(i + 1)) for i in range(len(group_specs))]
        return SQL(", ").join(terms)

    def _read_group_format(self, rows: list, group_specs: list, aggregates: list, domain: list,
                           lazy: bool, groupby: list[str]) -> list[dict[str, Any]]:
        from postroom.orm.models.groups import date_range_domain
        result = []
        count_key = f"{groupby[0].split(':')[0]}_count" if lazy and groupby else "__count"
        for row in rows:
            group: dict[str, Any] = {}
            group_domain = list(domain or [])
            for index, (spec, _sql, field, granularity) in enumerate(group_specs):
                value = row[index]
                if field.type == "many2one":
                    record = self.env[field.comodel_name].browse(value) if value else None
                    group[spec] = (value, record.sudo().display_name) if record else False
                    group_domain = AND([group_domain, [(field.name, "=", value or False)]])
                elif granularity:
                    group[spec] = value.isoformat() if value else False
                    group_domain = AND([group_domain, date_range_domain(field, value, granularity)])
                else:
                    group[spec] = value if value is not None else False
                    group_domain = AND([group_domain, [(field.name, "=", group[spec])]])
            for index, (name, _sql) in enumerate(aggregates):
                value = row[len(group_specs) + index]
                group[name] = float(value) if hasattr(value, "as_integer_ratio") and \
                    not isinstance(value, (int, float)) else value
            group[count_key] = row[-1]
            group["__domain"] = group_domain
            if lazy and len(groupby) > 1:
                group["__context"] = {"group_by": groupby[1:]}
            result.append(group)
        return result


def _as_args(sql: SQL) -> tuple[str, tuple]:
    return sql.code, sql.params
