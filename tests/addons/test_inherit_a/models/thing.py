from postroom import api, fields, models


class Thing(models.Model):
    _name = "test.inherit.thing"
    _description = "Inherited Thing"

    name = fields.Char(required=True)
    label = fields.Char(compute="_compute_label")

    def trail(self) -> list[str]:
        return ["a"]

    @api.depends("name")
    def _compute_label(self) -> None:
        for thing in self:
            thing.label = f"A:{thing.name}"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["name"] = vals.get("name", "").strip()
        return super().create(vals_list)
