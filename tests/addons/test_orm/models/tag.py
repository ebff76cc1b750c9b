"""test_orm.tag: the comodel of a many2many, with an active flag and a global record rule."""

from __future__ import annotations

from postroom import fields, models


class TestOrmTag(models.Model):
    _name = "test_orm.tag"
    _description = "Test Tag"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    record_ids = fields.Many2many("test_orm.record", string="Records")
