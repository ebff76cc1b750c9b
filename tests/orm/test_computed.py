"""Computed, related and inverse fields; recomputation after changes."""

from __future__ import annotations

import pytest

from postroom.exceptions import UserError
from postroom.orm.fields import Command


def _db_value(env, table, column, record_id):
    env.cr.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', (record_id,))
    return env.cr.fetchone()[0]


def test_stored_compute_on_create_and_write(orm_env):
    record = orm_env["test_orm.record"].create({"name": "abc"})
    assert record.upper_name == "ABC"
    assert _db_value(orm_env, "test_orm_record", "upper_name", record.id) == "ABC"
    record.name = "xyz"
    assert record.upper_name == "XYZ"
    assert _db_value(orm_env, "test_orm_record", "upper_name", record.id) == "XYZ"


def test_stored_compute_batch_values_differ(orm_env):
    records = orm_env["test_orm.record"].create([{"name": f"n{i}"} for i in range(30)])
    orm_env.cr.execute("SELECT id, upper_name FROM test_orm_record WHERE id = ANY(%s)",
                       (records.ids,))
    assert dict(orm_env.cr.fetchall()) == {r.id: r.name.upper() for r in records}


def test_stored_compute_on_one2many_subfield(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "line_ids": [
        Command.create({"quantity": 2, "price": 3}), Command.create({"quantity": 1, "price": 4})]})
    assert record.total == 10
    line = record.line_ids[0]
    line.price = 10  # subtotal (stored) changes, then the record's total
    assert line.subtotal == 20
    assert record.total == 24
    assert _db_value(orm_env, "test_orm_record", "total", record.id) == 24
    # a new line, created on its own, changes the total
    orm_env["test_orm.line"].create({"record_id": record.id, "quantity": 1, "price": 1})
    assert record.total == 25
    # deleting a line too
    line.unlink()
    assert record.total == 5
    assert _db_value(orm_env, "test_orm_record", "total", record.id) == 5
    # moving a line to another record changes both totals
    other = orm_env["test_orm.record"].create({"name": "B"})
    record.line_ids[0].record_id = other
    assert (record.total, other.total) == (1, 4)
    assert _db_value(orm_env, "test_orm_record", "total", other.id) == 4


def test_stored_compute_on_dotted_many2one_path(orm_env):
    partner = orm_env["res.partner"].create({"name": "P", "email": "p@example.com"})
    records = orm_env["test_orm.record"].create([{"name": "A", "owner_id": partner.id},
                                                 {"name": "B", "owner_id": partner.id}])
    assert records.mapped("owner_email") == ["p@example.com"] * 2
    partner.email = "new@example.com"
    assert records.mapped("owner_email") == ["new@example.com"] * 2
    assert _db_value(orm_env, "test_orm_record", "owner_email", records[0].id) == \
        "new@example.com"
    records[0].owner_id = orm_env["res.partner"].create({"name": "Q", "email": "q@example.com"})
    assert records.mapped("owner_email") == ["q@example.com", "new@example.com"]


