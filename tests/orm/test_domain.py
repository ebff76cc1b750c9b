"""Domain helpers and the SQL fragments they compile to (no database needed)."""

from __future__ import annotations

import pytest

from postroom.orm.domain import AND, FALSE_LEAF, OR, TRUE_LEAF, DomainError, normalize
from postroom.orm.sql import SQL


def test_normalize_makes_implicit_ands_explicit():
    a, b, c = ("a", "=", 1), ("b", "=", 2), ("c", "=", 3)
    assert normalize([]) == [TRUE_LEAF]
    assert normalize([a]) == [a]
    assert normalize([a, b]) == ["&", a, b]
    assert normalize([a, b, c]) == ["&", "&", a, b, c]
    assert normalize(["|", a, b, c]) == ["&", "|", a, b, c]
    assert normalize(["!", a, b]) == ["&", "!", a, b]
    assert normalize([["a", "=", 1]]) == [a]


@pytest.mark.parametrize("domain", [["|", ("a", "=", 1)], ["&"], ["!"], [("a", "=")], ["x"], [1]])
def test_normalize_rejects_malformed_domains(domain):
    with pytest.raises(DomainError):
        normalize(domain)


def test_and_or():
    a, b = [("a", "=", 1)], [("b", "=", 2)]
    assert AND([a, b]) == ["&", ("a", "=", 1), ("b", "=", 2)]
    assert AND([a, []]) == [("a", "=", 1)]
    assert AND([]) == []
    assert OR([a, b]) == ["|", ("a", "=", 1), ("b", "=", 2)]
    assert OR([a, []]) == []  # an empty domain matches everything
    assert OR([]) == [FALSE_LEAF]  # no domain at all matches nothing


def test_true_and_false_leaves(orm_env):
    Record = orm_env["test_orm.record"]
    record = Record.create({"name": "r"})
    assert record in Record.search([TRUE_LEAF])
    assert not Record.search([FALSE_LEAF])
    assert not Record.search(OR([]))


def test_sql_fragments_nest_and_keep_params_apart():
    inner = SQL("x = %s", 1)
    outer = SQL("(%s AND %s)", inner, SQL("y = %s", "two"))
    assert outer.code == "(x = %s AND y = %s)" and outer.params == (1, "two")
    joined = SQL(", ").join([SQL("%s", 1), SQL("%s", 2)])
    assert joined.code == "%s, %s" and joined.params == (1, 2)
    with pytest.raises(ValueError):
        SQL("%s %s", 1)
    assert SQL("a") == SQL("a") and SQL("a") != SQL("b")
