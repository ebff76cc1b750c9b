"""res.currency: currencies with their symbol, its position and rounding."""

from __future__ import annotations

import math

from postroom import api, fields, models


class ResCurrency(models.Model):
    _name = "res.currency"
    _description = "Currency"
    _order = "active desc, name"

    name = fields.Char("Currency", size=3, required=True, help="ISO 4217 code, e.g. EUR")
    full_name = fields.Char("Name")
    symbol = fields.Char(required=True)
    position = fields.Selection([("after", "After Amount"), ("before", "Before Amount")],
                                default="after", string="Symbol Position")
    rounding = fields.Float("Rounding Factor", digits=(12, 6), default=0.01)
    decimal_places = fields.Integer(compute="_compute_decimal_places")
    active = fields.Boolean(default=True)

    _sql_constraints = [("unique_name", "UNIQUE (name)", "The currency code must be unique."),
                        ("rounding_gt_zero", "CHECK (rounding > 0)",
                         "The rounding factor must be greater than 0.")]

    @api.depends("rounding")
    def _compute_decimal_places(self) -> None:
        for currency in self:
            rounding = currency.rounding or 0.01
            currency.decimal_places = max(0, int(math.ceil(-math.log10(rounding)))) \
                if 0 < rounding < 1 else 0

    def round(self, amount: float) -> float:
        """``amount`` rounded to this currency's precision."""
        self.ensure_one()
        rounding = self.rounding or 0.01
        return round(round(amount / rounding) * rounding, self.decimal_places)

    def is_zero(self, amount: float) -> bool:
        return self.round(amount) == 0
