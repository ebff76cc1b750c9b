"""search, search_count: domains, operators, dotted paths, order, limit and offset."""

from __future__ import annotations

import pytest

from postroom.orm.domain import DomainError


@pytest.fixture
def data(orm_env):
    Category = orm_env["test_orm.category"]
    root = Category.create({"name": "root"})
    child = Category.create({"name": "child", "parent_id": root.id})
    leaf = Category.create({"name": "leaf", "parent_id": child.id})
    other = Category.create({"name": "other"})
    partner = orm_env["res.partner"].create({"name": "Owner", "email": "owner@example.com"})
    tags = orm_env["test_orm.tag"].create([{"name": "red"}, {"name": "blue"}])
    Record = orm_env["test_orm.record"]
    records = Record.create([
        {"name": "Alpha", "count": 1, "weight": 1.5, "category_id": leaf.id, "owner_id": partner.id,
         "tag_ids": [(6, 0, tags[0].ids)], "day": "2024-01-10", "flag": True,
         "line_ids": [(0, 0, {"name": "x", "price": 5})]},
        {"name": "beta", "count": 2, "weight": 2.5, "category_id": child.id, "day": "2024-02-10",
         "tag_ids": [(6, 0, tags.ids)], "description": "100% sure_thing"},
        {"name": "Gamma", "count": 3, "weight": 3.5, "category_id": other.id, "state": "done"},
        {"name": "delta", "count": 4},
    ])
    return {"records": records, "root": root, "child": child, "leaf": leaf, "other": other,
            "partner": partner, "tags": tags}


def names(records):
    return sorted(records.mapped("name"))


def search(env, domain, **kwargs):
    return env["test_orm.record"].search(domain, **kwargs)


@pytest.mark.parametrize("domain, expected", [
    ([("count", "=", 2)], ["beta"]),
    ([("count", "!=", 2)], ["Alpha", "Gamma", "delta"]),
    ([("count", "<", 2)], ["Alpha"]),
    ([("count", "<=", 2)], ["Alpha", "beta"]),
    ([("count", ">", 3)], ["delta"]),
    ([("count", ">=", 3)], ["Gamma", "delta"]),
    ([("weight", ">", 2.0)], ["Gamma", "beta"]),
    ([("count", "in", [1, 3])], ["Alpha", "Gamma"]),
    ([("count", "not in", [1, 3])], ["beta", "delta"]),
    ([("count", "in", [])], []),
    ([("name", "like", "lph")], ["Alpha"]),
    ([("name", "like", "ALPH")], []),
    ([("name", "ilike", "ALPH")], ["Alpha"]),
    ([("name", "not ilike", "a")], []),
    ([("name", "not like", "a")], []),
    ([("name", "=like", "A%")], ["Alpha"]),
    ([("name", "=like", "a%")], []),
    ([("name", "=ilike", "a%")], ["Alpha"]),
    ([("name", "=ilike", "_eta")], ["beta"]),
    ([("description", "like", "100%")], ["beta"]),  # % and _ are literal in like/ilike
    ([("description", "ilike", "e%t")], []),
    ([("description", "ilike", "0_ s")], []),
    ([("description", "ilike", "sure_thing")], ["beta"]),
    ([("description", "=", False)], ["Alpha", "Gamma", "delta"]),
    ([("description", "!=", False)], ["beta"]),
    ([("flag", "=", True)], ["Alpha"]),
    ([("flag", "=", False)], ["Gamma", "beta", "delta"]),
    ([("state", "=", "done")], ["Gamma"]),
    ([("state", "in", ["draft"])], ["Alpha", "beta", "delta"]),
    ([("day", ">=", "2024-02-01")], ["beta"]),
    ([("day", "<", "2024-02-01")], ["Alpha"]),
    ([("day", "=", False)], ["Gamma", "delta"]),
    (["|", ("count", "=", 1), ("count", "=", 4)], ["Alpha", "delta"]),
    (["&", ("count", ">", 1), ("count", "<", 4)], ["Gamma", "beta"]),
    ([("count", ">", 1), ("count", "<", 4)], ["Gamma", "beta"]),
    (["!", ("count", "=", 1)], ["Gamma", "beta", "delta"]),
    (["|", "!", ("count", "=", 1), ("name", "=", "Alpha")], ["Alpha", "Gamma", "beta", "delta"]),
    (["!", "|", ("count", "=", 1), ("count", "=", 2)], ["Gamma", "delta"]),
    (["|", "&", ("count", ">", 1), ("count", "<", 3), ("name", "=", "delta")], ["beta", "delta"]),
    ([], ["Alpha", "Gamma", "beta", "delta"]),
])
def test_operators(orm_env, data, domain, expected):
    ids = data["records"].ids
    assert names(search(orm_env, [("id", "in", ids)] + domain)) == expected


