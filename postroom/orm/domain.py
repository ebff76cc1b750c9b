"""Domains: Odoo's prefix-notation filters, compiled to parametrized SQL.

A domain is a list of leaves ``(path, operator, value)`` and the operators
``'&'``, ``'|'`` (binary) and ``'!'`` (unary) in prefix order; consecutive
leaves are implicitly AND-ed. ``path`` may cross relations
(``'partner_id.country_id.code'``); each step becomes a subquery on the
comodel, so every model is compiled the same way and no join aliases leak
between parts of the query. Values are always parameters; field names must
exist on the model, and operators must be in :data:`OPERATORS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from psycopg2.extras import Json

from postroom.orm.fields.temporal import Date, Datetime
from postroom.orm.sql import SQL

if TYPE_CHECKING:
    from postroom.orm.fields.base import Field
    from postroom.orm.models.base import BaseModel

TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)
OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "ilike",
                       "not like", "not ilike", "=like", "=ilike", "child_of", "parent_of"})
NEGATIVE = {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}
_LIKE_ESCAPE = re.compile(r"([\\%_])")


class DomainError(ValueError):
    """A malformed domain, an unknown field or an unsupported operator."""


def normalize(domain: Iterable[Any] | None) -> list[Any]:
    """The domain with its implicit ANDs made explicit; validated in shape."""
    domain = list(domain or [])
    if not domain:
        return [TRUE_LEAF]
    result: list[Any] = []
    expected = 1
    for item in domain:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if item in ("&", "|"):
            expected += 1
        elif item == "!":
            pass
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            item = tuple(item)
            expected -= 1
        else:
            raise DomainError(f"Invalid domain term {item!r}: expected '&', '|', '!' or a "
                              "(field, operator, value) triple")
        result.append(item)
    if expected != 0:
        raise DomainError(f"Invalid domain {domain!r}: missing terms after an operator")
    return result


def AND(domains: Iterable[list]) -> list:
    """The conjunction of domains (empty domains are ignored)."""
    return _combine("&", [d for d in domains if d])


def OR(domains: Iterable[list]) -> list:
    """The disjunction of domains (an empty domain matches everything; no domain, nothing)."""
    domains = list(domains)
    if not domains:
        return [FALSE_LEAF]
    if any(not d for d in domains):
        return []
    return _combine("|", domains)


def _combine(op: str, domains: list[list]) -> list:
    if not domains:
        return []
    result: list[Any] = [op] * (len(domains) - 1)
    for domain in domains:
        result.extend(normalize(domain))
    return result


class DomainCompiler:
    """Turns a domain on one model into a boolean SQL expression on ``alias``."""

    def __init__(self, model: BaseModel, alias: str):
        self.model = model
        self.alias = alias

    def compile(self, domain: Iterable[Any] | None) -> SQL:
        items = normalize(domain)
        stack: list[SQL] = []
        for item in reversed(items):
            if item == "!":
                stack.append(SQL("(NOT %s)", stack.pop()))
            elif item in ("&", "|"):
                left, right = stack.pop(), stack.pop()
                keyword = " AND " if item == "&" else " OR "
                stack.append(SQL(f"(%s{keyword}%s)", left, right))
            else:
                stack.append(self.leaf(item))
        (result,) = stack
        return result

    # ------------------------------------------------------------------
    def leaf(self, leaf: tuple) -> SQL:
        path, operator, value = leaf
        if leaf == TRUE_LEAF:
            return SQL("TRUE")
        if leaf == FALSE_LEAF:
            return SQL("FALSE")
        if not isinstance(path, str):
            raise DomainError(f"Invalid domain leaf {leaf!r}: the field must be a name")
        operator = operator.lower() if isinstance(operator, str) else operator
        if operator not in OPERATORS:
            raise DomainError(f"Invalid operator {operator!r} in {leaf!r}")
        model = self.model
        name, _, rest = path.partition(".")
        field = model._fields.get(name)
        if field is None:
            raise DomainError(f"Invalid field {name!r} on model {model._name!r} in {leaf!r}")
        if hasattr(value, "_ids") and hasattr(value, "_name"):
            value = list(value._ids) if operator in ("in", "not in") or len(value) != 1 \
                else value._ids[0]
        if not field.store or (field.column_type is None and not field.relational \
                and field.name != "id"):
            return self._leaf_nonstored(field, rest, operator, value, leaf)
        if rest:
            return self._leaf_path(field, rest, operator, value)
        if field.type == "many2one":
            return self._leaf_many2one(field, operator, value)
        if field.type in ("one2many", "many2many"):
            return self._leaf_x2many(field, operator, value)
        column = SQL.identifier(self.alias, "id" if field.name == "id" else field.name)
        return self._leaf_column(column, field, operator, value)

    def _leaf_nonstored(self, field: Field, rest: str, operator: str, value: Any, leaf: tuple) -> SQL:
        model = self.model
        if field.related:
            new_path = field.related + ("." + rest if rest else "")
            return self.leaf((new_path, operator, value))
        search = field.search
        if not search:
            raise DomainError(f"Field {field.string!r} ({model._name}.{field.name}) is not stored "
                              f"and cannot be searched: {leaf!r}")
        if isinstance(search, str):
            domain = getattr(model, search)(operator, value)
        else:
            domain = search(model, operator, value)
        return self.compile(domain)

    def _subquery(self, model_name: str, domain: list, column: str = "id",
                  active_test: bool = False) -> SQL:
        """``SELECT column FROM comodel WHERE domain``, with the comodel's access rules."""
        comodel = self.model.env[model_name].with_context(active_test=active_test)
        return comodel._search(domain).subselect(column)

    def _leaf_path(self, field: Field, rest: str, operator: str, value: Any) -> SQL:
        """A leaf on a path: a subquery on the comodel. Archived records are part of a
        many2one's target, not of an x2many's value, as when reading."""
        alias = self.alias
        leaf = [(rest, operator, value)]
        if field.type == "many2one":
            sub = self._subquery(field.comodel_name, leaf)
            return SQL("%s IN (%s)", SQL.identifier(alias, field.name), sub)
        if field.type == "one2many":
            sub = self._subquery(field.comodel_name, leaf, field.inverse_name, active_test=True)
            return SQL("%s IN (%s)", SQL.identifier(alias, "id"), sub)
        if field.type == "many2many":
            sub = self._subquery(field.comodel_name, leaf, active_test=True)
            return SQL("%s IN (SELECT %s FROM %s WHERE %s IN (%s))", SQL.identifier(alias, "id"),
                       SQL.identifier(field.column1), SQL.identifier(field.relation),
                       SQL.identifier(field.column2), sub)
        raise DomainError(f"Cannot follow {field.name!r} ({field.type}) in a path on {self.model._name}")

    def _name_search_ids(self, field: Field, operator: str, value: Any) -> SQL:
        """Ids of the comodel records whose name matches (the positive form of) ``operator``."""
        rec_name = self.model.env[field.comodel_name]._rec_name or "display_name"
        positive = NEGATIVE.get(operator, operator)
        return self._subquery(field.comodel_name, [(rec_name, positive, value)])

    def _leaf_many2one(self, field: Field, operator: str, value: Any) -> SQL:
        column = SQL.identifier(self.alias, field.name)
        if operator in ("child_of", "parent_of"):
            return SQL("%s IN (%s)", column, self._hierarchy(field.comodel_name, operator, value))
        if (isinstance(value, str) and operator not in ("=like", "=ilike")) or \
                operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
            sub = self._name_search_ids(field, operator, value)
            if operator in NEGATIVE:
                return SQL("(%s IS NULL OR %s NOT IN (%s))", column, column, sub)
            return SQL("%s IN (%s)", column, sub)
        return self._leaf_column(column, field, operator, value)

    def _leaf_x2many(self, field: Field, operator: str, value: Any) -> SQL:
        id_column = SQL.identifier(self.alias, "id")
        if field.type == "one2many":
            comodel = self.model.env[field.comodel_name]
            def rows(domain: list) -> SQL:
                return self._subquery(field.comodel_name, domain + [(field.inverse_name, "!=", False)],
                                      field.inverse_name, active_test=True)
            ids_of = rows
        else:
            def ids_of(domain: list) -> SQL:
                sub = self._subquery(field.comodel_name, domain, active_test=True)
                return SQL("SELECT %s FROM %s WHERE %s IN (%s)", SQL.identifier(field.column1),
                           SQL.identifier(field.relation), SQL.identifier(field.column2), sub)
            comodel = self.model.env[field.comodel_name]
        if operator in ("child_of", "parent_of"):
            return SQL("%s IN (%s)", id_column,
                       ids_of([("id", "in", _hierarchy_ids_sql(self, comodel, operator, value))]))
        if value is False or value is None or value == []:
            if operator in ("=", "in"):
                return SQL("%s NOT IN (%s)", id_column, ids_of([]))
            if operator in ("!=", "not in"):
                return SQL("%s IN (%s)", id_column, ids_of([]))
        positive = NEGATIVE.get(operator, operator)
        if isinstance(value, str) or positive in ("like", "ilike", "=like", "=ilike"):
            domain = [(comodel._rec_name or "id", positive, value)]
        else:
            ids = value if isinstance(value, (list, tuple)) else [value]
            domain = [("id", "in", list(ids))]
        sub = ids_of(domain)
        if operator in NEGATIVE:
            return SQL("%s NOT IN (%s)", id_column, sub)
        return SQL("%s IN (%s)", id_column, sub)

    def _hierarchy(self, model_name: str, operator: str, value: Any) -> SQL:
        comodel = self.model.env[model_name]
        return _hierarchy_ids_sql(self, comodel, operator, value)

    def _leaf_column(self, column: SQL, field: Field, operator: str, value: Any) -> SQL:
        if operator in ("child_of", "parent_of"):
            return SQL("%s IN (%s)", column, _hierarchy_ids_sql(self, self.model, operator, value))
        if operator in ("in", "not in"):
            return _leaf_in(column, field, operator, value)
        if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
            return _leaf_like(column, field, operator, value)
        if value is False or value is None:
            if field.type == "boolean":
                value = False
            elif operator == "=":
                return SQL("%s IS NULL", column)
            elif operator == "!=":
                return SQL("%s IS NOT NULL", column)
            else:
                return SQL("FALSE")
        value = _column_value(field, value)
        if field.type == "boolean":
            if operator == "=":
                return SQL("%s IS TRUE", column) if value else SQL("%s IS NOT TRUE", column)
            if operator == "!=":
                return SQL("%s IS NOT TRUE", column) if value else SQL("%s IS TRUE", column)
        if operator == "!=":
            return SQL("(%s != %s OR %s IS NULL)", column, value, column)
        return SQL(f"%s {operator} %s", column, value)


