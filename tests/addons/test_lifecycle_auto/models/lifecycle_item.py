from postroom import fields, models


class LifecycleItem(models.Model):
    _inherit = "test.lifecycle.item"

    auto_flag = fields.Boolean(default=True)
