"""test_orm.record: one field of every type, computed, related and inverse fields, constraints."""

from __future__ import annotations

from postroom import api, fields, models
from postroom.exceptions import UserError, ValidationError


class TestOrmRecord(models.Model):
    _name = "test_orm.record"
    _description = "Test Record"
    _order = "name, id"

    name = fields.Char(required=True, index=True, help="The record's name")
    code = fields.Char(size=8, copy=False)
    description = fields.Text()
    body = fields.Html()
    body_raw = fields.Html(sanitize=False)
    count = fields.Integer(default=3)
    ratio = fields.Float(digits=(10, 2))
    weight = fields.Float()
    amount = fields.Monetary(currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", "Currency")
    flag = fields.Boolean()
    day = fields.Date()
    moment = fields.Datetime()
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    category_id = fields.Many2one("test_orm.category", "Category", ondelete="set null")
    owner_id = fields.Many2one("res.partner", "Owner", ondelete="restrict")
    line_ids = fields.One2many("test_orm.line", "record_id", "Lines", copy=True)
    expensive_line_ids = fields.One2many("test_orm.line", "record_id", "Expensive Lines",
                                         domain=[("price", ">", 100)])
    tag_ids = fields.Many2many("test_orm.tag", string="Tags")
    document = fields.Binary()
    raw_data = fields.Binary(attachment=False)
    data = fields.Json()
    secret = fields.Char(groups="base.group_system")

    total = fields.Float(compute="_compute_total", store=True)
    line_count = fields.Integer(compute="_compute_line_count")
    upper_name = fields.Char(compute="_compute_upper_name", store=True)
    owner_email = fields.Char(compute="_compute_owner_email", store=True)
    category_name = fields.Char(related="category_id.name")
    parent_category_name = fields.Char(related="category_id.parent_id.name", store=True)
    name_size = fields.Integer(compute="_compute_name_size", inverse="_inverse_name_size")

    _sql_constraints = [
        ("code_unique", "UNIQUE (code)", "The code must be unique."),
        ("count_positive", "CHECK (count >= 0)", "The count cannot be negative."),
    ]

    @api.depends("line_ids.subtotal")
    def _compute_total(self) -> None:
        for record in self:
            record.total = sum(record.line_ids.mapped("subtotal"))

    @api.depends("line_ids")
    def _compute_line_count(self) -> None:
        for record in self:
            record.line_count = len(record.line_ids)

    @api.depends("name")
    def _compute_upper_name(self) -> None:
        for record in self:
            record.upper_name = record.name.upper() if record.name else False

    @api.depends("owner_id.email")
    def _compute_owner_email(self) -> None:
        for record in self:
            record.owner_email = record.owner_id.email

    @api.depends("name")
    def _compute_name_size(self) -> None:
        for record in self:
            record.name_size = len(record.name or "")

    def _inverse_name_size(self) -> None:
        for record in self:
            record.name = "x" * record.name_size

    @api.constrains("ratio")
    def _check_ratio(self) -> None:
        for record in self:
            if record.ratio > 100:
                raise ValidationError("The ratio cannot exceed 100.")

    @api.constrains("total")
    def _check_total(self) -> None:
        for record in self:
            if record.total > 1_000_000:
                raise ValidationError("The total cannot exceed a million.")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_done(self) -> None:
        if any(record.state == "done" for record in self):
            raise UserError("Done records cannot be deleted.")

    def describe(self) -> str:
        """Overridden by the extension to check ``super()`` chains."""
        return "record"
