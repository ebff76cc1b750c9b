"""res.country: countries, with their ISO code, from the CLDR (Babel)."""

from __future__ import annotations

from babel import Locale

from postroom import api, fields, models


class ResCountry(models.Model):
    _name = "res.country"
    _description = "Country"
    _order = "name"

    name = fields.Char("Country Name", required=True)
    code = fields.Char("Country Code", size=2, help="ISO 3166-1 alpha-2, e.g. BE")
    phone_code = fields.Integer("Country Calling Code")
    currency_id = fields.Many2one("res.currency", "Currency")

    _sql_constraints = [("code_uniq", "UNIQUE (code)", "The country code must be unique.")]

    @api.model
    def _load_cldr_countries(self) -> None:
        """Create every ISO country known to the CLDR, with ``base.<code>`` external ids."""
        territories = Locale("en", "US").territories
        existing = set(self.with_context(active_test=False).search([]).mapped("code"))
        values = [{"name": name, "code": code} for code, name in sorted(territories.items())
                  if len(code) == 2 and code.isalpha() and code not in existing
                  and code not in ("ZZ", "XA", "XB", "EU", "EZ", "UN", "QO")]
        countries = self.create(values)
        self.env["ir.model.data"]._update_xmlids([
            {"xml_id": f"base.{country.code.lower()}", "record": country, "noupdate": True}
            for country in countries])