def _column_value(field: Field, value: Any) -> Any:
    """``value`` as a parameter for ``field``'s column; DomainError when it cannot be one."""
    if value is None or value is False:
        return value
    kind = "integer" if field.relational or field.name == "id" else field.type
    try:
        if kind == "integer":
            return int(value)
        if kind in ("float", "monetary"):
            return float(value)
        if kind == "date":
            return Date.to_date(value)
        if kind == "datetime":
            return Datetime.to_datetime(value)
    except (TypeError, ValueError):
        raise DomainError(f"Invalid value {value!r} for field {field.name!r} "
                          f"({field.type})") from None
    if kind == "json":
        return Json(value)
    return value


def _leaf_in(column: SQL, field: Field, operator: str, value: Any) -> SQL:
    if isinstance(value, (str, int, float)) or value is False or value is None:
        value = [value]
    elif not isinstance(value, (list, tuple, set, frozenset)):
        raise DomainError(f"Invalid value {value!r} for operator {operator!r}: use a list")
    if field.type == "boolean":
        wanted = {bool(v) for v in value}
        if operator == "not in":
            wanted = {True, False} - wanted
        if len(wanted) != 1:
            return SQL("TRUE") if wanted else SQL("FALSE")
        return SQL("%s IS TRUE", column) if True in wanted else SQL("%s IS NOT TRUE", column)
    check_null = any(v is False or v is None for v in value)
    values = tuple(_column_value(field, v) for v in value if not (v is False or v is None))
    if operator == "in":
        parts = [SQL("%s IN %s", column, values)] if values else []
        if check_null:
            parts.append(SQL("%s IS NULL", column))
        return SQL("(%s)", SQL(" OR ").join(parts)) if parts else SQL("FALSE")
    if not values:
        return SQL("%s IS NOT NULL", column) if check_null else SQL("TRUE")
    if check_null:
        return SQL("(%s NOT IN %s AND %s IS NOT NULL)", column, values, column)
    return SQL("(%s NOT IN %s OR %s IS NULL)", column, values, column)


