from postroom import fields, models


class Partner(models.Model):
    _inherit = "res.partner"

    lifecycle_code = fields.Char()
    lifecycle_item_ids = fields.Many2many("test.lifecycle.item", "test_lifecycle_partner_item_rel",
                                          "partner_id", "item_id")

    _sql_constraints = [
        ("lifecycle_color_check", "CHECK (color IS NULL OR color < 1000)", "Color too large."),
    ]
