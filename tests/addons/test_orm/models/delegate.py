"""test_orm.delegate: delegation inheritance (_inherits) of test_orm.record."""

from __future__ import annotations

from postroom import fields, models


class TestOrmDelegate(models.Model):
    _name = "test_orm.delegate"
    _inherits = {"test_orm.record": "record_id"}
    _description = "Test Delegate"

    record_id = fields.Many2one("test_orm.record", "Record", required=True, ondelete="cascade")
    extra = fields.Char()
