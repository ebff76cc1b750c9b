"""Recordset behaviour: iteration, set operators, mapped/filtered/sorted, environments."""

from __future__ import annotations

import pytest

from postroom.orm.environment import SUPERUSER_ID


@pytest.fixture
def records(orm_env):
    return orm_env["test_orm.record"].create([
        {"name": "b", "count": 2, "weight": 1.0}, {"name": "a", "count": 3, "weight": 2.0},
        {"name": "c", "count": 1, "weight": 3.0}])


def test_ids_len_bool_iter(orm_env, records):
    assert len(records) == 3 and records
    assert records.ids == list(records._ids) and isinstance(records.ids, list)
    assert [r.id for r in records] == records.ids
    assert all(len(r) == 1 for r in records)
    empty = orm_env["test_orm.record"]
    assert not empty and len(empty) == 0 and empty.ids == []
    assert empty.name is False and empty.count == 0 and empty.id is False


def test_indexing_and_contains(orm_env, records):
    assert records[0].id == records.ids[0]
    assert records[-1].id == records.ids[-1]
    assert records[1:].ids == records.ids[1:]
    assert records[0] in records
    assert "name" in records and "nope" not in records
    other = orm_env["test_orm.record"].create({"name": "x"})
    assert other not in records
    assert records[0]["name"] == "b"
    with pytest.raises(TypeError):
        assert orm_env["test_orm.tag"].create({"name": "t"}) in records


def test_ensure_one(orm_env, records):
    assert records[0].ensure_one() == records[0]
    with pytest.raises(ValueError):
        records.ensure_one()
    with pytest.raises(ValueError):
        orm_env["test_orm.record"].ensure_one()
    with pytest.raises(ValueError):
        records.name


def test_set_operators(orm_env, records):
    a, b, c = records
    assert (a | b) | (b | c) == records
    assert ((a | b) | (b | c)).ids == [a.id, b.id, c.id]
    assert ((a | b) & (b | c)).ids == [b.id]
    assert (records - b).ids == [a.id, c.id]
    assert (a + a + b).ids == [a.id, a.id, b.id]
    assert a.union(b, c) == records
    assert a | b == b | a
    same = records.browse(records.ids)
    assert (a | b) < records and records <= same and not records < same
    assert a != b and hash(a | b) == hash(b | a)
    assert a != orm_env["test_orm.tag"].browse(a.id)
    with pytest.raises(TypeError):
        a | orm_env["test_orm.tag"]


def test_browse_and_exists(orm_env, records):
    Record = orm_env["test_orm.record"]
    assert Record.browse(records.ids) == records
    assert Record.browse(records[0].id) == records[0]
    assert Record.browse() == Record.browse([]) == Record
    assert Record.browse(False) == Record


def test_mapped(orm_env, records):
    assert records.mapped("name") == ["b", "a", "c"]
    assert records.mapped(lambda r: r.count * 2) == [4, 6, 2]
    category = orm_env["test_orm.category"].create({"name": "cat"})
    records[:2].write({"category_id": category.id})
    assert records.mapped("category_id") == category
    assert records.mapped("category_id.name") == ["cat"]
    assert records.mapped(lambda r: r.category_id) == category
    assert orm_env["test_orm.record"].mapped("name") == []
    assert records.mapped("") == records


def test_filtered(records):
    assert records.filtered(lambda r: r.count >= 2).mapped("name") == ["b", "a"]
    records[0].flag = True
    assert records.filtered("flag") == records[0]
    assert not records.filtered(lambda r: False)