def _leaf_like(column: SQL, field: Field, operator: str, value: Any) -> SQL:
    negative = operator.startswith("not ")
    base = operator.removeprefix("not ")
    keyword = "ILIKE" if base in ("ilike", "=ilike") else "LIKE"
    if base.startswith("="):
        pattern = str(value)
    else:
        pattern = "%" + _LIKE_ESCAPE.sub(r"\\\1", str(value if value is not False else "")) + "%"
    text = SQL("%s::text", column) if field.type not in ("char", "text", "html", "selection") else column
    if negative:
        return SQL(f"(%s NOT {keyword} %s OR %s IS NULL)", text, pattern, column)
    return SQL(f"%s {keyword} %s", text, pattern)


def _hierarchy_ids_sql(compiler: DomainCompiler, model: BaseModel, operator: str, value: Any) -> SQL:
    """Ids of the records below (child_of) or above (parent_of) the given ones, itself included."""
    parent = model._parent_name
    if parent not in model._fields:
        raise DomainError(f"Operator {operator!r} needs a {parent!r} field on {model._name}")
    ids = value if isinstance(value, (list, tuple)) else [value]
    if any(isinstance(v, str) for v in ids):
        names = [v for v in ids if isinstance(v, str)]
        found = model.sudo().search([(model._rec_name or "id", "in", names)])
        ids = [v for v in ids if not isinstance(v, str)] + found.ids
    table = SQL.identifier(model._table)
    column = SQL.identifier(parent)
    if operator == "child_of":
        step = SQL("SELECT t.id FROM %s t JOIN tree ON t.%s = tree.id", table, column)
    else:
        step = SQL("SELECT t.%s FROM %s t JOIN tree ON t.id = tree.id WHERE t.%s IS NOT NULL",
                   column, table, column)
    return SQL("WITH RECURSIVE tree(id) AS (SELECT unnest(%s::int[]) UNION %s) SELECT id FROM tree",
               [int(i) for i in ids], step)


