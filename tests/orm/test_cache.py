"""The transaction cache: prefetching in batches, and invalidation after every change."""

from __future__ import annotations

from postroom.orm.fields import Command


def _records(env, count, **values):
    return env["test_orm.record"].create(
        [{"name": f"rec {i}", "count": i, "weight": i / 2, **values} for i in range(count)])


def test_reading_three_fields_over_2000_records(orm_env, count_queries):
    records = _records(orm_env, 2000)
    orm_env.invalidate_all()
    records = orm_env["test_orm.record"].browse(records.ids)
    with count_queries() as counter:
        values = [(r.name, r.count, r.weight) for r in records]
    assert values[1500] == ("rec 1500", 1500, 750.0)
    assert counter.count <= 4, counter.count  # one query per 1000 records


def test_read_over_2000_records(orm_env, count_queries):
    records = _records(orm_env, 2000)
    orm_env.invalidate_all()
    with count_queries() as counter:
        rows = records.read(["name", "count", "weight"])
    assert len(rows) == 2000 and rows[7] == {"id": records[7].id, "name": "rec 7", "count": 7,
                                             "weight": 3.5}
    assert counter.count <= 3, counter.count


def test_search_then_read_is_prefetched(orm_env, count_queries):
    records = _records(orm_env, 300)
    orm_env.invalidate_all()
    with count_queries() as counter:
        found = orm_env["test_orm.record"].search([("id", "in", records.ids)])
        total = sum(r.count for r in found)
        names = [r.name for r in found]
    assert total == sum(range(300)) and len(names) == 300
    assert counter.count <= 3, counter.count


def test_many2one_targets_are_prefetched_together(orm_env, count_queries):
    categories = orm_env["test_orm.category"].create([{"name": f"cat {i}"} for i in range(50)])
    records = orm_env["test_orm.record"].create(
        [{"name": f"r{i}", "category_id": categories[i % 50].id} for i in range(500)])
    orm_env.invalidate_all()
    records = orm_env["test_orm.record"].browse(records.ids)
    with count_queries() as counter:
        names = {r.category_id.name for r in records}
    assert len(names) == 50
    assert counter.count <= 3, counter.count  # records, then categories


def test_x2many_are_prefetched_together(orm_env, count_queries):
    records = orm_env["test_orm.record"].create(
        [{"name": f"r{i}", "line_ids": [Command.create({"price": i}), Command.create({})]}
         for i in range(100)])
    orm_env.invalidate_all()
    records = orm_env["test_orm.record"].browse(records.ids)
    with count_queries() as counter:
        prices = [sum(r.line_ids.mapped("price")) for r in records]
    assert prices == [float(i) for i in range(100)]
    assert counter.count <= 3, counter.count  # the lines' ids, then their values


def test_cached_values_cost_no_query(orm_env, count_queries):
    record = orm_env["test_orm.record"].create({"name": "A"})
    record.name
    with count_queries() as counter:
        for _ in range(100):
            record.name
            record.count
    assert counter.count == 0


def test_write_updates_the_cache(orm_env, count_queries):
    records = _records(orm_env, 10)
    records.mapped("name")
    records[3].write({"name": "changed"})
    with count_queries() as counter:
        assert records[3].name == "changed"
    assert counter.count == 0
    orm_env.invalidate_all()
    assert records[3].name == "changed"


def test_create_fills_the_cache(orm_env, count_queries):
    with count_queries() as counter:
        record = orm_env["test_orm.record"].create({"name": "new", "count": 5})
    with count_queries() as read:
        assert (record.name, record.count, record.state) == ("new", 5, "draft")
    assert read.count == 0, counter.count


def test_unlink_invalidates(orm_env):
    records = _records(orm_env, 3)
    records.mapped("name")
    records[1].unlink()
    assert records.exists() == records[0] | records[2]
    assert len(records.read(["name"])) == 2


