"""create, write, unlink, read, copy, exists; constraints and ondelete."""

from __future__ import annotations

import pytest

from postroom.exceptions import MissingError, UserError, ValidationError
from postroom.orm.fields import Command


def test_create_single_and_batch(orm_env):
    Record = orm_env["test_orm.record"]
    one = Record.create({"name": "one"})
    assert len(one) == 1 and one.id
    before = orm_env.cr.sql_count
    many = Record.create([{"name": f"r{i}", "count": i} for i in range(50)])
    queries = orm_env.cr.sql_count - before
    assert len(many) == 50 and len(set(many.ids)) == 50
    assert queries <= 10, queries  # one INSERT, not one per record
    assert many.mapped("count") == list(range(50))
    assert Record.create([]) == Record.browse()


def test_create_sets_log_access_fields(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A"})
    assert record.create_uid.id == orm_env.uid and record.write_uid.id == orm_env.uid
    assert record.create_date and record.write_date


def test_create_rejects_unknown_fields(orm_env):
    with pytest.raises(ValueError, match="bogus"):
        orm_env["test_orm.record"].create({"name": "A", "bogus": 1})
    record = orm_env["test_orm.record"].create({"name": "A"})
    with pytest.raises(ValueError, match="bogus"):
        record.write({"bogus": 1})


def test_abstract_model_cannot_create(orm_env):
    with pytest.raises(TypeError):
        orm_env["test_orm.mixin"].create({"note": "x"})


def test_write_many_records(orm_env):
    records = orm_env["test_orm.record"].create([{"name": "a"}, {"name": "b"}])
    assert records.write({"count": 9, "flag": True}) is True
    orm_env.invalidate_all()
    assert records.mapped("count") == [9, 9] and records.mapped("flag") == [True, True]
    assert orm_env["test_orm.record"].browse().write({"count": 1}) is True


def test_unlink(orm_env):
    records = orm_env["test_orm.record"].create([{"name": "a"}, {"name": "b"}])
    first = records[0]
    first.unlink()
    assert not first.exists()
    assert records.exists() == records[1]
    with pytest.raises(MissingError):
        first.name


def test_unlink_cascades_and_invalidates(orm_env):
    record = orm_env["test_orm.record"].create({"name": "a", "line_ids": [Command.create({})]})
    line = record.line_ids
    assert line.name is False  # in cache
    record.unlink()
    assert not line.exists()
    with pytest.raises(MissingError):
        line.name


def test_ondelete_set_null(orm_env):
    category = orm_env["test_orm.category"].create({"name": "C"})
    record = orm_env["test_orm.record"].create({"name": "A", "category_id": category.id})
    assert record.category_id == category
    category.unlink()
    assert not record.category_id


def test_ondelete_restrict(orm_env):
    partner = orm_env["res.partner"].create({"name": "P"})
    orm_env["test_orm.record"].create({"name": "A", "owner_id": partner.id})
    with pytest.raises(UserError, match="refer"), orm_env.cr.savepoint():
        partner.unlink()
    assert partner.exists()


def test_api_ondelete_check(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "state": "done"})
    with pytest.raises(UserError, match="Done records"):
        record.unlink()
    assert record.exists()
    record.state = "draft"
    record.unlink()
    assert not record.exists()


def test_api_constrains(orm_env):
    Record = orm_env["test_orm.record"]
    with pytest.raises(ValidationError, match="ratio"):
        Record.create({"name": "A", "ratio": 150})
    record = Record.create({"name": "A", "ratio": 50})
    with pytest.raises(ValidationError):
        record.write({"ratio": 101})
    record.write({"name": "not watched"})  # a constraint runs only when its fields change


def test_sql_constraints(orm_env):
    Record = orm_env["test_orm.record"]
    Record.create({"name": "A", "code": "C1"})
    with pytest.raises(ValidationError, match="The code must be unique."), orm_env.cr.savepoint():
        Record.create({"name": "B", "code": "C1"})
    with pytest.raises(ValidationError, match="cannot be negative"), orm_env.cr.savepoint():
        Record.create({"name": "B", "count": -1})
    record = Record.create({"name": "C", "code": "C2"})
    with pytest.raises(ValidationError, match="unique"), orm_env.cr.savepoint():
        record.write({"code": "C1"})


def test_savepoint_rollback_invalidates_cache(orm_env):
    record = orm_env["test_orm.record"].create({"name": "before"})
    with pytest.raises(ValidationError), orm_env.cr.savepoint():
        record.write({"name": "inside"})
        assert record.name == "inside"
        record.write({"count": -1})
    assert record.name == "before"
    assert record.upper_name == "BEFORE"


def test_read(orm_env):
    category = orm_env["test_orm.category"].create({"name": "Cat"})
    records = orm_env["test_orm.record"].create([
        {"name": "A", "category_id": category.id, "count": 2},
        {"name": "B", "count": 5}])
    rows = records.read(["name", "count", "category_id", "tag_ids"])
    assert rows == [
        {"id": records[0].id, "name": "A", "count": 2, "category_id": (category.id, "Cat"),
         "tag_ids": []},
        {"id": records[1].id, "name": "B", "count": 5, "category_id": False, "tag_ids": []},
    ]
    with pytest.raises(ValueError):
        records.read(["nope"])
    deleted = records[1]
    deleted.unlink()
    assert [row["id"] for row in records.read(["name"])] == [records[0].id]


def test_search_read(orm_env):
    orm_env["test_orm.record"].create([{"name": "sr1", "count": 1}, {"name": "sr2", "count": 2}])
    rows = orm_env["test_orm.record"].search_read([("name", "like", "sr")], ["count"],
                                                   order="count desc")
    assert [row["count"] for row in rows] == [2, 1]


def test_copy(orm_env):
    tag = orm_env["test_orm.tag"].create({"name": "t"})
    record = orm_env["test_orm.record"].create({
        "name": "A", "code": "UNIQ", "count": 4, "tag_ids": [(6, 0, [tag.id])],
        "line_ids": [Command.create({"name": "l1", "price": 2})]})
    duplicate = record.copy()
    assert duplicate != record
    assert duplicate.name == "A" and duplicate.count == 4
    assert duplicate.code is False  # copy=False
    assert duplicate.tag_ids == tag
    assert len(duplicate.line_ids) == 1 and duplicate.line_ids != record.line_ids
    assert duplicate.line_ids.name == "l1" and duplicate.total == 2
    assert record.line_ids.record_id == record
    other = record.copy({"name": "B"})
    assert other.name == "B"


def test_exists(orm_env):
    records = orm_env["test_orm.record"].create([{"name": "a"}, {"name": "b"}])
    ghost = orm_env["test_orm.record"].browse(999999999)
    assert (records | ghost).exists() == records
    assert not ghost.exists()
    assert orm_env["test_orm.record"].browse().exists() == orm_env["test_orm.record"]
