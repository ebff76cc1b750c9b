"""SQL injection attempts through domain values, field names, order and read_group specs."""

from __future__ import annotations

import pytest

from postroom.orm.domain import DomainError
from postroom.orm.sql import SQL

PAYLOADS = [
    "x' OR '1'='1",
    "x'; DROP TABLE test_orm_record; --",
    "x\\'; DELETE FROM test_orm_record; --",
    "%' OR 1=1 --",
    "' UNION SELECT id FROM res_users --",
]


def _table_intact(env, count):
    env.cr.execute("SELECT count(*) FROM test_orm_record")
    return env.cr.fetchone()[0] == count


@pytest.fixture
def record(orm_env):
    return orm_env["test_orm.record"].create({"name": "target", "description": PAYLOADS[0]})


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("operator", ["=", "!=", "like", "ilike", "=like", "=ilike", "in", "not in",
                                      "<", ">="])
def test_domain_values_are_parameters(orm_env, record, payload, operator):
    orm_env.cr.execute("SELECT count(*) FROM test_orm_record")
    count = orm_env.cr.fetchone()[0]
    value = [payload] if operator in ("in", "not in") else payload
    found = orm_env["test_orm.record"].search([("name", operator, value)])
    if operator in ("=", "like", "ilike", "=like", "=ilike", "in"):
        assert record not in found
    assert _table_intact(orm_env, count)
    # the value matches itself literally, and nothing else
    assert orm_env["test_orm.record"].search([("description", "=", PAYLOADS[0])]) == record


@pytest.mark.parametrize("payload", PAYLOADS)
def test_values_through_paths_and_relations(orm_env, record, payload):
    Record = orm_env["test_orm.record"]
    assert not Record.search([("category_id.name", "=", payload)])
    assert not Record.search([("category_id", "ilike", payload)])
    assert not Record.search([("tag_ids", "=", payload)])
    assert not Record.name_search(payload)
    assert record.exists()


@pytest.mark.parametrize("payload", ["1) OR (1=1", "1; DROP TABLE test_orm_record", "0 OR 1=1"])
def test_numeric_values_are_checked(orm_env, record, payload):
    with pytest.raises(DomainError):
        orm_env["test_orm.record"].search([("count", "=", payload)])
    with pytest.raises(DomainError):
        orm_env["test_orm.record"].search([("id", "in", [payload])])
    with pytest.raises(DomainError):
        orm_env["test_orm.record"].search([("category_id", "=", [payload])])


@pytest.mark.parametrize("name", [
    "name = name OR 1=1 --", 'name" OR "1"="1', "name; DROP TABLE x", "id) OR (1=1",
    "category_id.name OR 1=1", "name--", '"name"', "NAME",
])
def test_field_names_are_refused(orm_env, record, name):
    with pytest.raises(DomainError):
        orm_env["test_orm.record"].search([(name, "=", "x")])
    with pytest.raises(ValueError):
        orm_env["test_orm.record"].read_group([], ["count"], [name])
    with pytest.raises(ValueError):
        record.read([name])
    with pytest.raises(ValueError):
        record.write({name: "x"})


@pytest.mark.parametrize("operator", ["= 1 OR 1 =", "; DROP TABLE x; --", "IS NOT", "~*", "<>"])
def test_operators_are_refused(orm_env, operator):
    with pytest.raises(DomainError):
        orm_env["test_orm.record"].search([("name", operator, "x")])


@pytest.mark.parametrize("order", [
    "name; DROP TABLE test_orm_record", "name desc, (SELECT 1)", "name asc --", "1",
    "name DESC NULLS FIRST; SELECT 1", "(CASE WHEN 1=1 THEN name END)", "name collate \"C\"",
    "pg_sleep(1)", "id desc limit 1",
])
def test_order_is_validated(orm_env, record, order):
    with pytest.raises(ValueError):
        orm_env["test_orm.record"].search([], order=order)
    assert record.exists()


@pytest.mark.parametrize("spec", ["count:sum) FROM pg_user --", "x:pg_sleep(count)",
                                  "count:sum(count) --", "count:avg(name); DROP"])
def test_aggregates_are_validated(orm_env, spec):
    with pytest.raises(ValueError):
        orm_env["test_orm.record"].read_group([], [spec], ["state"])


def test_limit_and_offset_are_integers(orm_env, record):
    with pytest.raises((ValueError, TypeError)):
        orm_env["test_orm.record"].search([], limit="1; DROP TABLE x")
    with pytest.raises((ValueError, TypeError)):
        orm_env["test_orm.record"].search([], offset="0 OR 1=1")


def test_identifiers_are_checked():
    with pytest.raises(ValueError):
        SQL.identifier('name"; DROP TABLE x; --')
    with pytest.raises(ValueError):
        SQL.identifier("table", "col umn")
    assert SQL.identifier("res_partner", "name").code == '"res_partner"."name"'


def test_string_values_never_become_code(orm_env):
    query = SQL("SELECT %s", "'; DROP TABLE x; --")
    assert query.code == "SELECT %s" and query.params == ("'; DROP TABLE x; --",)
    orm_env.cr.execute(query.code, query.params)
    assert orm_env.cr.fetchone()[0] == "'; DROP TABLE x; --"
