"""res.company: the organisations using Postroom."""

from __future__ import annotations

from typing import Any

from postroom import api, fields, models


class ResCompany(models.Model):
    _name = "res.company"
    _description = "Company"
    _order = "sequence, name"

    name = fields.Char(related="partner_id.name", readonly=False, store=True)
    partner_id = fields.Many2one("res.partner", "Partner", required=True, ondelete="restrict")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    email = fields.Char(related="partner_id.email", readonly=False)
    phone = fields.Char(related="partner_id.phone", readonly=False)
    website = fields.Char(related="partner_id.website", readonly=False)
    currency_id = fields.Many2one("res.currency", "Currency")
    user_ids = fields.Many2many("res.users", "res_company_users_rel", "cid", "user_id",
                                string="Accepted Users")

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        for vals in vals_list:
            if not vals.get("partner_id"):
                partner = self.env["res.partner"].create({"name": vals.get("name"),
                                                          "is_company": True,
                                                          "email": vals.get("email")})
                vals["partner_id"] = partner.id
        companies = super().create(vals_list)
        for company in companies:
            company.partner_id.company_id = company
        return companies
