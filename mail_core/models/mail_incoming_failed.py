"""mail.incoming.failed: incoming messages that could not be processed, kept to be replayed.

When ``message_process`` fails on a message fetched from an incoming mail server or
piped by the MTA, the message is kept here, whole, with the reason in plain words (and
the traceback, when it was a bug), in the transaction that would have processed it; the
source then acknowledges it, so that it neither loops nor gets lost. An administrator
reads the reason, fixes the cause (a fallback model, an alias, a limit…), then **Replay**
processes the message again (loop protection aside: a person decided), or **Discard**
deletes it.
"""

from __future__ import annotations

import base64
import re
import traceback
from typing import Any

from postroom import _, api, fields, models
from postroom.exceptions import UserError

from ..gateway.charsets import decode_text
from ..gateway.errors import FAILURE_TYPES, GatewayError
from ..gateway.intake import TEMPORARY_ERRORS, Source
from ..gateway.parser import parse_mail, read_message

#: how much of the header block is kept for reading
MAX_HEADERS = 64 * 1024
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


class MailIncomingFailed(models.Model):
    _name = "mail.incoming.failed"
    _description = "Failed Incoming Message"
    _order = "id desc"
    _rec_name = "subject"

    subject = fields.Char(readonly=True)
    email_from = fields.Char("From", readonly=True)
    message_id = fields.Char("Message-Id", readonly=True, index=True)
    fetchmail_server_id = fields.Many2one(
        "fetchmail.server", "Incoming Mail Server", readonly=True, ondelete="set null",
        index=True, help="Where the message was fetched. Empty: the MTA piped it to "
                         "postroom mailgate.")
    model = fields.Char("Fallback Model", readonly=True,
                        help="The model that mail matching nothing else creates records of.")
    save_original = fields.Boolean("Keep Original", readonly=True)
    strip_attachments = fields.Boolean("Drop Attachments", readonly=True)
    failure_type = fields.Selection(FAILURE_TYPES, "Failure Type", required=True, readonly=True)
    reason = fields.Text(readonly=True, help="What went wrong, and what to do about it.")
    details = fields.Text("Technical Details", readonly=True,
                          help="The traceback, when processing failed on an error.")
    attempt_count = fields.Integer("Attempts", default=1, readonly=True)
    raw = fields.Binary("Original Message", readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    headers = fields.Text(readonly=True, help="The header block of the message.")

    # ------------------------------------------------------------------
    # recording
    # ------------------------------------------------------------------
    @api.model
    def _record_failure(self, raw: bytes, source: Source, error: BaseException) -> Any:
        """Keep ``raw``, which ``source`` could not process because of ``error``."""
        headers = raw[:MAX_HEADERS]
        end = _END_OF_HEADERS.search(headers)
        headers = headers[:end.start()] if end else headers
        try:
            mail = parse_mail(read_message(headers))
            summary = {"subject": mail.subject, "email_from": mail.email_from,
                       "message_id": mail.message_id}
        except Exception:
            summary = {}
        return self.sudo().create({
            **summary, **self._failure_values(error),
            "fetchmail_server_id": source.server_id, "model": source.model,
            "save_original": source.save_original,
            "strip_attachments": source.strip_attachments,
            "raw": base64.b64encode(raw), "size": len(raw),
            "headers": decode_text(headers, "utf-8"),
        })

    @api.model
    def _failure_values(self, error: BaseException) -> dict[str, Any]:
        """The failure type, reason and details of ``error``."""
        if isinstance(error, (GatewayError, UserError)):
            return {"failure_type": getattr(error, "failure_type", "error"),
                    "reason": str(error), "details": False}
        return {"failure_type": "error",
                "reason": _("Processing failed on an error (%s: %s). This is probably a bug, or "
                            "the target model refused the record: see the technical details.",
                            type(error).__name__, " ".join(str(error).split())[:500]),
                "details": "".join(traceback.format_exception(error))}

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_replay(self) -> dict[str, Any]:
        """Replay: process the messages again, each on its own; those that succeed leave the
        list, the others get the new reason."""
        self.check_access_rights("write")
        done = self.browse()
        for failed in self.sudo():
            try:
                with self.env.cr.savepoint():
                    self.env["mail.thread"].sudo().with_context(mail_gateway_replay=True) \
                        .message_process(failed.model or None, base64.b64decode(failed.raw),
                                         save_original=failed.save_original,
                                         strip_attachments=failed.strip_attachments)
            except TEMPORARY_ERRORS:
                raise
            except Exception as exc:
                failed.write({**self._failure_values(exc),
                              "attempt_count": failed.attempt_count + 1})
            else:
                done |= failed
        done.unlink()
        return self._back_to_list() if done == self else {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": _("Replay failed"), "type": "danger", "sticky": True,
                       "message": _("%s of %s messages still fail: see their reason.",
                                    len(self) - len(done), len(self))}}

    def action_discard(self) -> dict[str, Any]:
        """Discard: delete the messages for good."""
        self.unlink()
        return self._back_to_list()

    def _back_to_list(self) -> dict[str, Any]:
        action = self.env.ref("mail_core.action_mail_incoming_failed")
        return {"type": "ir.actions.act_url", "url": f"/web/action/{action.id}",
                "target": "self"}
