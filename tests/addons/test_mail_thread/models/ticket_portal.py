"""test.mail.ticket.portal: a mail.thread on which readers may post (``_mail_post_access``)."""

from __future__ import annotations

from postroom import fields, models


class TestMailTicketPortal(models.Model):
    _name = "test.mail.ticket.portal"
    _inherit = ["mail.thread"]
    _description = "Test Portal Ticket"
    _mail_post_access = "read"

    name = fields.Char()
    partner_id = fields.Many2one("res.partner", "Customer")
