"""test_orm.line: one2many lines of a record (ondelete cascade); stored and precomputed fields."""

from __future__ import annotations

from postroom import api, fields, models


class TestOrmLine(models.Model):
    _name = "test_orm.line"
    _description = "Test Line"
    _order = "sequence, id"

    record_id = fields.Many2one("test_orm.record", "Record", required=True, ondelete="cascade",
                                index=True)
    name = fields.Char()
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    quantity = fields.Integer(default=1)
    price = fields.Float()
    subtotal = fields.Float(compute="_compute_subtotal", store=True)
    record_name = fields.Char(related="record_id.name", string="Record Name")
    label = fields.Char(compute="_compute_label", store=True, precompute=True)

    @api.depends("name", "quantity")
    def _compute_label(self) -> None:
        for line in self:
            line.label = f"{line.quantity} x {line.name or '?'}"

    @api.depends("quantity", "price")
    def _compute_subtotal(self) -> None:
        for line in self:
            line.subtotal = line.quantity * line.price
