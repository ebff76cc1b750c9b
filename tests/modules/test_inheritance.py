"""``_inherit`` across three addons: classes composed per database from installed addons only.

test_inherit_a defines ``test.inherit.thing``; test_inherit_b (depends on A) and
test_inherit_c (depends on B) extend it and ``res.partner``, each override
calling ``super()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom.orm.environment import Environment

if TYPE_CHECKING:
    from tests.modules.conftest import AddonsDB

CHAIN = ("test_inherit_a", "test_inherit_b", "test_inherit_c")


def test_three_addons_compose_fields_and_super_calls(addons_db: AddonsDB) -> None:
    registry = addons_db.install("test_inherit_c")  # brings A and B along
    assert addons_db.states(*CHAIN) == dict.fromkeys(CHAIN, "installed")
    assert addons_db.steps == ["[1/3] installing test_inherit_a", "[2/3] installing test_inherit_b",
                               "[3/3] installing test_inherit_c"]
    assert {"name", "label", "b_level", "c_note", "partner_id"} <= \
        set(registry["test.inherit.thing"]._fields)
    with addons_db.env() as env:
        partner = env["res.partner"].create({"name": "Ann", "inherit_b_note": "from B"})
        thing = env["test.inherit.thing"].create({"name": "  spaced ", "partner_id": partner.id})
        assert thing.trail() == ["a", "b", "c"]
        assert thing.name == "spaced"  # A's create override ran below C's
        assert thing.c_note == "made in C"
        assert thing.label == "A:spaced|B2"  # a compute method extended by B
        assert partner.inherit_greeting() == "B greets Ann (and C too)"
        assert partner.inherit_thing_ids == thing


def test_each_addon_owns_what_it_adds(addons_db: AddonsDB) -> None:
    addons_db.install("test_inherit_c")
    with addons_db.env() as env:
        assert env["ir.model"]._get("test.inherit.thing").modules == ", ".join(CHAIN)
    assert "field_test_inherit_thing__b_level" in addons_db.xmlids("test_inherit_b")
    assert "field_res_partner__inherit_b_note" in addons_db.xmlids("test_inherit_b")
    assert "field_test_inherit_thing__c_note" in addons_db.xmlids("test_inherit_c")
    assert "field_test_inherit_thing__b_level" not in addons_db.xmlids("test_inherit_c")


def test_uninstalling_the_top_addon_removes_its_fields_and_overrides(addons_db: AddonsDB) -> None:
    addons_db.install("test_inherit_c")
    with addons_db.env() as env:
        env["test.inherit.thing"].create({"name": "kept"})
    registry = addons_db.uninstall("test_inherit_c")
    assert addons_db.states(*CHAIN) == {"test_inherit_a": "installed",
                                        "test_inherit_b": "installed",
                                        "test_inherit_c": "uninstalled"}
    assert not {"c_note", "partner_id"} & addons_db.columns("test_inherit_thing")
    assert "b_level" in addons_db.columns("test_inherit_thing")
    assert "c_note" not in registry["test.inherit.thing"]._fields
    with addons_db.env() as env:
        thing = env["test.inherit.thing"].search([("name", "=", "kept")])
        assert thing.trail() == ["a", "b"]
        assert thing.b_level == 2
        new = env["test.inherit.thing"].create({"name": "after"})
        assert "c_note" not in new._fields
        assert env["res.partner"].create({"name": "Bob"}).inherit_greeting() == "B greets Bob"


def test_uninstalling_the_root_addon_takes_its_dependents(addons_db: AddonsDB) -> None:
    addons_db.install("test_inherit_c")
    registry = addons_db.uninstall("test_inherit_a")
    assert addons_db.steps[-3:] == ["[1/3] uninstalling test_inherit_c",
                                    "[2/3] uninstalling test_inherit_b",
                                    "[3/3] uninstalling test_inherit_a"]
    assert addons_db.states(*CHAIN) == dict.fromkeys(CHAIN, "uninstalled")
    assert addons_db.tables("test_inherit%") == set()
    assert "inherit_b_note" not in addons_db.columns("res_partner")
    assert "test.inherit.thing" not in registry
    assert not hasattr(registry["res.partner"], "inherit_greeting")


def test_classes_are_composed_per_database(addons_db: AddonsDB, env: Environment) -> None:
    """The shared test database does not have the addons a committed copy installed."""
    registry = addons_db.install("test_inherit_b")
    assert "inherit_b_note" in registry["res.partner"]._fields
    assert "test.inherit.thing" not in env
    assert "inherit_b_note" not in env["res.partner"]._fields
    assert not hasattr(env["res.partner"], "inherit_greeting")
    assert env.registry["res.partner"] is not registry["res.partner"]