# ----------------------------------------------------------------------
# evaluation in Python (filtered_domain)
# ----------------------------------------------------------------------
def matches(record: BaseModel, domain: list) -> bool:
    """Whether one record satisfies ``domain``, evaluated on record values."""
    stack: list[bool] = []
    for item in reversed(normalize(domain)):
        if item == "!":
            stack.append(not stack.pop())
        elif item == "&":
            stack.append(stack.pop() & stack.pop())
        elif item == "|":
            stack.append(stack.pop() | stack.pop())
        else:
            stack.append(_leaf_matches(record, item))
    return stack[0]


def _leaf_matches(record: BaseModel, leaf: tuple) -> bool:
    if leaf == TRUE_LEAF:
        return True
    if leaf == FALSE_LEAF:
        return False
    path, operator, value = leaf
    operator = operator.lower() if isinstance(operator, str) else operator
    if operator not in OPERATORS:
        raise DomainError(f"Invalid operator {operator!r} in {leaf!r}")
    if operator in ("child_of", "parent_of"):
        return bool(record.search([("id", "=", record.id), leaf]))
    *steps, last = path.split(".")
    records = record
    for step in steps:
        records = records.mapped(step)
    field = records._fields.get(last)
    if field is None:
        raise DomainError(f"Invalid field {last!r} on model {records._name!r} in {leaf!r}")
    if hasattr(value, "_ids"):
        value = list(value._ids) if operator in ("in", "not in") or len(value) != 1 \
            else value._ids[0]
    if field.relational:
        targets = records.mapped(last)
        if isinstance(value, str) or operator in ("like", "ilike", "=like", "=ilike",
                                                  "not like", "not ilike"):
            values = [target.display_name for target in targets]
        else:
            values = list(targets._ids)
    else:
        values = [rec[last] for rec in records]
        value = _python_value(field, value)
    values = values or [False]
    if operator in NEGATIVE:
        return all(_compare(v, operator, value) for v in values)
    return any(_compare(v, operator, value) for v in values)


def _python_value(field: Field, value: Any) -> Any:
    """``value`` of a domain leaf as the field's record value (dates parsed)."""
    if field.type not in ("date", "datetime") or not isinstance(value, (str, list, tuple)):
        return value
    parse = Date.to_date if field.type == "date" else Datetime.to_datetime
    if isinstance(value, str):
        return parse(value)
    return [parse(v) if isinstance(v, str) else v for v in value]


def _compare(actual: Any, operator: str, value: Any) -> bool:
    if operator == "=":
        return actual == value or (not actual and value is False)
    if operator == "!=":
        return not _compare(actual, "=", value)
    if operator == "in":
        return actual in value or (not actual and False in value)
    if operator == "not in":
        return not _compare(actual, "in", value)
    if operator in ("like", "ilike", "not like", "not ilike", "=like", "=ilike"):
        base = operator.removeprefix("not ")
        text = str(actual or "")
        if base.startswith("="):
            pattern = "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$"
            found = re.search(pattern, text, re.IGNORECASE if base == "=ilike" else 0) is not None
        elif base == "ilike":
            found = str(value).lower() in text.lower()
        else:
            found = str(value) in text
        return not found if operator.startswith("not ") else found
    if actual is False or actual is None:
        return False
    return {"<": actual < value, "<=": actual <= value, ">": actual > value,
            ">=": actual >= value}[operator]
