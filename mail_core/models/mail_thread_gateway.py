"""mail.thread, continued: the mail gateway, where incoming messages become chatter messages.

Every way mail comes in (the incoming mail servers, the MTA pipe ``postroom mailgate``)
ends in :meth:`MailThread.message_process`::

    thread_id = env["mail.thread"].message_process("helpdesk.ticket", raw_bytes)

1. **Size**: larger than ``mail.incoming.max_size`` (MB, 25 by default) is refused
   (:class:`~..gateway.errors.MessageTooLarge`), and so is data without a single header
   field of an email (:class:`~..gateway.errors.NotAMessage`).
2. **Parse** (:meth:`message_parse`), once: decoded headers, the body as sanitized HTML,
   the files, the author (the partner with the sender's address) and the parent message
   (the latest stored message among its References and In-Reply-To).
3. **Ignore** what must not be processed: a message already stored (same Message-Id;
   concurrent deliveries of one Message-Id take turns), mail from our own notification
   address.
4. **Route** (:meth:`message_route`, the extension point): a reply goes to the record of
   its parent; else :meth:`_message_route_recipients` (where ``mail_alias`` matches its
   aliases, catchall and bounces); else the fallback ``model`` creates a record; else
   :class:`~..gateway.errors.RoutingError`.
5. **Process** (:meth:`_message_route_process`): per route, :meth:`message_new` creates the
   record or :meth:`message_update` updates it, then the message is posted on it.

Automatic mail never ping-pongs: an auto-reply (RFC 3834 ``Auto-Submitted``, or a legacy
marker) that answers nothing known is dropped, and automatic mail is posted as an internal
note, which is never emailed to anyone. A sender writing ``mail.gateway.loop.threshold``
(20) messages to one record, or to one model, within ``mail.gateway.loop.minutes`` (120)
trips the loop protection (:class:`~..gateway.errors.LoopDetected`).

Records are created and updated as the sender's user when the sender is a user, else as
the superuser, with superuser rights; the message is posted with the sender's partner as
author. Nothing here commits: see :mod:`..gateway.intake` for the transaction around it.
"""

from __future__ import annotations

import datetime
import logging
from email.message import Message
from email.utils import parseaddr
from typing import Any, NamedTuple

from markupsafe import Markup

from postroom import _, api, models
from postroom.orm.environment import SUPERUSER_ID

from ..gateway.body import replace_cids
from ..gateway.errors import LoopDetected, MessageTooLarge, NotAMessage, RoutingError
from ..gateway.parser import POLICY, IncomingAttachment, parse_mail, read_message

_logger = logging.getLogger(__name__)

#: system parameter: the largest incoming message accepted, in MB
MAX_SIZE_PARAM = "mail.incoming.max_size"
DEFAULT_MAX_SIZE_MB = 25.0
#: system parameters of the loop protection, and their defaults
LOOP_MINUTES_PARAM, LOOP_MINUTES = "mail.gateway.loop.minutes", 120
LOOP_THRESHOLD_PARAM, LOOP_THRESHOLD = "mail.gateway.loop.threshold", 20
#: how many of the latest References are looked up to find the parent message
MAX_ROUTING_REFERENCES = 32
#: advisory lock space in which deliveries of one Message-Id take turns ("msgi")
MESSAGE_ID_LOCK_SPACE = 0x6D736769
#: data with none of these header fields is not an email
ORIGINATION_HEADERS = ("From", "Sender", "Date", "Message-Id", "Subject", "To", "Received")


