"""test_orm.category: a hierarchy (parent_id/child_ids) with a recursive stored compute."""

from __future__ import annotations

from postroom import api, fields, models


class TestOrmCategory(models.Model):
    _name = "test_orm.category"
    _description = "Test Category"
    _order = "sequence, name"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    parent_id = fields.Many2one("test_orm.category", "Parent", ondelete="cascade", index=True)
    child_ids = fields.One2many("test_orm.category", "parent_id", "Children")
    full_path = fields.Char(compute="_compute_full_path", store=True)
    record_ids = fields.One2many("test_orm.record", "category_id", "Records")

    @api.depends("name", "parent_id.full_path")
    def _compute_full_path(self) -> None:
        for category in self:
            prefix = category.parent_id.full_path
            category.full_path = f"{prefix} / {category.name}" if prefix else category.name
