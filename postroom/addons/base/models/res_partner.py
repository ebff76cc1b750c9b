"""res.partner: contacts and companies, the people mail is exchanged with."""

from __future__ import annotations

from email.utils import formataddr, getaddresses

from postroom import api, fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _description = "Contact"
    _order = "complete_name, id"
    _rec_name = "complete_name"

    name = fields.Char(index=True)
    complete_name = fields.Char(compute="_compute_complete_name", store=True, index=True,
                                precompute=True)
    active = fields.Boolean(default=True)
    is_company = fields.Boolean("Is a Company")
    company_type = fields.Selection([("person", "Individual"), ("company", "Company")],
                                    compute="_compute_company_type")
    parent_id = fields.Many2one("res.partner", "Related Company", index=True)
    child_ids = fields.One2many("res.partner", "parent_id", "Contacts")
    commercial_partner_id = fields.Many2one("res.partner", compute="_compute_commercial_partner",
                                            precompute=True,
                                            store=True, index=True, string="Commercial Entity")
    type = fields.Selection([("contact", "Contact"), ("invoice", "Invoice Address"),
                             ("delivery", "Delivery Address"), ("other", "Other Address")],
                            default="contact")
    function = fields.Char("Job Position")
    email = fields.Char(index=True)
    email_formatted = fields.Char(compute="_compute_email_formatted",
                                  help='"Name" <email>, as used in mail headers')
    phone = fields.Char()
    mobile = fields.Char()
    website = fields.Char()
    street = fields.Char()
    street2 = fields.Char()
    zip = fields.Char()
    city = fields.Char()
    country_id = fields.Many2one("res.country", "Country", ondelete="restrict")
    lang = fields.Char("Language", default=lambda self: self.env.lang or "en_US",
                       help="Emails and documents are rendered in this language (e.g. en_US).")
    tz = fields.Char("Timezone", help="e.g. Europe/Brussels")
    vat = fields.Char("Tax ID")
    ref = fields.Char("Reference", index=True)
    comment = fields.Html("Notes")
    company_id = fields.Many2one("res.company", "Company", index=True)
    user_ids = fields.One2many("res.users", "partner_id", "Users")
    category_id = fields.Many2many("res.partner.category", string="Tags")
    color = fields.Integer()

    @api.depends("name", "parent_id.complete_name", "is_company")
    def _compute_complete_name(self) -> None:
        for partner in self:
            name = partner.name or ""
            if partner.parent_id and not partner.is_company:
                parent = partner.parent_id.complete_name or partner.parent_id.name or ""
                name = f"{parent}, {name}" if name else parent
            partner.complete_name = name or False

    @api.depends("is_company")
    def _compute_company_type(self) -> None:
        for partner in self:
            partner.company_type = "company" if partner.is_company else "person"

    @api.depends("is_company", "parent_id.commercial_partner_id")
    def _compute_commercial_partner(self) -> None:
        for partner in self:
            if partner.is_company or not partner.parent_id:
                partner.commercial_partner_id = partner
            else:
                partner.commercial_partner_id = partner.parent_id.commercial_partner_id

    @api.depends("name", "email")
    def _compute_email_formatted(self) -> None:
        for partner in self:
            partner.email_formatted = formataddr((partner.name or "", partner.email)) \
                if partner.email else False

    @api.model
    def find_or_create(self, email: str) -> ResPartner:
        """The partner with this address, created from it if none exists."""
        parsed = getaddresses([email])
        name, address = parsed[0] if parsed else ("", email)
        if not address:
            raise ValueError(f"{email!r} holds no email address")
        partner = self.search([("email", "=ilike", address)], limit=1)
        return partner or self.create({"name": name or address, "email": address})


class ResPartnerCategory(models.Model):
    _name = "res.partner.category"
    _description = "Contact Tag"
    _order = "name"

    name = fields.Char(required=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)
    partner_ids = fields.Many2many("res.partner", string="Contacts")