def test_non_stored_compute_is_invalidated(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A"})
    assert record.line_count == 0
    orm_env["test_orm.line"].create({"record_id": record.id})
    assert record.line_count == 1
    record.write({"line_ids": [Command.create({}), Command.create({})]})
    assert record.line_count == 3
    record.line_ids[0].unlink()
    assert record.line_count == 2
    assert record.name_size == 1
    record.name = "four"
    assert record.name_size == 4


def test_computed_without_store_cannot_be_written(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A"})
    with pytest.raises(UserError):
        record.write({"line_count": 5})


def test_inverse(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "name_size": 3})
    assert record.name == "xxx"
    record.name_size = 5
    assert record.name == "xxxxx" and record.upper_name == "XXXXX"
    orm_env.invalidate_all()
    assert record.name == "xxxxx"


def test_recursive_stored_compute_in_one_batch(orm_env):
    Category = orm_env["test_orm.category"]
    root = Category.create({"name": "root"})
    # children before and after their parents in the same batch
    child = Category.create({"name": "child", "parent_id": root.id})
    grand = Category.create({"name": "grand", "parent_id": child.id})
    assert grand.full_path == "root / child / grand"
    root.name = "ROOT"
    assert child.full_path == "ROOT / child"
    assert grand.full_path == "ROOT / child / grand"
    assert _db_value(orm_env, "test_orm_category", "full_path", grand.id) == "ROOT / child / grand"


def test_recursive_stored_compute_batch_with_parent_later(orm_env):
    Category = orm_env["test_orm.category"]
    a, b = Category.create([{"name": "a"}, {"name": "b"}])
    # write both in one go: b's new parent is a, whose own path changes in the same write
    (a | b).write({"sequence": 5})
    b.parent_id = a
    (a | b).write({"name": "z"})
    assert b.full_path == "z / z"


def test_related_fields(orm_env):
    parent = orm_env["test_orm.category"].create({"name": "Parent"})
    category = orm_env["test_orm.category"].create({"name": "Cat", "parent_id": parent.id})
    record = orm_env["test_orm.record"].create({"name": "A", "category_id": category.id})
    assert record.category_name == "Cat"
    assert record.parent_category_name == "Parent"
    assert _db_value(orm_env, "test_orm_record", "parent_category_name", record.id) == "Parent"
    parent.name = "Renamed"
    assert record.parent_category_name == "Renamed"
    assert _db_value(orm_env, "test_orm_record", "parent_category_name", record.id) == "Renamed"
    category.name = "Cat2"
    assert record.category_name == "Cat2"
    record.category_id = False
    assert record.category_name is False and record.parent_category_name is False
    # searching on related fields
    record.category_id = category
    Record = orm_env["test_orm.record"]
    assert Record.search([("category_name", "=", "Cat2")]) == record
    assert Record.search([("parent_category_name", "=", "Renamed")]) == record
    field = Record._fields["category_name"]
    assert field.string == "Name" and not field.store and field.readonly


def test_related_line_field(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "line_ids": [Command.create({})]})
    line = record.line_ids
    assert line.record_name == "A"
    record.name = "B"
    assert line.record_name == "B"


def test_display_name_follows_rec_name(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A"})
    assert record.display_name == "A"
    record.name = "B"
    assert record.display_name == "B"
    mixed = orm_env["test_orm.mixed"].create({"label": "L"})
    assert mixed._rec_name == "label" and mixed.display_name == "L"
    empty = orm_env["test_orm.mixed"].create({})
    assert empty.display_name == f"Test Mixed,{empty.id}"


def test_compute_failing_to_assign_is_reported(orm_env, monkeypatch):
    Record = type(orm_env["test_orm.record"])
    monkeypatch.setattr(Record, "_compute_line_count", lambda self: None)
    record = orm_env["test_orm.record"].create({"name": "A"})
    with pytest.raises(ValueError, match="line_count"):
        record.line_count


def test_precompute_small_and_bulk_create(orm_env, count_queries):
    record = orm_env["test_orm.record"].create({"name": "r"})
    Line = orm_env["test_orm.line"]
    one = Line.create({"record_id": record.id, "name": "pen", "quantity": 2})
    assert one.label == "2 x pen"
    assert _db_value(orm_env, "test_orm_line", "label", one.id) == "2 x pen"
    with count_queries() as counter:
        many = Line.create([{"record_id": record.id, "name": f"n{i}", "quantity": i}
                            for i in range(250)])
    orm_env.cr.execute("SELECT id, label FROM test_orm_line WHERE id = ANY(%s)", (many.ids,))
    assert dict(orm_env.cr.fetchall()) == {line.id: f"{i} x n{i}" for i, line in enumerate(many)}
    assert counter.count < 20, counter.count
    # a given value wins over the computation; later changes recompute it
    given = Line.create({"record_id": record.id, "name": "x", "label": "custom"})
    assert given.label == "custom"
    given.quantity = 7
    assert given.label == "7 x x"


def test_writing_a_stored_computed_field(orm_env):
    record = orm_env["test_orm.record"].create({"name": "abc"})
    record.write({"upper_name": "forced"})
    assert record.upper_name == "forced"
    assert _db_value(orm_env, "test_orm_record", "upper_name", record.id) == "forced"
    record.name = "def"  # a change of its dependencies computes it again
    assert record.upper_name == "DEF"


def test_constraint_on_stored_computed_field(orm_env):
    from postroom.exceptions import ValidationError
    record = orm_env["test_orm.record"].create({"name": "r"})
    with pytest.raises(ValidationError, match="million"):
        orm_env["test_orm.line"].create({"record_id": record.id, "price": 2_000_000})


def test_one2many_with_domain(orm_env):
    record = orm_env["test_orm.record"].create({"name": "r", "line_ids": [
        Command.create({"price": 50}), Command.create({"price": 500})]})
    cheap, dear = record.line_ids
    assert record.expensive_line_ids == dear
    cheap.price = 150
    assert record.expensive_line_ids == cheap | dear
    dear.price = 1
    assert record.expensive_line_ids == cheap
