from postroom import api, fields, models


class Thing(models.Model):
    _inherit = "test.inherit.thing"

    b_level = fields.Integer(default=2)

    def trail(self) -> list[str]:
        return super().trail() + ["b"]

    @api.depends("b_level")
    def _compute_label(self) -> None:
        super()._compute_label()
        for thing in self:
            thing.label = f"{thing.label}|B{thing.b_level}"
