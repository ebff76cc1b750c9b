"""test.mail.ticket: a mail.thread with tracked fields of several types."""

from __future__ import annotations

from typing import Any

from postroom import fields, models


class TestMailTicket(models.Model):
    _name = "test.mail.ticket"
    _inherit = ["mail.thread"]
    _description = "Test Ticket"

    name = fields.Char(tracking=1)
    partner_id = fields.Many2one("res.partner", "Customer", tracking=2)
    stage = fields.Selection([("new", "New"), ("open", "In Progress"), ("done", "Solved")],
                             default="new", tracking=3)
    priority = fields.Integer(tracking=True)
    description = fields.Text()
    secret = fields.Char(tracking=True, groups="base.group_system")

    def _track_subtype(self, initial_values: dict[str, Any]) -> Any:
        if "stage" in initial_values and self.stage == "done":
            return self.env.ref("test_mail_thread.mt_ticket_solved")
        return super()._track_subtype(initial_values)