def test_filtered_domain(orm_env, records):
    assert records.filtered_domain([("count", ">", 1)]).mapped("name") == ["b", "a"]
    assert records.filtered_domain(["|", ("name", "=", "c"), ("count", "=", 3)]).mapped("name") \
        == ["a", "c"]
    assert records.filtered_domain([("name", "ilike", "A")]).mapped("name") == ["a"]
    assert records.filtered_domain([("name", "in", ["a", "b"]), ("weight", "<=", 1.5)]) \
        == records[0]
    assert records.filtered_domain([("category_id", "=", False)]) == records
    assert records.filtered_domain(["!", ("name", "=", "a")]).mapped("name") == ["b", "c"]
    records[0].day = "2024-05-01"
    assert records.filtered_domain([("day", ">=", "2024-01-01")]) == records[0]
    assert records.filtered_domain([]) == records


def test_sorted(orm_env, records):
    assert records.sorted("count").mapped("count") == [1, 2, 3]
    assert records.sorted("count", reverse=True).mapped("count") == [3, 2, 1]
    assert records.sorted("count desc").mapped("count") == [3, 2, 1]
    assert records.sorted(lambda r: r.weight, reverse=True).mapped("weight") == [3.0, 2.0, 1.0]
    assert records.sorted().mapped("name") == ["a", "b", "c"]  # _order = "name, id"
    assert records.sorted(reverse=True).mapped("name") == ["c", "b", "a"]
    records[1].category_id = orm_env["test_orm.category"].create({"name": "z"})
    assert records.sorted("category_id")[-1] == records[1]


def test_grouped(records):
    records[0].state = "done"
    groups = records.grouped("state")
    assert set(groups) == {"draft", "done"} and groups["done"] == records[0]


def test_sudo_with_user_with_context(orm_env, records, make_user):
    user = make_user("base.group_user")
    as_user = records.with_user(user)
    assert as_user.env.uid == user.id and not as_user.env.su
    assert as_user.sudo().env.su and as_user.sudo().env.uid == user.id
    assert as_user.sudo().sudo(False).env.su is False
    assert records.env.su  # the superuser is always su
    ctx = records.with_context(lang="fr_FR", foo=1)
    assert ctx.env.context == {"lang": "fr_FR", "foo": 1}
    assert ctx.with_context(foo=2).env.context == {"lang": "fr_FR", "foo": 2}
    assert ctx.with_context({"bar": 1}).env.context == {"bar": 1}
    assert records.env.context == {}
    assert ctx.ids == records.ids
    with pytest.raises(TypeError):
        ctx.env.context["x"] = 1


def test_environment(orm_env, make_user):
    assert orm_env.uid == SUPERUSER_ID and orm_env.su
    assert orm_env.user.id == SUPERUSER_ID
    assert orm_env.company == orm_env.ref("base.main_company")
    user = make_user("base.group_user")
    user_env = orm_env(user=user.id)
    assert user_env.user == user and not user_env.su
    assert user_env.company == user.company_id
    assert orm_env(user=user.id) is user_env  # environments are reused
    assert "test_orm.record" in orm_env and "nope" not in orm_env
    with pytest.raises(KeyError):
        orm_env["nope"]


def test_env_ref(orm_env):
    group = orm_env.ref("base.group_user")
    assert group._name == "res.groups" and group.name == "Internal User"
    assert orm_env.ref("base.nope", raise_if_not_found=False) is None
    with pytest.raises(ValueError):
        orm_env.ref("base.nope")


def test_display_name_and_name_search(orm_env):
    Record = orm_env["test_orm.record"]
    foo, foobar, _bar = Record.create([{"name": "foo"}, {"name": "foobar"}, {"name": "bar"}])
    assert foo.display_name == "foo"
    found = Record.name_search("foo")
    assert [name for _id, name in found] == ["foo", "foobar"]
    assert Record.name_search("foo", operator="=") == [(foo.id, "foo")]
    assert Record.name_search("foo", args=[("id", "!=", foo.id)]) == [(foobar.id, "foobar")]
    assert len(Record.name_search("", limit=2)) == 2
    assert orm_env["test_orm.mixed"].create({"label": "xyz"}).display_name == "xyz"
    assert orm_env["test_orm.mixed"].name_search("xy")[0][1] == "xyz"