def test_one2many_follows_inverse_changes(orm_env):
    a = orm_env["test_orm.record"].create({"name": "a"})
    b = orm_env["test_orm.record"].create({"name": "b"})
    line = orm_env["test_orm.line"].create({"record_id": a.id})
    assert a.line_ids == line and not b.line_ids  # now cached
    line.record_id = b
    assert not a.line_ids and b.line_ids == line
    line2 = orm_env["test_orm.line"].create({"record_id": b.id})
    assert b.line_ids == line | line2
    line.unlink()
    assert b.line_ids == line2
    line2.active = False  # archived lines leave the one2many
    assert not b.line_ids
    line2.active = True
    assert b.line_ids == line2


def test_many2many_both_sides(orm_env):
    tag = orm_env["test_orm.tag"].create({"name": "t"})
    record = orm_env["test_orm.record"].create({"name": "r"})
    assert not tag.record_ids and not record.tag_ids
    record.tag_ids = tag
    assert tag.record_ids == record
    tag.write({"record_ids": [Command.clear()]})
    assert not record.tag_ids
    tag.write({"record_ids": [Command.link(record.id)]})
    assert record.tag_ids == tag
    tag.active = False
    assert not record.tag_ids  # archived tags leave the many2many
    tag.active = True
    assert record.tag_ids == tag
    tag.unlink()
    assert not record.tag_ids


def test_computed_on_many2many_of_other_side(orm_env):
    tag = orm_env["test_orm.tag"].create({"name": "t"})
    record = orm_env["test_orm.record"].create({"name": "r"})
    assert record.tag_ids.mapped("name") == []
    tag.write({"record_ids": [Command.link(record.id)]})
    assert record.tag_ids.mapped("name") == ["t"]
    tag.name = "renamed"
    assert record.tag_ids.mapped("name") == ["renamed"]


def test_stored_compute_follows_one2many_subfield_changes(orm_env):
    record = orm_env["test_orm.record"].create({"name": "r", "line_ids": [
        Command.create({"price": 2, "quantity": 3})]})
    assert record.total == 6
    record.line_ids.quantity = 5
    assert record.total == 10
    record.write({"line_ids": [Command.create({"price": 1})]})
    assert record.total == 11
    record.line_ids[0].active = False  # archived lines no longer count
    assert record.total == 1
    orm_env.invalidate_all()
    assert record.total == 1


def test_stored_compute_follows_dotted_path_changes(orm_env):
    root = orm_env["test_orm.category"].create({"name": "root"})
    other = orm_env["test_orm.category"].create({"name": "other"})
    child = orm_env["test_orm.category"].create({"name": "child", "parent_id": root.id})
    record = orm_env["test_orm.record"].create({"name": "r", "category_id": child.id})
    assert record.parent_category_name == "root"
    child.parent_id = other
    assert record.parent_category_name == "other"
    other.name = "Other"
    assert record.parent_category_name == "Other"
    other.unlink()  # the child goes with it (cascade)
    assert not child.exists()
    assert not record.category_id
    assert record.parent_category_name is False


def test_savepoint_rollback_forgets_cached_values(orm_env):
    record = orm_env["test_orm.record"].create({"name": "kept"})
    try:
        with orm_env.cr.savepoint():
            record.name = "rolled back"
            orm_env["test_orm.line"].create({"record_id": record.id, "price": 3})
            assert record.total == 3
            raise RuntimeError
    except RuntimeError:
        pass
    assert record.name == "kept"
    assert record.total == 0 and not record.line_ids


def test_invalidate_all_after_raw_sql(orm_env):
    record = orm_env["test_orm.record"].create({"name": "before"})
    orm_env.cr.execute("UPDATE test_orm_record SET name = 'after' WHERE id = %s", (record.id,))
    assert record.name == "before"
    orm_env.invalidate_all()
    assert record.name == "after"


def test_iterating_a_large_set_prefetches_by_batches(orm_env, count_queries):
    records = _records(orm_env, 2500)
    orm_env.invalidate_all()
    records = orm_env["test_orm.record"].browse(records.ids)
    with count_queries() as counter:
        for record in records:
            record.count
    assert counter.count == 3  # 1000 + 1000 + 500
