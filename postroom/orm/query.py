"""A SELECT on one model's table, built up by search and read_group."""

from __future__ import annotations

from postroom.orm.sql import SQL


class Query:
    """``SELECT … FROM table alias WHERE … ORDER BY … LIMIT … OFFSET …``."""

    def __init__(self, table: str, alias: str | None = None):
        self.table = table
        self.alias = alias or table
        self.where: list[SQL] = []
        self.order: SQL | None = None
        self.limit: int | None = None
        self.offset: int = 0

    def add_where(self, condition: SQL) -> None:
        if condition and condition.code != "TRUE":
            self.where.append(condition)

    @property
    def from_clause(self) -> SQL:
        if self.alias == self.table:
            return SQL.identifier(self.table)
        return SQL("%s AS %s", SQL.identifier(self.table), SQL.identifier(self.alias))

    @property
    def where_clause(self) -> SQL:
        return SQL(" AND ").join(self.where) if self.where else SQL("TRUE")

    def select(self, *columns: SQL) -> SQL:
        """The full query selecting ``columns`` (default: the id)."""
        columns = columns or (SQL.identifier(self.alias, "id"),)
        query = SQL("SELECT %s FROM %s WHERE %s", SQL(", ").join(columns), self.from_clause,
                    self.where_clause)
        if self.order:
            query = SQL("%s ORDER BY %s", query, self.order)
        if self.limit is not None:
            query = SQL("%s LIMIT %s", query, int(self.limit))
        if self.offset:
            query = SQL("%s OFFSET %s", query, int(self.offset))
        return query

    def subselect(self, column: str = "id") -> SQL:
        """The query selecting one column, for use in ``x IN (…)``."""
        if self.limit is None and not self.offset:
            return SQL("SELECT %s FROM %s WHERE %s", SQL.identifier(self.alias, column),
                       self.from_clause, self.where_clause)
        return self.select(SQL.identifier(self.alias, column))
