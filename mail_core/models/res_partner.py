"""res.partner becomes a mail.thread: contacts have a chatter and followers."""

from __future__ import annotations

from postroom import models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "mail.thread"]
