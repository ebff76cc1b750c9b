"""test.mail.order: a document with a customer, an amount, a deadline and a state."""

from __future__ import annotations

from typing import Any

from postroom import fields, models


class TestMailOrder(models.Model):
    _name = "test.mail.order"
    _inherit = ["mail.thread"]
    _description = "Test Order"

    name = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", "Customer")
    user_id = fields.Many2one("res.users", "Salesperson")
    currency_id = fields.Many2one("res.currency", "Currency")
    amount_total = fields.Monetary("Total")
    state = fields.Selection([("draft", "Quotation"), ("sent", "Sent"), ("sale", "Sales Order"),
                              ("cancel", "Cancelled")], default="draft", tracking=True)
    date_order = fields.Date("Order Date")
    date_deadline = fields.Datetime("Deadline")
    note = fields.Text()
    secret = fields.Char(groups="base.group_system")
    posted_count = fields.Integer(help="Bumped by every post: business code that writes the "
                                       "record when a message is posted.")

    def message_post(self, **kwargs: Any) -> Any:
        message = super().message_post(**kwargs)
        self.sudo().write({"posted_count": self.posted_count + 1})
        return message
