"""mail.thread: the chatter of a record — messages, followers, tracking, notifications.

Any model becomes a thread with ``_inherit = ['mail.thread']``::

    class Ticket(models.Model):
        _name = "helpdesk.ticket"
        _inherit = ["mail.thread"]

        stage = fields.Selection([...], tracking=True)

    ticket.message_post(body="Hello", message_type="comment",
                        subtype_xmlid="mail_core.mt_comment")    # Send message
    ticket.message_post(body="Called him", message_type="comment")  # Log note
    ticket.message_subscribe(partner_ids=[partner.id])

*Send message* (subtype ``mail_core.mt_comment``) notifies the followers of that
subtype and the explicit recipients: each gets an email or an inbox
notification, as their user prefers (partners without a user get email).
*Log note* (``mail_core.mt_note``, the default) is internal: internal users
only, in their inbox, never by email. Notification emails are queued as
``mail.mail`` rows, one per group of recipients sharing a language and a
rendering (at most ``mail.batch_size`` recipients each), with the threading
headers of the record, so that replies come back to it.

Context keys: ``tracking_disable`` (no tracking, creation log or subscription
on create/write), ``mail_notrack`` (no tracking on write), ``mail_create_nolog``,
``mail_create_nosubscribe``, ``mail_post_autofollow`` (explicit recipients of
a post follow the record), ``mail_notify_author`` (the author is notified too).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from email.utils import formataddr, parseaddr
from typing import Any

from markupsafe import Markup

from postroom import _, api, fields, models
from postroom.exceptions import UserError
from postroom.http.templates import qweb_for
from postroom.orm.fields import Command
from postroom.render import plaintext_to_html

from .mail_followers import RecipientData
from .mail_tracking_value import TRACKABLE_TYPES

#: headers every notification email carries (RFC 3834: no auto-replies to them)
AUTO_SUBMITTED_HEADERS = {"Auto-Submitted": "auto-generated",
                          "X-Auto-Response-Suppress": "OOF, AutoReply"}
#: References keeps the first and the latest ids of a long thread (RFC 5322 §3.6.4)
MAX_REFERENCES = 20
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
_LIKE_SPECIAL = re.compile(r"([\\%_])")
_REFUSED_POST_KWARGS = ("model", "res_id", "subtype")


class MailThread(models.AbstractModel):
    _name = "mail.thread"
    _description = "Email Thread"
    #: the access right needed to post on a record (``read`` lets readers post)
    _mail_post_access = "write"

    message_ids = fields.One2many("mail.message", "res_id", "Messages",
                                  compute="_compute_message_ids")
    message_follower_ids = fields.One2many("mail.followers", "res_id", "Followers",
                                           compute="_compute_message_followers",
                                           groups="base.group_user")
    message_partner_ids = fields.Many2many("res.partner", string="Followers (Partners)",
                                           compute="_compute_message_followers",
                                           search="_search_message_partner_ids",
                                           groups="base.group_user")
    message_is_follower = fields.Boolean("Is Follower", compute="_compute_message_followers",
                                         search="_search_message_is_follower")

    # ------------------------------------------------------------------
    # fields
    # ------------------------------------------------------------------
    def _compute_message_ids(self) -> None:
        messages = self.env["mail.message"].search([("model", "=", self._name),
                                                    ("res_id", "in", self.ids)])
        by_record: dict[int, list[int]] = defaultdict(list)
        for message in messages:
            by_record[message.res_id].append(message.id)
        for record in self:
            record.message_ids = by_record.get(record.id, [])

    def _compute_message_followers(self) -> None:
        followers = self.env["mail.followers"].sudo().search([("res_model", "=", self._name),
                                                             ("res_id", "in", self.ids)])
        by_record: dict[int, list[Any]] = defaultdict(list)
        for follower in followers:
            by_record[follower.res_id].append(follower)
        partner = self.env.user.partner_id
        for record in self:
            mine = by_record.get(record.id, [])
            record.message_follower_ids = [f.id for f in mine]
            record.message_partner_ids = [f.partner_id.id for f in mine]
            record.message_is_follower = any(f.partner_id == partner for f in mine)

    def _search_message_partner_ids(self, operator: str, value: Any) -> list:
        followers = self.env["mail.followers"].sudo().search([("res_model", "=", self._name),
                                                             ("partner_id", operator, value)])
        return [("id", "in", followers.mapped("res_id"))]

    def _search_message_is_follower(self, operator: str, value: Any) -> list:
        followers = self.env["mail.followers"].sudo().search([
            ("res_model", "=", self._name), ("partner_id", "=", self.env.user.partner_id.id)])
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", followers.mapped("res_id"))]

    @api.model
    def _thread_models(self) -> frozenset[str]:
        """Names of the models (with a table) that inherit ``mail.thread``."""
        cache = self.pool.model_cache
        key = ("mail.thread", "models")
        if key not in cache:
            base = self.pool["mail.thread"]
            cache[key] = frozenset(name for name, cls in self.pool.models.items()
                                   if issubclass(cls, base) and not cls._abstract)
        return cache[key]

    @api.model
    def _invalidate_thread_fields(self, model_names: Iterable[str], names: Iterable[str]) -> None:
        """Forget the cached thread fields ``names`` of the models ``model_names``."""
        cache = self.env.transaction.cache
        thread_models = self._thread_models()
        for model_name in set(model_names) & thread_models:
            fields_map = self.pool[model_name]._fields
            for name in names:
                cache.invalidate(fields_map[name])

    # ------------------------------------------------------------------
    # CRUD: creation log, tracking, cleanup
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        records = super().create(vals_list)
        context = self.env.context
        if context.get("tracking_disable") or not records:
            return records
        user = self.env.user
        if not context.get("mail_create_nosubscribe") and user.active:
            records._message_subscribe(user.partner_id.ids)
        if not context.get("mail_create_nolog"):
            records._message_log_creation()
        return records

    def write(self, vals: dict[str, Any]) -> bool:
        context = self.env.context
        tracked = [] if context.get("tracking_disable") or context.get("mail_notrack") \
            else [name for name in self._track_get_fields() if name in vals]
        if not tracked or not self:
            return super().write(vals)
        initial = self._track_prepare(tracked)
        result = super().write(vals)
        self._message_track(tracked, initial)
        return result

    def unlink(self) -> bool:
        ids = self.ids
        result = super().unlink()
        if ids:
            self.env["mail.message"].sudo().search([("model", "=", self._name),
                                                    ("res_id", "in", ids)]).unlink()
            self.env["mail.followers"].sudo().search([("res_model", "=", self._name),
                                                      ("res_id", "in", ids)]).unlink()
        return result

    # ------------------------------------------------------------------
    # tracking
    # ------------------------------------------------------------------
    @api.model
    def _track_get_fields(self) -> list[str]:
        """The tracked fields, in display order (``tracking=<int>`` orders them; ``True`` is 100)."""
        cache = self.pool.model_cache
        key = ("mail.thread.tracked", self._name)
        if key not in cache:
            tracked = [(100 if field.tracking is True else int(field.tracking), name)
                       for name, field in self._fields.items()
                       if field.tracking and field.type in TRACKABLE_TYPES]
            cache[key] = [name for _sequence, name in sorted(tracked)]
        return cache[key]

    def _track_prepare(self, names: list[str]) -> dict[int, dict[str, Any]]:
        """The current values of the tracked fields ``names``, per record id."""
        return {record.id: {name: record[name] for name in names} for record in self.sudo()}

    def _track_subtype(self, initial_values: dict[str, Any]) -> Any:
        """The subtype reporting these changes (``initial_values``: old values of the changed
        fields); an empty recordset logs them as an internal note. Override to notify
        followers of some changes, e.g. a "Stage changed" subtype."""
        return self.env["mail.message.subtype"]

    def _message_track(self, names: list[str], initial: dict[int, dict[str, Any]]) -> None:
        """Log the changes of ``names`` since ``initial`` in each record's chatter."""
        logs: dict[int, dict[str, Any]] = {}
        for record in self.sudo():
            old_values = initial[record.id]
            changes = {name: (old_values[name], record[name]) for name in names
                       if not _same_value(self._fields[name], old_values[name], record[name])}
            if not changes:
                continue
            tracking_values = record._tracking_values_of(changes)
            subtype = record.with_env(self.env)._track_subtype(
                {name: old for name, (old, _new) in changes.items()})
            if subtype and not subtype.internal:
                record.message_post(subtype_id=subtype.id, tracking_value_ids=[
                    Command.create(values) for values in tracking_values])
            else:
                logs[record.id] = {"tracking_values": tracking_values}
        self._message_log_batch(logs)

    def _tracking_values_of(self, changes: dict[str, tuple[Any, Any]]) -> list[dict[str, Any]]:
        """The ``mail.tracking.value`` values of ``{field name: (old, new)}`` on this record."""
        field_ids = self._track_field_ids()
        tracking = self.env["mail.tracking.value"]
        return [{"field_id": field_ids[name],
                 **tracking._tracking_values(self._fields[name], old, new, self)}
                for name, (old, new) in changes.items()]

    @api.model
    def _track_field_ids(self) -> dict[str, int]:
        """``{field name: ir.model.fields id}`` of the tracked fields."""
        cache = self.pool.model_cache
        key = ("mail.thread.tracked_ids", self._name)
        if key not in cache:
            found = self.env["ir.model.fields"].sudo().search([
                ("model", "=", self._name), ("name", "in", self._track_get_fields())])
            cache[key] = {field.name: field.id for field in found}
        return cache[key]

    def _message_log_creation(self) -> None:
        """Log "<document> created" on each record, with its tracked values."""
        names = self._track_get_fields()
        body = plaintext_to_html(_("%s created", self._description))
        logs = {}
        for record in self.sudo():
            changes = {name: (self._fields[name].convert_to_record(None, record), record[name])
                       for name in names if record[name]}
            logs[record.id] = {"body": body, "tracking_values": record._tracking_values_of(changes)}
        self._message_log_batch(logs)

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------
    def _check_mail_access(self, operation: str) -> None:
        """Raise AccessError unless the user may ``operation`` the records.

        ``post`` means the model's ``_mail_post_access`` right (``write`` by default).
        """
        if self.env.su:
            return
        mode = self._mail_post_access if operation == "post" else operation
        self.check_access_rights(mode)
        self.check_access_rule(mode)

    # ------------------------------------------------------------------
    # followers
    # ------------------------------------------------------------------
    def message_subscribe(self, partner_ids: Iterable[int] | None = None,
                          subtype_ids: Iterable[int] | None = None) -> bool:
        """Make partners follow the records (reading the records is enough to follow
        them yourself; writing them is needed to add others). Without ``subtype_ids``
        new followers get the default subtypes; with them, followers get exactly those."""
        partner_ids = list(partner_ids or [])
        if not partner_ids or not self:
            return False
        self._check_mail_access(
            "read" if set(partner_ids) == {self.env.user.partner_id.id} else "write")
        self._message_subscribe(partner_ids, subtype_ids)
        return True

    def message_unsubscribe(self, partner_ids: Iterable[int] | None = None) -> bool:
        """Stop partners following the records (same rights as :meth:`message_subscribe`)."""
        partner_ids = list(partner_ids or [])
        if not partner_ids or not self:
            return False
        self._check_mail_access(
            "read" if set(partner_ids) == {self.env.user.partner_id.id} else "write")
        self.env["mail.followers"].sudo().search([
            ("res_model", "=", self._name), ("res_id", "in", self.ids),
            ("partner_id", "in", partner_ids)]).unlink()
        return True

    def _message_subscribe(self, partner_ids: Iterable[int],
                           subtype_ids: Iterable[int] | None = None) -> None:
        """:meth:`message_subscribe` without access checks."""
        self.env["mail.followers"]._insert_followers(self._name, self.ids, partner_ids, subtype_ids)

    # ------------------------------------------------------------------
    # posting
    # ------------------------------------------------------------------
    def message_post(self, *, body: str | Markup = "", subject: str | None = None,
                     message_type: str = "notification", subtype_xmlid: str | None = None,
                     subtype_id: int | None = None, partner_ids: Iterable[int] = (),
                     attachments: Iterable[tuple] = (), attachment_ids: Iterable[int] = (),
                     author_id: int | None = None, email_from: str | None = None,
                     parent_id: int | None = None, reply_to: str | None = None,
                     **kwargs: Any) -> Any:
        """Post a message on the record and notify who must hear of it; returns the message.

        ``body``: a ``str`` is text (escaped); only ``markupsafe.Markup`` is taken as
        HTML, and sanitized. ``subtype_xmlid``/``subtype_id``: ``mail_core.mt_comment``
        notifies the followers (Send message); the default ``mail_core.mt_note`` is an
        internal note. ``partner_ids`` are notified whether they follow or not.
        ``attachments``: ``(name, content)`` pairs; ``attachment_ids``: uploaded files to
        attach. Other keyword arguments are values of the message (``date``,
        ``message_id`` of an incoming mail…); ``model``, ``res_id`` and ``subtype`` are
        refused: the record and ``subtype_xmlid`` say them.
        """
        self.ensure_one()
        refused = [key for key in _REFUSED_POST_KWARGS if key in kwargs]
        if refused:
            raise ValueError(f"message_post does not take {', '.join(refused)}: post on the record "
                             "itself, and give the subtype with subtype_xmlid or subtype_id")
        if message_type == "user_notification":
            raise ValueError("Use message_notify to send a message to particular people")
        self._check_mail_access("post")
        values = self._message_values(body, subject, message_type, author_id, email_from,
                                      partner_ids, reply_to, **kwargs)
        values.update(
            subtype_id=self._message_compute_subtype(subtype_xmlid, subtype_id),
            parent_id=parent_id or False,
            attachment_ids=[Command.set(self._message_attachments(attachments, attachment_ids))],
        )
        message = self.env["mail.message"].sudo().create(values)
        context = self.env.context
        followers = []
        if message_type != "notification" and message.author_id.active \
                and not context.get("mail_create_nosubscribe"):
            followers.append(message.author_id.id)
        if context.get("mail_post_autofollow"):
            followers.extend(message.partner_ids.ids)
        if followers:
            self._message_subscribe(followers)
        self._notify_thread(message)
        return message.with_env(self.env)

    def message_notify(self, *, partner_ids: Iterable[int], body: str | Markup = "",
                       subject: str | None = None, author_id: int | None = None,
                       email_from: str | None = None, attachments: Iterable[tuple] = (),
                       **kwargs: Any) -> Any:
        """Tell ``partner_ids`` (and only them) about the record, or about nothing in
        particular on an empty recordset; nobody is subscribed, the chatter does not
        show it, and only its recipients can read it."""
        if len(self) > 1:
            raise ValueError(f"message_notify works on one record or none, not {self!r}")
        if self:
            self._check_mail_access("read")
        partner_ids = list(partner_ids)
        if not partner_ids:
            raise UserError(_("A notification needs recipients."))
        values = self._message_values(body, subject, "user_notification", author_id, email_from,
                                      partner_ids, None, **kwargs)
        values["attachment_ids"] = [Command.set(self._message_attachments(attachments, ()))]
        message = self.env["mail.message"].sudo().create(values)
        self._notify_thread(message)
        return message.with_env(self.env)

    def _message_log(self, *, body: str | Markup = "", subject: str | None = None,
                     message_type: str = "notification", subtype_xmlid: str = "mail_core.mt_note",
                     author_id: int | None = None, email_from: str | None = None,
                     tracking_values: list[dict[str, Any]] | None = None) -> Any:
        """Log a message without notifying anyone or checking rights (system use).

        ``tracking_values``: values of ``mail.tracking.value`` rows (old and new values).
        """
        self.ensure_one()
        return self._message_log_batch({self.id: {
            "body": body, "subject": subject, "message_type": message_type,
            "subtype_xmlid": subtype_xmlid, "author_id": author_id, "email_from": email_from,
            "tracking_values": tracking_values or []}})

    def _message_log_batch(self, logs: dict[int, dict[str, Any]]) -> Any:
        """Log one message per record, ``{record id: message values}``, in one go.

        The values are those of :meth:`_message_log`; the default is an internal note.
        """
        if not logs:
            return self.env["mail.message"]
        author_id, email_from = self._message_compute_author()
        names = {record.id: record.display_name for record in self.browse(list(logs)).sudo()}
        values_list = []
        for res_id, log in logs.items():
            log_author_id, log_email_from = (author_id, email_from) if not (
                log.get("author_id") or log.get("email_from")) else \
                self._message_compute_author(log.get("author_id"), log.get("email_from"))
            values_list.append({
                "model": self._name, "res_id": res_id, "record_name": names[res_id],
                "body": _as_html(log.get("body", "")), "subject": log.get("subject") or False,
                "message_type": log.get("message_type") or "notification",
                "subtype_id": self._message_compute_subtype(
                    log.get("subtype_xmlid") or "mail_core.mt_note", None),
                "author_id": log_author_id, "email_from": log_email_from,
            })
        messages = self.env["mail.message"].sudo().create(values_list)
        self.env["mail.tracking.value"].sudo().create([
            {**values, "mail_message_id": message.id}
            for message, log in zip(messages, logs.values())
            for values in log.get("tracking_values", ())])
        return messages

    def _message_values(self, body: str | Markup, subject: str | None, message_type: str,
                        author_id: int | None, email_from: str | None,
                        partner_ids: Iterable[int], reply_to: str | None,
                        **kwargs: Any) -> dict[str, Any]:
        """The values of a message posted on this record (or on none)."""
        unknown = [key for key in kwargs if key not in self.env["mail.message"]._fields]
        if unknown:
            raise TypeError(f"Unknown message values {unknown}")
        author_id, email_from = self._message_compute_author(author_id, email_from)
        return {
            **kwargs,
            "model": self._name if self else False, "res_id": self.id,
            "record_name": kwargs.get("record_name") or (self.sudo().display_name if self else False),
            "body": _as_html(body), "subject": subject or False, "message_type": message_type,
            "author_id": author_id, "email_from": email_from,
            "reply_to": reply_to or self._notify_get_reply_to(default=email_from).get(self.id)
            or email_from,
            "partner_ids": [Command.set(list(partner_ids))],
        }

    @api.model
    def _message_compute_author(self, author_id: int | None = None,
                                email_from: str | None = None) -> tuple[int | bool, str | bool]:
        """``(author partner id, From address)`` of a new message.

        Given an author, their address is the From unless ``email_from`` is given;
        given only an address, its partner (if one has it) is the author; given
        neither, the current user writes. An author without an address sends from
        the notification address (``mail.default.from``), when there is one.
        """
        partners = self.env["res.partner"].sudo()
        if author_id:
            author = partners.browse(author_id)
        elif email_from:
            address = parseaddr(email_from)[1]
            author = partners.search([("email", "=ilike", _LIKE_SPECIAL.sub(r"\\\1", address))],
                                     limit=1) if address else partners
        else:
            author = self.env.user.partner_id
        email_from = email_from or author.email_formatted or self._mail_default_from(author.name)
        return author.id or False, email_from or False

    @api.model
    def _mail_default_from(self, name: str | None) -> str | bool:
        """``"name" <notifications@catchall domain>``, if ``mail.default.from`` and
        ``mail.catchall.domain`` are set (a full address in ``mail.default.from`` is used as is)."""
        params = self.env["ir.config_parameter"].sudo()
        default_from = params.get_param("mail.default.from")
        if not default_from:
            return False
        if "@" not in default_from:
            domain = params.get_param("mail.catchall.domain")
            if not domain:
                return False
            default_from = f"{default_from}@{domain}"
        return formataddr((name or "", default_from))

    @api.model
    def _message_compute_subtype(self, subtype_xmlid: str | None, subtype_id: int | None) -> int:
        """The subtype id of a new message: given, by external id, or the internal note."""
        if subtype_id:
            return subtype_id
        subtype = self.env.ref(subtype_xmlid or "mail_core.mt_note")
        if subtype._name != "mail.message.subtype":
            raise ValueError(f"{subtype_xmlid} is not a message subtype")
        return subtype.id

    def _message_attachments(self, attachments: Iterable[tuple],
                             attachment_ids: Iterable[int]) -> list[int]:
        """Ids of the files of a new message, linked to the record.

        ``attachments`` are created; ``attachment_ids`` must be readable by the
        user, and those not linked to any record yet are moved to this one.
        """
        Attachment = self.env["ir.attachment"]
        existing = Attachment.browse(list(attachment_ids))
        if existing:
            existing.check_access("read")
            existing.sudo().filtered(lambda a: not a.res_model).write(
                {"res_model": self._name if self else "mail.message", "res_id": self.id or 0})
        created = Attachment.sudo().create([
            {"name": item[0], "raw": item[1], "res_model": self._name if self else "mail.message",
             "res_id": self.id or 0, **(item[2] if len(item) > 2 else {})}
            for item in attachments]) if attachments else Attachment
        return existing.ids + created.ids

    # ------------------------------------------------------------------
    # notification
    # ------------------------------------------------------------------
    def _notify_get_reply_to(self, default: str | bool = False) -> dict[int, str | bool]:
        """Where replies to messages of these records go, ``{record id: address}``.

        Here the ``default`` (the author's address); ``mail_alias`` returns the
        catchall address, which routes the reply back to the record.
        """
        return dict.fromkeys(self.ids, default)

    def _notify_thread(self, message: Any) -> Any:
        """Notify the recipients of ``message``; returns the notifications created."""
        recipients = self._notify_get_recipients(message)
        if not recipients:
            return self.env["mail.notification"]
        inbox = [r for r in recipients if r["notification_type"] == "inbox"]
        email = [r for r in recipients if r["notification_type"] == "email"]
        values = [{"mail_message_id": message.id, "res_partner_id": r["id"],
                   "notification_type": "inbox", "is_read": False} for r in inbox]
        values += self._notify_thread_by_email(message, email)
        return self.env["mail.notification"].sudo().create(values)

    def _notify_get_recipients(self, message: Any) -> list[RecipientData]:
        """Who hears of ``message``: followers of its subtype, its recipients, not its author.

        Internal messages (notes) reach internal users only, in their inbox.
        """
        subtype = message.subtype_id
        follower_subtype = subtype.id if self and message.message_type != "user_notification" \
            else None
        recipients = self.env["mail.followers"]._get_recipient_data(
            self._name if self else None, self.id, follower_subtype, message.partner_ids.ids)
        if not self.env.context.get("mail_notify_author"):
            recipients = [r for r in recipients if r["id"] != message.author_id.id]
        if subtype.internal or message.is_internal:
            recipients = [RecipientData(**{**r, "notification_type": "inbox"})
                          for r in recipients if r["uid"] and not r["share"]]
        return recipients

    def _notify_thread_by_email(self, message: Any, recipients: list[RecipientData]
                                ) -> list[dict[str, Any]]:
        """Queue the emails of ``message`` to ``recipients``; returns their notifications' values.

        One ``mail.mail`` per group of recipients rendered alike (language, access
        to the backend), at most ``mail.batch_size`` recipients each. A recipient
        without a valid address gets a failed notification instead, with the reason.
        """
        values: list[dict[str, Any]] = []
        groups: dict[tuple[str, bool], list[int]] = defaultdict(list)
        for recipient in recipients:
            failure = _address_failure(recipient["email"])
            if failure:
                values.append({"mail_message_id": message.id, "res_partner_id": recipient["id"],
                               "notification_type": "email", "is_read": True,
                               "notification_status": "exception", "failure_type": failure[0],
                               "failure_reason": failure[1]})
            else:
                internal = bool(recipient["uid"]) and not recipient["share"]
                groups[(recipient["lang"] or "en_US", internal)].append(recipient["id"])
        if not groups:
            return values
        batch_size = int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size", 50)
                         or 50)
        headers = self._notify_email_headers(message)
        mail_values, chunks = [], []
        for (lang, internal), partner_ids in groups.items():
            body = self._notify_render_body(message, lang, internal)
            for start in range(0, len(partner_ids), batch_size):
                chunk = partner_ids[start:start + batch_size]
                chunks.append(chunk)
                mail_values.append({
                    "mail_message_id": message.id, "body_html": body, "headers": headers,
                    "recipient_ids": [Command.set(chunk)], "state": "outgoing",
                    "auto_delete": True, "is_notification": True,
                })
        mails = self.env["mail.mail"].sudo().create(mail_values)
        for mail, chunk in zip(mails, chunks):
            values.extend({"mail_message_id": message.id, "res_partner_id": partner_id,
                           "notification_type": "email", "is_read": True,
                           "notification_status": "ready", "mail_mail_id": mail.id}
                          for partner_id in chunk)
        return values

    def _notify_email_headers(self, message: Any) -> dict[str, str]:
        """The headers of ``message``'s notification emails (the queue sends them as they are):
        the thread's References and In-Reply-To, Auto-Submitted, and the record."""
        headers = dict(AUTO_SUBMITTED_HEADERS)
        references = self._notify_thread_references(message)
        if references:
            headers["References"] = " ".join(references)
            headers["In-Reply-To"] = references[-1]
        if self:
            headers["X-Postroom-Objects"] = f"{self._name}-{self.id}"
        return headers

    def _notify_thread_references(self, message: Any) -> list[str]:
        """The Message-Ids ``message`` answers, oldest first: the record's first message,
        then the chain of parents; the first and latest :data:`MAX_REFERENCES` kept."""
        chain = []
        parent = message.parent_id
        while parent and len(chain) < 100:
            chain.append(parent.message_id)
            parent = parent.parent_id
        if self:
            root = self.env["mail.message"].sudo().search(
                [("model", "=", self._name), ("res_id", "=", self.id), ("id", "<", message.id),
                 ("message_id", "!=", False)], order="id asc", limit=1)
            chain.append(root.message_id)
        references = list(dict.fromkeys(ref for ref in reversed(chain) if ref))
        if len(references) > MAX_REFERENCES:
            references = references[:1] + references[1 - MAX_REFERENCES:]
        return references

    def _notify_render_body(self, message: Any, lang: str, internal: bool) -> Markup:
        """The HTML of ``message``'s email for readers of ``lang``; internal users get a link
        to the record in the backend."""
        company = self.env.company.sudo()
        return qweb_for(self.pool, self.env).render("mail_core.mail_notification_layout", {
            "body": message.body or Markup(""),
            "subject": message.subject or "",
            "record_name": message.record_name or "",
            "model_description": self._description if self else "",
            "record_url": self._notify_get_record_url() if internal and self else "",
            "author_name": message.author_id.name or "",
            "company_name": company.name or "",
            "lang": lang,
        })

    def _notify_get_record_url(self) -> str:
        """The address of the record in the backend."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return f"{base_url.rstrip('/')}/web#model={self._name}&id={self.id}"

    # ------------------------------------------------------------------
    # chatter
    # ------------------------------------------------------------------
    def message_chatter_data(self, limit: int = 30, before: int | None = None) -> dict[str, Any]:
        """What the chatter of the record shows, in one call: its newest messages (older than
        id ``before``), whether there are more, and the followers (internal users only)."""
        self.ensure_one()
        self.check_access("read")
        messages = self.env["mail.message"].message_fetch(
            [("model", "=", self._name), ("res_id", "=", self.id),
             ("message_type", "!=", "user_notification")], before=before, limit=limit + 1)
        internal = self.env.su or self.env.user._is_internal()
        followers = self.env["mail.followers"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "=", self.id)]) if internal \
            else self.env["mail.followers"]
        return {
            "messages": messages[:limit],
            "has_more": len(messages) > limit,
            "followers": followers._format_followers(),
            "is_follower": any(f.partner_id == self.env.user.partner_id for f in followers),
        }


def _as_html(body: str | Markup) -> Markup:
    """A message body: ``Markup`` is HTML (sanitized when stored); any other text is escaped."""
    if isinstance(body, Markup):
        return body
    return plaintext_to_html(body or "")


def _same_value(field: Any, old: Any, new: Any) -> bool:
    """Whether a tracked field kept its value."""
    if field.relational:
        return set(old.ids) == set(new.ids)
    return (old or False) == (new or False) or old == new


def _address_failure(email: str | None) -> tuple[str, str] | None:
    """``(failure type, reason)`` when ``email`` cannot receive mail, else None."""
    if not email or not email.strip():
        return "mail_email_missing", _("The recipient has no email address.")
    if not _EMAIL.match(parseaddr(email)[1] or ""):
        return "mail_email_invalid", _("The recipient's email address %r is invalid.", email)
    return None
