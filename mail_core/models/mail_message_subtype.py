"""mail.message.subtype: what kind of event a message is, and so who hears of it.

Followers choose the subtypes they follow. "Discussions" (``mail_core.mt_comment``,
what *Send message* posts) is followed by default; "Note" (``mail_core.mt_note``,
what *Log note* posts) is internal: only internal users ever see or receive it.
"""

from __future__ import annotations

from typing import Any

from postroom import api, fields, models


class MailMessageSubtype(models.Model):
    _name = "mail.message.subtype"
    _description = "Message Subtype"
    _order = "sequence, id"

    name = fields.Char(required=True)
    description = fields.Text(help="Shown in the chatter as the message body when the message "
                                   "has none (e.g. 'Stage changed').")
    internal = fields.Boolean(help="Messages of this subtype are seen and received by internal "
                                   "users only, never by portal users or customers.")
    res_model = fields.Char("Model", help="The model this subtype applies to; empty: every model.")
    default = fields.Boolean(default=True, help="New followers follow it.")
    hidden = fields.Boolean(help="Not offered when a follower edits the subtypes they follow.")
    sequence = fields.Integer(default=1)

    @api.model
    def _get_for_model(self, model_name: str) -> Any:
        """The subtypes that apply to ``model_name`` (generic ones included)."""
        return self.sudo().search(["|", ("res_model", "=", False), ("res_model", "=", model_name)])

    @api.model
    def _default_subtypes(self, model_name: str) -> tuple[Any, Any]:
        """``(all default subtypes, the internal ones among them)`` for new followers."""
        defaults = self._get_for_model(model_name).filtered("default")
        return defaults, defaults.filtered("internal")
