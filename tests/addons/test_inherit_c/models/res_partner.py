from postroom import fields, models


class Partner(models.Model):
    _inherit = "res.partner"

    inherit_thing_ids = fields.One2many("test.inherit.thing", "partner_id")

    def inherit_greeting(self) -> str:
        return super().inherit_greeting() + " (and C too)"
