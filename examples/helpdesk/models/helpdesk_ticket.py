"""helpdesk.ticket: a customer's request, followed in a chatter until it is solved.

A ticket is a ``mail.thread``: its subject, customer, responsible and status are tracked,
and mail coming in through an incoming mail server (or ``postroom mailgate --model
helpdesk.ticket``) opens tickets, while replies land in the chatter of theirs::

    env["mail.thread"].message_process("helpdesk.ticket", raw_email)

Numbers come from the ``helpdesk.ticket`` sequence (``HD/2026/0042``). Solving a ticket is
posted with the public subtype *Ticket Solved*, so the customer following it is told.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from postroom import _, api, fields, models

STATES = [("new", "New"), ("in_progress", "In Progress"),
          ("waiting", "Waiting for Customer"), ("done", "Solved")]
PRIORITIES = [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")]


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["mail.thread"]
    _description = "Ticket"
    _order = "priority desc, id desc"

    name = fields.Char("Subject", required=True, tracking=1)
    number = fields.Char(readonly=True, copy=False, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", index=True, tracking=2)
    partner_email = fields.Char("Email", related="partner_id.email")
    user_id = fields.Many2one("res.users", "Responsible", index=True, tracking=3,
                              domain=[("share", "=", False)])
    state = fields.Selection(STATES, "Status", required=True, default="new", index=True,
                             tracking=4)
    priority = fields.Selection(PRIORITIES, required=True, default="1")
    deadline = fields.Date(tracking=5, help="When the customer must have an answer.")
    description = fields.Html()

    _sql_constraints = [("number_uniq", "UNIQUE (number)", "Two tickets cannot share a number.")]

    @api.depends("number", "name")
    def _compute_display_name(self) -> None:
        for ticket in self:
            ticket.display_name = f"{ticket.number} {ticket.name}" if ticket.number \
                else ticket.name or _("New Ticket")

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> HelpdeskTicket:
        sequence = self.env["ir.sequence"]
        vals_list = [{**vals, "number": vals.get("number")
                      or sequence.next_by_code("helpdesk.ticket")} for vals in vals_list]
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # header buttons
    # ------------------------------------------------------------------
    def action_start(self) -> bool:
        """Start (or resume) working on the tickets."""
        return self.write({"state": "in_progress"})

    def action_wait(self) -> bool:
        """Wait for the customer's answer."""
        return self.write({"state": "waiting"})

    def action_done(self) -> bool:
        """Mark the tickets solved (the customer following them is told)."""
        return self.write({"state": "done"})

    def action_reopen(self) -> bool:
        """Reopen solved tickets."""
        return self.write({"state": "in_progress"})

    def action_assign_to_me(self) -> bool:
        """Make the current user responsible for the tickets."""
        return self.write({"user_id": self.env.uid})

    # ------------------------------------------------------------------
    # chatter
    # ------------------------------------------------------------------
    def _track_subtype(self, initial_values: dict[str, Any]) -> Any:
        if "state" in initial_values and self.state == "done":
            return self.env.ref("helpdesk.mt_ticket_solved")
        return super()._track_subtype(initial_values)

    @api.model
    def _mail_default_template(self) -> Any:
        """Send by Email starts from a template written to the ticket's customer (*Default
        Recipients*), rather than one for the team such as a reminder."""
        return self.env["mail.template"].search(
            [("model", "=", self._name), ("use_default_to", "=", True)], limit=1) \
            or super()._mail_default_template()

    def _load_demo_history(self, messages: list[dict[str, Any]]) -> None:
        """Log past messages on the ticket (demo data), without notifying anyone: their
        emails went out back then. Each dict holds ``_message_log``'s keyword arguments;
        authors of emails and comments follow the ticket, as they would have."""
        self.ensure_one()
        for values in messages:
            message = self._message_log(**values)
            if message.message_type != "notification" and message.author_id:
                self._message_subscribe(message.author_id.ids)

    # ------------------------------------------------------------------
    # mail gateway
    # ------------------------------------------------------------------
    @api.model
    def message_new(self, msg_dict: dict[str, Any],
                    custom_values: dict[str, Any] | None = None) -> HelpdeskTicket:
        """A new email opens a ticket: its subject is the ticket's, its sender the customer
        (a contact created if none has the address), its body the description."""
        values = dict(custom_values or {})
        if not values.get("partner_id") and parseaddr(msg_dict.get("email_from") or "")[1]:
            values["partner_id"] = msg_dict.get("author_id") or \
                self.env["res.partner"].find_or_create(msg_dict["email_from"]).id
        values.setdefault("description", msg_dict.get("body"))
        return super().message_new(msg_dict, values)

    def message_update(self, msg_dict: dict[str, Any],
                       update_vals: dict[str, Any] | None = None) -> bool:
        """A reply of the customer to a ticket waiting for them puts it back in progress."""
        answered = self.filtered(lambda ticket: ticket.state == "waiting" and ticket.partner_id
                                 and ticket.partner_id.id == msg_dict.get("author_id"))
        answered.write({"state": "in_progress"})
        return super().message_update(msg_dict, update_vals)
