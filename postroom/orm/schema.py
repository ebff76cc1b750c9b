"""Keep PostgreSQL tables in step with the models (install and upgrade).

:func:`sync_models` creates missing tables, columns, relation tables, foreign
keys, indexes and SQL constraints. It never drops data: a column whose type
cannot be converted in place is renamed aside (``<name>_moved<N>``) and a new
one created; ``NOT NULL`` is only set when no row violates it (otherwise a
warning names the column). Dropping the tables and columns of an uninstalled
addon is :func:`drop_columns` / :func:`drop_tables`, called by the loader only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from postroom.orm.fields.base import Field
from postroom.orm.sql import SQL

_logger = logging.getLogger(__name__)

_ONDELETE = {"set null": "SET NULL", "cascade": "CASCADE", "restrict": "RESTRICT"}
_TYPE_ALIASES = {"int4": "integer", "float8": "double precision", "varchar": "character varying",
                 "timestamp": "timestamp without time zone", "bool": "boolean",
                 "boolean": "boolean", "numeric": "numeric", "text": "text", "date": "date",
                 "jsonb": "jsonb", "bytea": "bytea"}


def _execute(cr: Any, query: SQL) -> None:
    cr.execute(query.code, query.params)


def existing_columns(cr: Any, tables: list[str]) -> dict[str, dict[str, tuple[str, bool]]]:
    """``{table: {column: (data_type, is_nullable)}}`` for existing tables."""
    cr.execute("""SELECT table_name, column_name, data_type, character_maximum_length, is_nullable
                    FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = ANY(%s)""", (tables,))
    result: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, length, nullable in cr.fetchall():
        if length:
            data_type = f"{data_type}({length})"
        result.setdefault(table, {})[column] = (data_type, nullable == "YES")
    return result


def _pg_type(column_type: str) -> str:
    base, _, rest = column_type.partition("(")
    name = _TYPE_ALIASES.get(base, base)
    return f"{name}({rest}" if rest else name


def table_models(models: Iterable[Any]) -> list[Any]:
    return [m for m in models if m._auto and not m._abstract]


def sync_models(cr: Any, models: Iterable[Any]) -> None:
    """Create or update the tables of ``models`` (registry classes)."""
    models = table_models(models)
    if not models:
        return
    tables = [m._table for m in models]
    columns = existing_columns(cr, tables)
    foreign_keys: list[tuple[str, str, str, str]] = []
    for model in models:
        table = model._table
        if table not in columns:
            _execute(cr, SQL("CREATE TABLE %s (id SERIAL PRIMARY KEY)", SQL.identifier(table)))
            columns[table] = {"id": ("integer", False)}
        for field in model._fields.values():
            if field.store and field.column_type and field.name != "id":
                _sync_column(cr, model, field, columns[table])
                if field.type == "many2one":
                    comodel = model.pool[field.comodel_name]
                    if comodel._auto and not comodel._abstract:
                        foreign_keys.append((table, field.name, comodel._table, field.ondelete))
    for model in models:
        for field in model._fields.values():
            if field.type == "many2many" and field.store and not field.related:
                _sync_relation(cr, model, field)
    existing_fks = _foreign_keys(cr, tables)
    for table, column, target, ondelete in foreign_keys:
        _sync_foreign_key(cr, table, column, target, ondelete, existing_fks)
    for model in models:
        _sync_constraints(cr, model)
        _sync_indexes(cr, model)


def _sync_column(cr: Any, model: Any, field: Field, existing: dict[str, tuple[str, bool]]) -> None:
    table, name = model._table, field.name
    wanted = _pg_type(field.column_type)
    ident_t, ident_c = SQL.identifier(table), SQL.identifier(name)
    if name not in existing:
        _execute(cr, SQL(f"ALTER TABLE %s ADD COLUMN %s {_ddl_type(field.column_type)}", ident_t, ident_c))
        existing[name] = (wanted, True)
        if field.default is not None and not callable(field.default) and field.store:
            value = field.convert_to_column(field.convert_to_cache(field.default, model, False), model)
            if value is not None:
                _execute(cr, SQL("UPDATE %s SET %s = %s WHERE %s IS NULL", ident_t, ident_c, value, ident_c))
    else:
        current, _nullable = existing[name]
        if current != wanted:
            _convert_column(cr, table, name, current, field.column_type, existing)
    if field.required and not field.compute:
        _set_not_null(cr, table, name)
    elif existing.get(name, ("", True))[1] is False and not field.required and name != "id":
        _execute(cr, SQL("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", ident_t, ident_c))


def _ddl_type(column_type: str) -> str:
    base, _, rest = column_type.partition("(")
    if base not in _TYPE_ALIASES:
        raise ValueError(f"Unknown column type {column_type!r}")
    if rest and not rest.rstrip(")").isdigit():
        raise ValueError(f"Invalid column type {column_type!r}")
    return column_type


def _convert_column(cr: Any, table: str, name: str, current: str, column_type: str,
                    existing: dict[str, tuple[str, bool]]) -> None:
    ident_t, ident_c = SQL.identifier(table), SQL.identifier(name)
    ddl = _ddl_type(column_type)
    try:
        with cr.savepoint(flush=False):
            _execute(cr, SQL(f"ALTER TABLE %s ALTER COLUMN %s TYPE {ddl} USING %s::{ddl}",
                             ident_t, ident_c, ident_c))
        return
    except Exception as exc:
        index = 0
        while f"{name}_moved{index}" in existing:
            index += 1
        moved = f"{name}_moved{index}"
        _logger.warning("Column %s.%s (%s) cannot become %s (%s); its data is kept in %s",
                        table, name, current, column_type, exc, moved)
        _execute(cr, SQL("ALTER TABLE %s RENAME COLUMN %s TO %s", ident_t, ident_c,
                         SQL.identifier(moved)))
        _execute(cr, SQL("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", ident_t, SQL.identifier(moved)))
        _execute(cr, SQL(f"ALTER TABLE %s ADD COLUMN %s {ddl}", ident_t, ident_c))
        existing[moved] = existing[name]


def _set_not_null(cr: Any, table: str, name: str) -> None:
    ident_t, ident_c = SQL.identifier(table), SQL.identifier(name)
    _execute(cr, SQL("SELECT 1 FROM %s WHERE %s IS NULL LIMIT 1", ident_t, ident_c))
    if cr.fetchone():
        _logger.warning("Column %s.%s is required but has empty rows; NOT NULL not set. "
                        "Fill the empty values, then upgrade again.", table, name)
        return
    _execute(cr, SQL("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", ident_t, ident_c))


def _sync_relation(cr: Any, model: Any, field: Field) -> None:
    comodel = model.pool[field.comodel_name]
    rel, col1, col2 = field.relation, field.column1, field.column2
    _execute(cr, SQL(
        "CREATE TABLE IF NOT EXISTS %s (%s integer NOT NULL REFERENCES %s(id) ON DELETE CASCADE, "
        "%s integer NOT NULL REFERENCES %s(id) ON DELETE CASCADE, PRIMARY KEY (%s, %s))",
        SQL.identifier(rel), SQL.identifier(col1), SQL.identifier(model._table),
        SQL.identifier(col2), SQL.identifier(comodel._table), SQL.identifier(col1),
        SQL.identifier(col2)))
    _execute(cr, SQL("CREATE INDEX IF NOT EXISTS %s ON %s (%s)",
                     SQL.identifier(_index_name(rel, col2)), SQL.identifier(rel), SQL.identifier(col2)))


def _foreign_keys(cr: Any, tables: list[str]) -> dict[tuple[str, str], tuple[str, str, str]]:
    cr.execute("""
        SELECT cl.relname, att.attname, con.conname, tcl.relname, con.confdeltype
          FROM pg_constraint con
          JOIN pg_class cl ON cl.oid = con.conrelid
          JOIN pg_class tcl ON tcl.oid = con.confrelid
          JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
         WHERE con.contype = 'f' AND cl.relname = ANY(%s) AND array_length(con.conkey, 1) = 1""",
               (tables,))
    codes = {"n": "SET NULL", "c": "CASCADE", "r": "RESTRICT", "a": "NO ACTION"}
    return {(t, c): (name, target, codes.get(code, code)) for t, c, name, target, code in cr.fetchall()}


def _sync_foreign_key(cr: Any, table: str, column: str, target: str, ondelete: str,
                      existing: dict[tuple[str, str], tuple[str, str, str]]) -> None:
    action = _ONDELETE.get(ondelete)
    if action is None:
        raise ValueError(f"Invalid ondelete {ondelete!r} on {table}.{column}: use "
                         "'set null', 'cascade' or 'restrict'")
    current = existing.get((table, column))
    if current and current[1:] == (target, action):
        return
    if current:
        _execute(cr, SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(table),
                         SQL.identifier(current[0])))
    name = _index_name(table, column, "fkey")
    _execute(cr, SQL(f"ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s(id) "
                     f"ON DELETE {action}", SQL.identifier(table), SQL.identifier(name),
                     SQL.identifier(column), SQL.identifier(target)))


def _sync_constraints(cr: Any, model: Any) -> None:
    table = model._table
    for name, definition, _message in model._sql_constraints:
        conname = f"{table}_{name}"
        cr.execute("""SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
                        JOIN pg_class t ON t.oid = c.conrelid
                       WHERE c.conname = %s AND t.relname = %s""", (conname, table))
        row = cr.fetchone()
        if row:
            continue
        # definitions come from addon code (trusted), never from user input
        try:
            with cr.savepoint(flush=False):
                cr.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{conname}" {definition}')
        except Exception as exc:
            _logger.warning("Constraint %s (%s) not added on %s: %s", conname, definition, table, exc)


def _sync_indexes(cr: Any, model: Any) -> None:
    table = model._table
    for field in model._fields.values():
        if not (field.index and field.store and field.column_type):
            continue
        name = _index_name(table, field.name, "index")
        _execute(cr, SQL("CREATE INDEX IF NOT EXISTS %s ON %s (%s)", SQL.identifier(name),
                         SQL.identifier(table), SQL.identifier(field.name)))


def _index_name(table: str, column: str, suffix: str = "index") -> str:
    name = f"{table}__{column}_{suffix}"
    if len(name) > 63:
        import hashlib
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[:54]}_{digest}"
    return name


def drop_columns(cr: Any, table: str, columns: Iterable[str]) -> None:
    for column in columns:
        _execute(cr, SQL("ALTER TABLE %s DROP COLUMN IF EXISTS %s CASCADE", SQL.identifier(table),
                         SQL.identifier(column)))


def drop_tables(cr: Any, tables: Iterable[str]) -> None:
    for table in tables:
        _execute(cr, SQL("DROP TABLE IF EXISTS %s CASCADE", SQL.identifier(table)))