class Route(NamedTuple):
    """Where an incoming message goes: the record ``thread_id`` of ``model``, or a new
    record of ``model`` created with ``custom_values``. ``user_id`` creates or updates it;
    None: the sender's user, else the superuser."""

    model: str
    thread_id: int | None = None
    custom_values: dict[str, Any] | None = None
    user_id: int | None = None


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    # ------------------------------------------------------------------
    # entry point
    # ------------------------------------------------------------------
    @api.model
    def message_process(self, model: str | None, message: bytes | str | Message,
                        custom_values: dict[str, Any] | None = None,
                        save_original: bool = False, strip_attachments: bool = False,
                        thread_id: int | None = None) -> int | bool:
        """Turn an incoming message into a chatter message; see the module docstring.

        ``model``: the fallback model (a ``mail.thread``), for mail that is not a reply;
        with ``thread_id``, the record such mail updates. ``save_original`` keeps the
        message as ``original_email.eml``; ``strip_attachments`` drops its files.
        Returns the id of the record the message was posted on, False when it was
        ignored. Raises a GatewayError when it is refused; never commits.
        """
        raw = message.as_bytes(policy=POLICY) if isinstance(message, Message) else message
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        limit = self._message_max_size()
        if len(raw) > limit:
            raise MessageTooLarge(len(raw), limit)
        parsed = read_message(raw)
        if not any(parsed.get(name) for name in ORIGINATION_HEADERS):
            raise NotAMessage(_("This is not an email: it has none of the header fields "
                                "(From, Date, Message-Id, Subject…) a message starts with."))
        message_dict = self.message_parse(parsed)
        if strip_attachments:
            message_dict["attachments"] = []
        if save_original:
            message_dict["attachments"].append(
                IncomingAttachment("original_email.eml", raw, "message/rfc822"))
        reason = self._message_ignore_reason(message_dict)
        if reason:
            _logger.info("Incoming message %s from %s ignored: %s", message_dict["message_id"],
                         message_dict["email_from"], reason)
            return False
        routes = self.message_route(parsed, message_dict, model, thread_id, custom_values)
        return self._message_route_process(message_dict, routes)

    @api.model
    def _message_max_size(self) -> int:
        """The largest incoming message accepted, in bytes (``mail.incoming.max_size``)."""
        size = self.env["ir.config_parameter"].sudo().get_param(MAX_SIZE_PARAM)
        return int(float(size or DEFAULT_MAX_SIZE_MB) * 2**20)

    @api.model
    def _message_ignore_reason(self, message_dict: dict[str, Any]) -> str | None:
        """Why the message must not be processed at all, or None.

        Deliveries of one Message-Id (two servers, a fetch and the MTA pipe) take turns
        from here to the end of their transactions, so that the second sees the first.
        """
        cr = self.env.cr
        cr.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                   (MESSAGE_ID_LOCK_SPACE, message_dict["message_id"]))
        cr.execute("SELECT 1 FROM mail_message WHERE message_id = %s LIMIT 1",
                   (message_dict["message_id"],))
        if cr.fetchone():
            return _("a message with this Message-Id is already stored")
        ours = self._mail_default_from("")
        sender = parseaddr(message_dict["email_from"])[1].lower()
        if ours and sender and sender == parseaddr(ours)[1].lower():
            return _("it comes from our own notification address (a mail loop)")
        return None

    # ------------------------------------------------------------------
    # parsing
    # ------------------------------------------------------------------
    @api.model
    def message_parse(self, message: Message) -> dict[str, Any]:
        """What the gateway reads from ``message``, as a dict.

        ``message_id`` (generated when missing), ``subject``, ``email_from``, ``reply_to``,
        ``to``, ``cc``, ``recipients`` (Delivered-To, To, Cc, Resent-To and Resent-Cc: what
        aliases match), ``date`` (naive UTC), ``references`` (the Message-Ids it answers,
        In-Reply-To last, space-separated), ``in_reply_to``, ``auto_submitted`` (RFC 3834,
        None for human mail), ``body`` (sanitized HTML), ``attachments``
        (:class:`~..gateway.parser.IncomingAttachment`), ``author_id`` (the partner with the
        sender's address, or False), ``parent_id`` (the latest stored message it answers,
        or False), ``message_type`` (``email``).
        """
        mail = parse_mail(message)
        address = parseaddr(mail.email_from)[1]
        author_id = self._message_compute_author(None, mail.email_from)[0] if address else False
        parent_id = False
        if mail.references:  # the latest stored message it answers; through the index
            self.env.cr.execute(
                "SELECT id FROM mail_message WHERE message_id = ANY(%s)"
                " AND model IS NOT NULL AND res_id != 0",
                (mail.references[-MAX_ROUTING_REFERENCES:],))
            parent_id = max((row[0] for row in self.env.cr.fetchall()), default=False)
        return {
            "message_type": "email",
            "message_id": mail.message_id or self.env["mail.message"]._generate_message_id(),
            "subject": mail.subject,
            "email_from": mail.email_from,
            "reply_to": mail.reply_to,
            "to": mail.to,
            "cc": mail.cc,
            "recipients": mail.recipients,
            "date": mail.date,
            "references": " ".join(mail.references),
            "in_reply_to": mail.in_reply_to,
            "auto_submitted": mail.auto_submitted,
            "body": mail.body,
            "attachments": mail.attachments,
            "author_id": author_id,
            "parent_id": parent_id,
        }

    # ------------------------------------------------------------------
    # routing: the extension point
    # ------------------------------------------------------------------
    @api.model
    def message_route(self, message: Message, message_dict: dict[str, Any],
                      model: str | None = None, thread_id: int | None = None,
                      custom_values: dict[str, Any] | None = None) -> list[Route]:
        """Where an incoming message goes: a list of :class:`Route`, in this order of
        precedence:

        1. a reply: the record of its parent message (:meth:`_message_route_reply`);
        2. routes chosen by its recipients (:meth:`_message_route_recipients`): none in
           ``mail_core``; ``mail_alias`` matches aliases, the catchall and bounces there;
        3. the fallback: ``model`` (the incoming server's, or the mailgate's ``--model``),
           updating the record ``thread_id`` when given, else creating one;
        4. nothing: RoutingError, which keeps the message in the failed list.

        An override may return ``[]`` to drop a message it handled otherwise (a bounce).
        ``message_dict`` is :meth:`message_parse`'s; ``message`` is the parsed original.
        """
        routes = self._message_route_reply(message_dict) \
            or self._message_route_recipients(message, message_dict)
        if routes:
            return routes
        if model:
            if model not in self._thread_models():
                raise RoutingError(_("The fallback model %r is not a model with a chatter "
                                     "(mail.thread): choose another one.", model))
            return [Route(model, thread_id, custom_values)]
        raise RoutingError(_(
            "Nothing says where this message goes: it answers no message Postroom knows, "
            "no alias matched its recipients (%s), and no fallback model was given. Set "
            "'Create a New Record' on the incoming mail server (or --model for postroom "
            "mailgate), or create an alias for that address.",
            message_dict.get("recipients") or _("none")))

    @api.model
    def _message_route_reply(self, message_dict: dict[str, Any]) -> list[Route]:
        """The record of the message this one answers, if it still exists."""
        parent = self.env["mail.message"].sudo().browse(message_dict.get("parent_id") or [])
        if not parent or parent.model not in self._thread_models():
            return []
        if not self.env[parent.model].browse(parent.res_id).exists():
            return []  # a reply to a deleted record: routed as new mail
        return [Route(parent.model, parent.res_id)]

    @api.model
    def _message_route_recipients(self, message: Message,
                                  message_dict: dict[str, Any]) -> list[Route]:
        """Routes chosen by the recipients (``message_dict["recipients"]``) of mail that is
        not a reply. None here: ``mail_alias`` returns its aliases' routes, and handles
        bounces and mail to the catchall."""
        return []

    # ------------------------------------------------------------------
    # processing
    # ------------------------------------------------------------------
    @api.model
    def _message_route_process(self, message_dict: dict[str, Any],
                               routes: list[Route]) -> int | bool:
        """Create or update the record of each route and post the message on it; the id of
        the last record, False when there was nothing to do."""
        if not routes:
            return False
        if message_dict["auto_submitted"] == "auto-replied" \
                and not any(route.thread_id for route in routes):
            _logger.info("Incoming message %s from %s ignored: an automatic reply to nothing "
                         "we know", message_dict["message_id"], message_dict["email_from"])
            return False
        sender_uid = self._message_gateway_user(message_dict)
        thread_id: int | bool = False
        for route in routes:
            self._routing_check_loop(route, message_dict)
            records = self.env[route.model].with_user(route.user_id or sender_uid).sudo()
            if route.thread_id:
                thread = records.browse(route.thread_id)
                thread.message_update(message_dict)
            else:
                thread = records.message_new(message_dict, route.custom_values)
            message = thread._message_post_incoming(message_dict)
            _logger.info("Incoming message %s from %s posted on %s,%s (message %s)",
                         message_dict["message_id"], message_dict["email_from"], route.model,
                         thread.id, message.id)
            thread_id = thread.id
        return thread_id

    @api.model
    def _message_gateway_user(self, message_dict: dict[str, Any]) -> int:
        """The user records are created and updated as: the sender's, else the superuser."""
        author_id = message_dict.get("author_id")
        user = self.env["res.users"].sudo().search([("partner_id", "=", author_id)], limit=1) \
            if author_id else None
        return user.id if user else SUPERUSER_ID

    @api.model
    def _routing_check_loop(self, route: Route, message_dict: dict[str, Any]) -> None:
        """Raise LoopDetected when the sender already wrote too often, lately, to the route's
        record (or, for a new record, to its model). Not applied when replaying."""
        address = parseaddr(message_dict["email_from"])[1]
        if not address or self.env.context.get("mail_gateway_replay"):
            return
        params = self.env["ir.config_parameter"].sudo()
        minutes = int(params.get_param(LOOP_MINUTES_PARAM, LOOP_MINUTES))
        threshold = int(params.get_param(LOOP_THRESHOLD_PARAM, LOOP_THRESHOLD))
        since = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) \
            - datetime.timedelta(minutes=minutes)
        author_id = message_dict.get("author_id")
        # ``date`` (indexed) narrows the scan: a loop's messages carry the current date
        domain = [("message_type", "=", "email"), ("model", "=", route.model),
                  ("date", ">=", since - datetime.timedelta(days=1)),
                  ("create_date", ">=", since),
                  ("author_id", "=", author_id) if author_id
                  else ("email_from", "=", message_dict["email_from"])]
        if route.thread_id:
            domain.append(("res_id", "=", route.thread_id))
        if self.env["mail.message"].sudo().search_count(domain) >= threshold:
            target = f"{route.model},{route.thread_id}" if route.thread_id else route.model
            raise LoopDetected(_(
                "Loop protection: %s already sent %s messages to %s in the last %s minutes, "
                "which looks like an auto-responder or a robot answering our notifications. "
                "If the mail is legitimate, replay it; the limits are the system parameters "
                "%s and %s.", address, threshold, target, minutes, LOOP_THRESHOLD_PARAM,
                LOOP_MINUTES_PARAM))

    @api.model
    def message_new(self, msg_dict: dict[str, Any],
                    custom_values: dict[str, Any] | None = None) -> Any:
        """Create the record an incoming message asks for (the message is posted on it
        afterwards). Its name is the subject unless ``custom_values`` set it; override
        to fill more fields from ``msg_dict`` (:meth:`message_parse`'s)."""
        values = dict(custom_values or {})
        name_field = self._message_name_field()
        if name_field and not values.get(name_field):
            values[name_field] = msg_dict.get("subject") or _("(no subject)")
        return self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True) \
            .create(values).with_env(self.env)

    def message_update(self, msg_dict: dict[str, Any],
                       update_vals: dict[str, Any] | None = None) -> bool:
        """Update the record an incoming reply is for (the message is posted on it
        afterwards); override to act on the content."""
        if update_vals:
            self.write(update_vals)
        return True

    @api.model
    def _message_name_field(self) -> str | None:
        """The field a new record's subject goes to: the record name, if it is writable."""
        for name in (self._rec_name, "name"):
            field = self._fields.get(name or "")
            if field is not None and field.type in ("char", "text") and not field.compute:
                return name
        return None

    def _message_post_incoming(self, msg_dict: dict[str, Any]) -> Any:
        """Post the incoming message on this record: its files stored, inline images
        pointed at them, the parent kept if it belongs here. Automatic mail, and answers to
        internal notes, are internal notes (never emailed)."""
        self.ensure_one()
        files = msg_dict["attachments"]
        attachment_ids = self._message_attachments(
            [(file.name, file.content, {"mimetype": file.mimetype}) for file in files], ())
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        urls = {file.cid: f"{base_url.rstrip('/')}/web/image/{attachment_id}"
                for file, attachment_id in zip(files, attachment_ids) if file.cid}
        body = replace_cids(msg_dict["body"], urls) if urls else Markup(msg_dict["body"])
        parent = self.env["mail.message"].sudo().browse(msg_dict.get("parent_id") or [])
        if parent and (parent.model, parent.res_id) != (self._name, self.id):
            parent = parent.browse()
        internal = bool(msg_dict["auto_submitted"]) or parent.is_internal
        return self.message_post(
            body=body, subject=msg_dict["subject"] or None, message_type="email",
            subtype_xmlid="mail_core.mt_note" if internal else "mail_core.mt_comment",
            author_id=msg_dict.get("author_id") or None, email_from=msg_dict["email_from"],
            reply_to=msg_dict["reply_to"] or msg_dict["email_from"], parent_id=parent.id,
            date=msg_dict["date"], message_id=msg_dict["message_id"],
            attachment_ids=attachment_ids)