def test_many2one(orm_env, data):
    ids = [("id", "in", data["records"].ids)]
    assert names(search(orm_env, ids + [("category_id", "=", data["leaf"].id)])) == ["Alpha"]
    assert names(search(orm_env, ids + [("category_id", "=", data["leaf"])])) == ["Alpha"]
    assert names(search(orm_env, ids + [("category_id", "in", (data["leaf"] | data["other"]).ids)])) \
        == ["Alpha", "Gamma"]
    assert names(search(orm_env, ids + [("category_id", "=", False)])) == ["delta"]
    assert names(search(orm_env, ids + [("category_id", "!=", False)])) == ["Alpha", "Gamma", "beta"]
    assert names(search(orm_env, ids + [("category_id", "!=", data["leaf"].id)])) == \
        ["Gamma", "beta", "delta"]
    assert names(search(orm_env, ids + [("category_id", "not in", [data["leaf"].id])])) == \
        ["Gamma", "beta", "delta"]
    # a string is matched against the target's name
    assert names(search(orm_env, ids + [("category_id", "ilike", "LEA")])) == ["Alpha"]
    assert names(search(orm_env, ids + [("category_id", "=", "leaf")])) == ["Alpha"]
    assert names(search(orm_env, ids + [("category_id", "not ilike", "lea")])) == \
        ["Gamma", "beta", "delta"]


def test_dotted_paths(orm_env, data):
    ids = [("id", "in", data["records"].ids)]
    assert names(search(orm_env, ids + [("category_id.name", "=", "leaf")])) == ["Alpha"]
    assert names(search(orm_env, ids + [("category_id.parent_id.name", "=", "root")])) == ["beta"]
    assert names(search(orm_env, ids + [("category_id.parent_id.parent_id.name", "=", "root")])) \
        == ["Alpha"]
    assert names(search(orm_env, ids + [("owner_id.email", "ilike", "owner@")])) == ["Alpha"]
    assert names(search(orm_env, ids + [("tag_ids.name", "=", "blue")])) == ["beta"]
    assert names(search(orm_env, ids + [("tag_ids.name", "=", "red")])) == ["Alpha", "beta"]
    assert names(search(orm_env, ids + [("line_ids.price", ">", 1)])) == ["Alpha"]
    # the other way: from categories to their records
    categories = orm_env["test_orm.category"].search([("record_ids.name", "=", "beta")])
    assert categories == data["child"]


def test_x2many(orm_env, data):
    ids = [("id", "in", data["records"].ids)]
    red, blue = data["tags"]
    assert names(search(orm_env, ids + [("tag_ids", "in", blue.ids)])) == ["beta"]
    assert names(search(orm_env, ids + [("tag_ids", "=", red.id)])) == ["Alpha", "beta"]
    assert names(search(orm_env, ids + [("tag_ids", "=", False)])) == ["Gamma", "delta"]
    assert names(search(orm_env, ids + [("tag_ids", "!=", False)])) == ["Alpha", "beta"]
    assert names(search(orm_env, ids + [("tag_ids", "not in", blue.ids)])) == \
        ["Alpha", "Gamma", "delta"]
    assert names(search(orm_env, ids + [("tag_ids", "ilike", "BLU")])) == ["beta"]
    assert names(search(orm_env, ids + [("line_ids", "!=", False)])) == ["Alpha"]
    assert names(search(orm_env, ids + [("line_ids", "=", False)])) == ["Gamma", "beta", "delta"]
    line = data["records"][0].line_ids
    assert names(search(orm_env, ids + [("line_ids", "in", line.ids)])) == ["Alpha"]


def test_child_of_and_parent_of(orm_env, data):
    Category = orm_env["test_orm.category"]
    root, child, leaf = data["root"], data["child"], data["leaf"]
    assert Category.search([("id", "child_of", root.id)]) == root | child | leaf
    assert Category.search([("id", "child_of", child.id)]) == child | leaf
    assert Category.search([("id", "parent_of", leaf.id)]) == root | child | leaf
    assert Category.search([("parent_id", "child_of", root.id)]) == child | leaf
    ids = [("id", "in", data["records"].ids)]
    assert names(search(orm_env, ids + [("category_id", "child_of", root.id)])) == ["Alpha", "beta"]
    assert names(search(orm_env, ids + [("category_id", "child_of", "root")])) == ["Alpha", "beta"]


