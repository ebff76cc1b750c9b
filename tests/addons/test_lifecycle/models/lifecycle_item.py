from postroom import fields, models


class LifecycleItem(models.Model):
    _name = "test.lifecycle.item"
    _description = "Lifecycle Item"

    name = fields.Char(required=True)
    code = fields.Char()
    partner_id = fields.Many2one("res.partner", ondelete="set null")
