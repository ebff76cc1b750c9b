"""mail.notification: one row per (message, partner told of it).

``notification_type`` says how: ``inbox`` (in the app; unread until the user
marks it read) or ``email`` (through a ``mail.mail`` of the queue, linked by
``mail_mail_id``). ``notification_status`` follows the delivery: ``ready``
(queued), ``sent``, ``bounce``, ``exception`` (with ``failure_type`` and a
human-readable ``failure_reason``) or ``canceled``. The queue reports delivery
through :meth:`_set_delivery_status`.
"""

from __future__ import annotations

from postroom import fields, models

#: why an email notification failed; the queue may report any of these codes
FAILURE_TYPES = [
    ("unknown", "Unknown error"),
    ("mail_email_missing", "Missing email address"),
    ("mail_email_invalid", "Invalid email address"),
    ("mail_from_missing", "Missing sender address"),
    ("mail_from_invalid", "Invalid sender address"),
    ("mail_smtp", "Connection failed (outgoing mail server problem)"),
    ("mail_bounce", "Bounced"),
    ("mail_bl", "Blacklisted address"),
    ("mail_optout", "Opted out"),
    ("mail_dup", "Duplicated email"),
]
DELIVERY_STATUSES = ("sent", "bounce", "exception", "canceled")


class MailNotification(models.Model):
    _name = "mail.notification"
    _description = "Message Notification"
    _rec_name = "res_partner_id"
    _log_access = False

    mail_message_id = fields.Many2one("mail.message", "Message", required=True, ondelete="cascade",
                                      index=True)
    res_partner_id = fields.Many2one("res.partner", "Recipient", required=True, ondelete="cascade",
                                     index=True)
    notification_type = fields.Selection([("inbox", "Inbox"), ("email", "Email")],
                                         default="inbox", required=True, index=True)
    notification_status = fields.Selection([
        ("ready", "Ready to Send"),
        ("sent", "Sent"),
        ("bounce", "Bounced"),
        ("exception", "Exception"),
        ("canceled", "Canceled"),
    ], "Status", default="ready", index=True)
    is_read = fields.Boolean("Is Read", index=True)
    read_date = fields.Datetime("Read Date", copy=False)
    mail_mail_id = fields.Many2one("mail.mail", "Mail", index=True, ondelete="set null",
                                   help="The queued email delivering this notification.")
    failure_type = fields.Selection(FAILURE_TYPES, "Failure Type")
    failure_reason = fields.Text("Failure Reason", copy=False)

    _sql_constraints = [("notification_partner_unique", "UNIQUE (mail_message_id, res_partner_id)",
                         "A partner is notified of a message only once.")]

    def _set_delivery_status(self, status: str, failure_type: str | bool = False,
                             failure_reason: str | bool = False) -> None:
        """Record the queue's verdict on these email notifications.

        ``status`` is one of :data:`DELIVERY_STATUSES`; a failure type the
        selection does not know is kept as ``unknown`` (the reason tells more).
        A successful delivery clears an earlier failure.
        """
        if status not in DELIVERY_STATUSES:
            raise ValueError(f"Invalid delivery status {status!r}: use one of {DELIVERY_STATUSES}")
        if status == "sent":
            failure_type = failure_reason = False
        elif failure_type and failure_type not in dict(FAILURE_TYPES):
            failure_type = "unknown"
        self.sudo().write({"notification_status": status, "failure_type": failure_type or False,
                           "failure_reason": failure_reason or False})

    def _format_notifications(self) -> list[dict[str, object]]:
        """The notifications as the chatter shows them (who, how, delivery status)."""
        return [{"id": notification.id, "partner_id": notification.res_partner_id.id,
                 "partner_name": notification.res_partner_id.display_name,
                 "notification_type": notification.notification_type,
                 "status": notification.notification_status, "is_read": notification.is_read,
                 "failure_type": notification.failure_type,
                 "failure_reason": notification.failure_reason}
                for notification in self.sudo()]
