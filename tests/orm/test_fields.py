"""Field types: conversions between Python, the cache, the column and read()."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from postroom.exceptions import ValidationError
from postroom.orm.fields import Command


def _reread(record):
    record.env.invalidate_all()
    return record


def test_char_text_size_and_empty(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "code": "ABCDEFGHIJ",
                                                 "description": "line 1\nline 2"})
    assert record.code == "ABCDEFGH"  # size=8 truncates
    assert _reread(record).code == "ABCDEFGH"
    assert record.description == "line 1\nline 2"
    record.description = False
    assert _reread(record).description is False


def test_html_is_sanitized_unless_disabled(orm_env):
    dirty = '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:x">l</a></p>'
    record = orm_env["test_orm.record"].create({"name": "A", "body": dirty, "body_raw": dirty})
    _reread(record)
    assert "script" not in record.body and "onclick" not in record.body
    assert "javascript" not in record.body
    assert "<p>Hi" in record.body
    assert record.body_raw == dirty
    record.write({"body": "<b onmouseover='x'>bold</b>"})
    assert _reread(record).body == "<b>bold</b>"


def test_numbers(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "ratio": 12.345, "weight": 1.5,
                                                 "amount": "10.10"})
    _reread(record)
    assert record.count == 3  # default
    assert record.ratio == 12.35 or record.ratio == 12.34  # digits=(10, 2)
    assert isinstance(record.ratio, float) and isinstance(record.amount, float)
    assert record.weight == 1.5
    assert record.amount == 10.1
    record.write({"count": False, "weight": None})
    _reread(record)
    assert record.count == 0 and record.weight == 0.0


def test_monetary_currency_field(orm_env):
    field = orm_env["test_orm.record"]._fields["amount"]
    assert field.type == "monetary" and field.currency_field == "currency_id"


def test_boolean(orm_env):
    records = orm_env["test_orm.record"].create([{"name": "A", "flag": True}, {"name": "B"}])
    _reread(records)
    assert records[0].flag is True and records[1].flag is False
    assert orm_env["test_orm.record"].search([("id", "in", records.ids), ("flag", "=", False)]) \
        == records[1]
    assert orm_env["test_orm.record"].search([("id", "in", records.ids), ("flag", "!=", True)]) \
        == records[1]
    assert orm_env["test_orm.record"].search([("id", "in", records.ids), ("flag", "in", [False])]) \
        == records[1]


def test_date_and_datetime(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "day": "2024-02-29",
                                                 "moment": "2024-02-29 13:14:15"})
    _reread(record)
    assert record.day == datetime.date(2024, 2, 29)
    assert record.moment == datetime.datetime(2024, 2, 29, 13, 14, 15)
    aware = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    record.moment = aware
    assert _reread(record).moment == datetime.datetime(2024, 3, 1, 10, 0)
    assert record.read(["day", "moment"])[0] == {"id": record.id, "day": "2024-02-29",
                                                  "moment": "2024-03-01 10:00:00"}
    with pytest.raises(ValueError):
        record.write({"day": "29/02/2024"})


def test_selection_and_selection_add(orm_env):
    field = orm_env["test_orm.record"]._fields["state"]
    assert field.selection == [("draft", "Draft"), ("done", "Done"), ("cancel", "Cancelled")]
    record = orm_env["test_orm.record"].create({"name": "A"})
    assert record.state == "draft"
    record.state = "cancel"
    assert _reread(record).state == "cancel"
    with pytest.raises(ValidationError):
        record.state = "bogus"


def test_json(orm_env):
    value = {"a": [1, 2, {"b": None}], "c": "é"}
    record = orm_env["test_orm.record"].create({"name": "A", "data": value})
    assert _reread(record).data == value
    record.data = [1, "two"]
    assert _reread(record).data == [1, "two"]
    record.data = False
    assert _reread(record).data is False
    record.data = {"k": 1}
    assert orm_env["test_orm.record"].search([("data", "=", {"k": 1})]) == record


def test_binary_in_attachment(orm_env):
    content = base64.b64encode(b"\x00\x01 binary")
    record = orm_env["test_orm.record"].create({"name": "A", "document": content})
    attachment = orm_env["ir.attachment"].search([("res_model", "=", "test_orm.record"),
                                                  ("res_id", "=", record.id),
                                                  ("res_field", "=", "document")])
    assert len(attachment) == 1
    assert _reread(record).document == content
    record.document = base64.b64encode(b"other")
    assert _reread(record).document == base64.b64encode(b"other")
    assert record.read(["document"])[0]["document"] == base64.b64encode(b"other").decode()
    record.document = False
    assert _reread(record).document is False
    assert not attachment.exists()


def test_binary_column(orm_env):
    content = base64.b64encode(b"raw bytes")
    record = orm_env["test_orm.record"].create({"name": "A", "raw_data": content})
    assert not orm_env["ir.attachment"].search([("res_model", "=", "test_orm.record"),
                                                ("res_id", "=", record.id)])
    assert _reread(record).raw_data == content


def test_binary_attachments_go_with_record(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "document": base64.b64encode(b"x")})
    record.unlink()
    assert not orm_env["ir.attachment"].search([("res_model", "=", "test_orm.record"),
                                                ("res_id", "=", record.id)])


def test_many2one_values(orm_env):
    category = orm_env["test_orm.category"].create({"name": "Cat"})
    record = orm_env["test_orm.record"].create({"name": "A", "category_id": category.id})
    assert record.category_id == category
    record.category_id = False
    assert not _reread(record).category_id
    assert record.category_id._name == "test_orm.category"
    record.category_id = category
    assert record.read(["category_id"])[0]["category_id"] == (category.id, "Cat")
    assert record.read(["category_id"], load=None)[0]["category_id"] == category.id


def test_many2many_commands(orm_env):
    Tag = orm_env["test_orm.tag"]
    t1, t2, t3 = Tag.create([{"name": "t1"}, {"name": "t2"}, {"name": "t3"}])
    record = orm_env["test_orm.record"].create({"name": "A", "tag_ids": [(6, 0, [t1.id, t2.id])]})
    assert record.tag_ids == t1 | t2
    record.write({"tag_ids": [Command.link(t3.id), Command.unlink(t1.id)]})
    assert _reread(record).tag_ids == t2 | t3
    record.write({"tag_ids": [Command.create({"name": "t4"})]})
    assert sorted(_reread(record).tag_ids.mapped("name")) == ["t2", "t3", "t4"]
    record.write({"tag_ids": [Command.clear()]})
    assert not _reread(record).tag_ids
    record.tag_ids = t1 | t3
    assert _reread(record).tag_ids == t1 | t3
    assert t1.record_ids == record  # the other side of the relation
    record.write({"tag_ids": [Command.delete(t1.id)]})
    assert not t1.exists()
    assert record.tag_ids == t3


def test_one2many_commands(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A", "line_ids": [
        Command.create({"name": "l1", "price": 1}), Command.create({"name": "l2", "price": 2})]})
    l1, l2 = record.line_ids
    assert (l1.name, l2.name) == ("l1", "l2")
    assert l1.record_id == record
    record.write({"line_ids": [Command.update(l1.id, {"price": 5}), Command.delete(l2.id)]})
    assert not l2.exists()
    assert l1.price == 5
    assert _reread(record).line_ids == l1
    other = orm_env["test_orm.record"].create({"name": "B"})
    other.write({"line_ids": [Command.link(l1.id)]})
    assert l1.record_id == other
    assert not record.line_ids and other.line_ids == l1
    other.write({"line_ids": [Command.set([])]})
    assert not l1.exists()  # record_id is required: detached lines are deleted


def test_field_attributes(orm_env):
    fields = orm_env["test_orm.record"]._fields
    assert fields["name"].string == "Title"  # overridden by the extension
    assert fields["name"].help == "The record's name"
    assert fields["name"].required and fields["name"].index
    assert fields["category_id"].string == "Category"
    assert fields["weight"].string == "Weight"  # derived from the name
    assert fields["total"].readonly and not fields["total"].copy
    assert fields["line_ids"].copy and not fields["code"].copy
    assert fields["extension_note"].default == "extended"


def test_index_created(orm_env):
    orm_env.cr.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'test_orm_record'")
    names = {row[0] for row in orm_env.cr.fetchall()}
    assert "test_orm_record__name_index" in names
    assert "test_orm_record__weight_index" not in names


def test_required(orm_env):
    with pytest.raises(ValidationError, match="Title"):
        orm_env["test_orm.record"].create({"code": "x"})
    record = orm_env["test_orm.record"].create({"name": "A"})
    with pytest.raises(ValidationError):
        record.write({"name": False})
    orm_env.cr.execute("SELECT is_nullable FROM information_schema.columns "
                       "WHERE table_name = 'test_orm_record' AND column_name = 'name'")
    assert orm_env.cr.fetchone()[0] == "NO"


def test_defaults_and_context_defaults(orm_env):
    Record = orm_env["test_orm.record"]
    assert Record.default_get(["count", "state", "name"]) == {"count": 3, "state": "draft"}
    record = Record.with_context(default_count=7, default_name="ctx").create({})
    assert (record.count, record.name) == (7, "ctx")
    record = Record.with_context(default_count=7).create({"name": "A", "count": 1})
    assert record.count == 1


def test_read_all_fields_skips_binary(orm_env):
    record = orm_env["test_orm.record"].create({"name": "A"})
    values = record.read()[0]
    assert "document" not in values
    assert values["name"] == "A" and values["tag_ids"] == [] and values["display_name"] == "A"
    assert json.dumps(values, default=str)


TRICKY_TEXT = ["tab\there", "new\nline", "back\\slash", "quote ' and \"", "\\N", "",
               "unicode é ✓ 😀", "carriage\rreturn", "percent %s %(x)s"]


def _tricky_values(index, category_id):
    text = TRICKY_TEXT[index % len(TRICKY_TEXT)]
    return {
        "name": f"{text} {index}", "description": text, "body_raw": f"<p>{text}</p>",
        "count": index, "ratio": index / 3, "weight": -index * 1.25, "amount": index * 0.1,
        "flag": bool(index % 2), "day": datetime.date(2024, 1, 1 + index % 28),
        "moment": datetime.datetime(2024, 1, 1, 12, index % 60, 30, 123456),
        "state": ["draft", "done", "cancel"][index % 3], "category_id": category_id if index % 2 else False,
        "data": {"text": text, "list": [index, None, True], "nested": {"k": text}},
        "raw_data": base64.b64encode(text.encode() + bytes([0, 255, index % 256])),
    }


@pytest.mark.parametrize("count", [3, 150])  # INSERT, and COPY for large batches
def test_batch_create_round_trips_every_type(orm_env, count):
    category = orm_env["test_orm.category"].create({"name": "c"})
    values = [_tricky_values(i, category.id) for i in range(count)]
    records = orm_env["test_orm.record"].create(values)
    names = [name for name, field in records._fields.items()
             if name in values[0] and field.type != "binary"]
    orm_env.invalidate_all()
    for record, expected in zip(records, values):
        for name in names:
            value = record[name]
            if name == "category_id":
                value = value.id
            elif name == "ratio":
                assert value == round(expected[name], 2)
                continue
            assert value == expected[name], (name, value, expected[name])
        assert record.raw_data == expected["raw_data"]
        assert record.upper_name == expected["name"].upper()
