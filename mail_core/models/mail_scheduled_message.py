"""mail.scheduled.message: a chatter message waiting to be posted at a given time.

The composer creates one when *Send* is pressed with a scheduled date: nothing is posted
or sent until then. At that time the "Mail: post scheduled messages" action (woken for it
by ``ir.cron._trigger``, not left to its periodic run) posts it as its author, whose right
to post on the document is checked again; its emails then leave with the queue, within
seconds. Until then it can be edited, posted at once, or cancelled.

A message that cannot be posted stays, marked failed with the reason, and its author is
told.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg2

from postroom import _, api, fields, models
from postroom.orm.fields import Command

_logger = logging.getLogger(__name__)

#: messages posted per run of the scheduled action; more wait for the next run, triggered at once
POST_BATCH = 50


class MailScheduledMessage(models.Model):
    _name = "mail.scheduled.message"
    _description = "Scheduled Message"
    _order = "scheduled_date, id"
    _rec_name = "subject"

    model = fields.Char("Document Model", required=True, index=True)
    res_id = fields.Integer("Document ID", required=True, index=True)
    record_name = fields.Char("Document", compute="_compute_record_name")
    subject = fields.Char()
    body = fields.Html("Contents")
    author_id = fields.Many2one("res.partner", "Author", ondelete="set null")
    email_from = fields.Char("From")
    reply_to = fields.Char("Reply To")
    partner_ids = fields.Many2many("res.partner", "mail_scheduled_message_res_partner_rel",
                                   "scheduled_message_id", "partner_id", string="Recipients")
    attachment_ids = fields.Many2many("ir.attachment", "mail_scheduled_message_ir_attachment_rel",
                                      "scheduled_message_id", "attachment_id",
                                      string="Attachments")
    subtype_id = fields.Many2one("mail.message.subtype", "Subtype", ondelete="set null")
    scheduled_date = fields.Datetime("Scheduled Date", required=True, index=True,
                                     help="When the message is posted (UTC).")
    state = fields.Selection([("scheduled", "Scheduled"), ("failed", "Failed")],
                             default="scheduled", required=True, readonly=True)
    failure_reason = fields.Text(readonly=True)

    def _compute_record_name(self) -> None:
        for message in self:
            record = self.env[message.model].sudo().browse(message.res_id).exists() \
                if message.model in self.env else None
            message.record_name = record.display_name if record else False

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        messages = super().create(vals_list)
        messages._wake_cron()
        return messages

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if vals.get("scheduled_date"):
            self._wake_cron()
        return result

    def _wake_cron(self) -> None:
        """Have the posting action run at each message's time (to the second)."""
        self.env.ref("mail_core.ir_cron_post_scheduled_message").sudo()._trigger(
            sorted(set(self.mapped("scheduled_date"))))

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_post_now(self) -> bool:
        """Post now, without waiting for the scheduled time."""
        self._post()
        return True

    def action_cancel(self) -> bool:
        """Cancel: the message is never posted; the files uploaded for it go too."""
        files = self.mapped("attachment_ids").filtered(lambda a: not a.res_model)
        self.unlink()
        files.unlink()
        return True

    # ------------------------------------------------------------------
    # posting
    # ------------------------------------------------------------------
    @api.model
    def _post_due(self) -> None:
        """Mail: post scheduled messages. Post the due ones, each as its author."""
        due = self.search([("state", "=", "scheduled"),
                           ("scheduled_date", "<=", fields.Datetime.now())], limit=POST_BATCH)
        due._post()
        if len(due) == POST_BATCH:
            self.env.ref("mail_core.ir_cron_post_scheduled_message")._trigger()

    def _post(self) -> None:
        """Post each message as the user who scheduled it; a failure is kept and told."""
        for message in self.sudo():
            try:
                with self.env.cr.savepoint():
                    message._post_one()
            except psycopg2.OperationalError:
                raise
            except Exception as exc:
                _logger.warning("scheduled message %s failed: %s", message.id, exc)
                message._fail(str(exc))

    def _post_one(self) -> None:
        author = self.create_uid
        record = self.env[self.model].with_user(author).browse(self.res_id)
        record.message_post(
            body=self.body or "", subject=self.subject or None, message_type="comment",
            subtype_id=self.subtype_id.id or None, partner_ids=self.partner_ids.ids,
            attachment_ids=self.attachment_ids.ids, author_id=self.author_id.id or None,
            email_from=self.email_from or None, reply_to=self.reply_to or None)
        self.unlink()

    def _fail(self, reason: str) -> None:
        self.write({"state": "failed", "failure_reason": reason})
        if self.create_uid.partner_id:
            self.env["mail.thread"].message_notify(
                partner_ids=self.create_uid.partner_id.ids,
                subject=_("Your scheduled message could not be posted"),
                body=_("Your message %(subject)s on %(document)s, scheduled for %(date)s UTC, "
                       "could not be posted: %(reason)s",
                       subject=self.subject or "", document=self.record_name or self.model,
                       date=self.scheduled_date, reason=reason))

    @api.model
    def _values_from_post(self, record: Any, scheduled_date: Any, **post: Any) -> dict[str, Any]:
        """The values of a message scheduled on `record` from :meth:`message_post` arguments."""
        return {
            "model": record._name, "res_id": record.id, "scheduled_date": scheduled_date,
            "body": post.get("body") or "", "subject": post.get("subject") or False,
            "author_id": post.get("author_id") or False,
            "email_from": post.get("email_from") or False,
            "reply_to": post.get("reply_to") or False,
            "subtype_id": post.get("subtype_id") or False,
            "partner_ids": [Command.set(post.get("partner_ids") or [])],
            "attachment_ids": [Command.set(post.get("attachment_ids") or [])],
        }
