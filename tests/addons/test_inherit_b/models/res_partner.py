from postroom import fields, models


class Partner(models.Model):
    _inherit = "res.partner"

    inherit_b_note = fields.Char()

    def inherit_greeting(self) -> str:
        return f"B greets {self.name}"
