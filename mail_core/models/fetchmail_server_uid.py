"""fetchmail.server.uid: the messages of a mailbox an incoming mail server has handled.

One row per message processed (or kept in the failed list), written in the same
transaction as the processing, under a unique key: a message is recorded if and only if
its work committed, and two fetches can never both process it. ``scope`` is the IMAP
folder and its UIDVALIDITY, or ``pop3``; ``uid`` the IMAP UID or the POP UIDL. A
``baseline`` row holds the last IMAP UID present at the first fetch of a folder: older
mail, already read then, is left alone. The fetch forgets rows it no longer needs.
"""

from __future__ import annotations

from postroom import fields, models


class FetchmailServerUid(models.Model):
    _name = "fetchmail.server.uid"
    _description = "Handled Incoming Message"
    _log_access = False
    _rec_name = "uid"

    server_id = fields.Many2one("fetchmail.server", "Incoming Mail Server", required=True,
                                ondelete="cascade", index=True)
    scope = fields.Char(required=True, help="The IMAP folder and its UIDVALIDITY, or pop3.")
    kind = fields.Selection([("message", "Handled message"),
                             ("baseline", "Last message before the first fetch")],
                            required=True, default="message")
    uid = fields.Char("UID", required=True, help="The IMAP UID, or the POP UIDL.")

    _sql_constraints = [("server_scope_kind_uid_unique", "UNIQUE (server_id, scope, kind, uid)",
                         "A message of a mailbox is handled once.")]
