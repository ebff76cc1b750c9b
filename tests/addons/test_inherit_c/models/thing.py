from postroom import api, fields, models


class Thing(models.Model):
    _inherit = "test.inherit.thing"

    c_note = fields.Char()
    partner_id = fields.Many2one("res.partner", ondelete="set null")

    def trail(self) -> list[str]:
        return super().trail() + ["c"]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("c_note", "made in C")
        return super().create(vals_list)