def test_active_test(orm_env):
    Tag = orm_env["test_orm.tag"]
    archived = Tag.create({"name": "archived", "active": False})
    visible = Tag.create({"name": "visible"})
    both = [("id", "in", (archived | visible).ids)]
    assert Tag.search(both) == visible
    assert Tag.with_context(active_test=False).search(both) == archived | visible
    assert Tag.search(both + [("active", "=", False)]) == archived
    assert Tag.search(both + [("active", "in", [True, False])]) == archived | visible
    assert Tag.search_count(both) == 1
    # archived records are a many2one's target, not part of an x2many (as when reading)
    record = orm_env["test_orm.record"].create({"name": "r", "tag_ids": [(6, 0, archived.ids)]})
    Record = orm_env["test_orm.record"]
    assert not Record.search([("tag_ids.name", "=", "archived")])
    assert not Record.search([("id", "=", record.id), ("tag_ids", "!=", False)])
    category = orm_env["test_orm.category"].create({"name": "old", "active": False})
    record.category_id = category
    assert Record.search([("category_id.name", "=", "old")]) == record


def test_order_limit_offset(orm_env, data):
    ids = [("id", "in", data["records"].ids)]
    Record = orm_env["test_orm.record"]
    assert Record.search(ids).mapped("name") == ["Alpha", "Gamma", "beta", "delta"]  # _order
    assert Record.search(ids, order="count desc").mapped("count") == [4, 3, 2, 1]
    assert Record.search(ids, order="count desc", limit=2).mapped("count") == [4, 3]
    assert Record.search(ids, order="count desc", limit=2, offset=1).mapped("count") == [3, 2]
    assert Record.search(ids, order="count", offset=3).mapped("count") == [4]
    assert Record.search(ids, order="day desc nulls last, count").mapped("name") == \
        ["beta", "Alpha", "Gamma", "delta"]
    assert Record.search(ids, order="category_id, count").mapped("name") == \
        ["beta", "Alpha", "Gamma", "delta"]  # by the category's name: child, leaf, other, none
    assert Record.search(ids, order="id desc").ids == sorted(data["records"].ids, reverse=True)


def test_search_count(orm_env, data):
    Record = orm_env["test_orm.record"]
    ids = [("id", "in", data["records"].ids)]
    assert Record.search_count(ids) == 4
    assert Record.search_count(ids + [("count", ">", 2)]) == 2
    assert Record.search_count(ids, limit=3) == 3


def test_search_on_related_and_inherited(orm_env, data):
    Record = orm_env["test_orm.record"]
    assert Record.search([("category_name", "=", "leaf")]) == data["records"][0]
    delegate = orm_env["test_orm.delegate"].create({"name": "delegated", "extra": "e"})
    assert orm_env["test_orm.delegate"].search([("name", "=", "delegated")]) == delegate


def test_search_on_non_stored_field_is_refused(orm_env):
    with pytest.raises(DomainError, match="line_count"):
        orm_env["test_orm.record"].search([("line_count", "=", 1)])


def test_invalid_domains(orm_env):
    Record = orm_env["test_orm.record"]
    with pytest.raises(DomainError):
        Record.search([("nope", "=", 1)])
    with pytest.raises(DomainError):
        Record.search([("name", "~", "x")])
    with pytest.raises(DomainError):
        Record.search(["|", ("name", "=", "x")])
    with pytest.raises(DomainError):
        Record.search(["bogus"])
    with pytest.raises(DomainError):
        Record.search([("count", "=", "abc")])
    with pytest.raises(ValueError):
        Record.search([], order="nope")
    with pytest.raises(ValueError):
        Record.search([], order="line_count")


def test_search_on_display_name(orm_env, data):
    Record = orm_env["test_orm.record"]
    assert names(Record.search([("id", "in", data["records"].ids),
                                ("display_name", "ilike", "ALPHA")])) == ["Alpha"]
    wizard = orm_env["test_orm.wizard"].create({"name": "w"})  # has a name: _rec_name
    assert orm_env["test_orm.wizard"].search([("display_name", "=", "w")]) == wizard
