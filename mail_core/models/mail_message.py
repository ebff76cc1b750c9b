"""mail.message: a message in a record's chatter, an email received, or a notice.

A message belongs to a document through ``model``/``res_id`` (or to no document:
``message_notify`` without a record). Its ``message_id`` is the RFC 5322
Message-Id it travels with, unique per message; replies find their thread
through it.

Who may read a message:

- its author, its recipients (``partner_ids``) and the partners notified of it;
- whoever may read its document, for documents of ``mail.thread`` models,
  except messages addressed to particular people (``user_notification``);
- never a portal or public user when the message is internal (a note), which a
  record rule enforces.

This is one SQL condition (:meth:`_read_access_sql`) added to every search, so
limits and counts stay exact and fast, whatever the mix of documents.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlparse

from postroom import api, fields, models
from postroom.exceptions import AccessError
from postroom.orm.domain import AND, DomainCompiler
from postroom.orm.query import Query
from postroom.orm.sql import SQL

MESSAGE_TYPES = [
    ("email", "Email"),
    ("comment", "Comment"),
    ("notification", "System notification"),
    ("user_notification", "User Specific Notification"),
]


class MailMessage(models.Model):
    _name = "mail.message"
    _description = "Message"
    _order = "id desc"
    _rec_name = "record_name"

    subject = fields.Char()
    body = fields.Html("Contents", default="", help="Sanitized HTML.")
    date = fields.Datetime(default=lambda self: fields.Datetime.now(), index=True)
    model = fields.Char("Related Document Model", index=True)
    res_id = fields.Integer("Related Document ID", index=True)
    record_name = fields.Char("Message Record Name",
                              help="The document's name when the message was posted.")
    message_type = fields.Selection(MESSAGE_TYPES, "Type", required=True, default="comment",
                                    index=True)
    subtype_id = fields.Many2one("mail.message.subtype", "Subtype", ondelete="set null", index=True)
    is_internal = fields.Boolean("Employee Only", index=True,
                                 help="Hidden from portal and public users (internal notes).")
    parent_id = fields.Many2one("mail.message", "Parent Message", ondelete="set null", index=True)
    child_ids = fields.One2many("mail.message", "parent_id", "Child Messages")
    author_id = fields.Many2one("res.partner", "Author", ondelete="set null", index=True)
    email_from = fields.Char("From", index=True, help="The sender's address, as it is sent.")
    reply_to = fields.Char("Reply-To", help="Where replies go: back to the document when the "
                                            "catchall is set up, to the author otherwise.")
    message_id = fields.Char("Message-Id", index=True, copy=False, readonly=True)
    partner_ids = fields.Many2many("res.partner", "mail_message_res_partner_rel", "mail_message_id",
                                   "res_partner_id", string="Recipients")
    attachment_ids = fields.Many2many("ir.attachment", "message_attachment_rel", "message_id",
                                      "attachment_id", string="Attachments")
    notification_ids = fields.One2many("mail.notification", "mail_message_id", "Notifications")
    tracking_value_ids = fields.One2many("mail.tracking.value", "mail_message_id",
                                         "Tracking Values")
    needaction = fields.Boolean("Need Action", compute="_compute_needaction",
                                search="_search_needaction",
                                help="Unread in the current user's inbox.")

    # ------------------------------------------------------------------
    # Message-Id
    # ------------------------------------------------------------------
    @api.model
    def _message_id_host(self) -> str:
        """The right-hand side of our Message-Ids: the catchall domain, or the site's host."""
        params = self.env["ir.config_parameter"].sudo()
        domain = params.get_param("mail.catchall.domain")
        if domain:
            return domain
        return urlparse(params.get_param("web.base.url", "")).hostname or "localhost"

    @api.model
    def _generate_message_id(self, model: str | None = None, res_id: int | None = None) -> str:
        """A new unique ``<random.timestamp-postroom[-model-id]@host>`` Message-Id."""
        document = f"-{model}-{res_id}" if model and res_id else ""
        return (f"<{secrets.token_hex(8)}.{time.time():.6f}-postroom{document}"
                f"@{self._message_id_host()}>")

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        subtype_ids = {vals["subtype_id"] for vals in vals_list
                       if vals.get("subtype_id") and "is_internal" not in vals}
        internal = set(self.env["mail.message.subtype"].sudo().browse(subtype_ids)
                       .filtered("internal").ids) if subtype_ids else set()
        for vals in vals_list:
            if not vals.get("message_id"):
                vals["message_id"] = self._generate_message_id(vals.get("model"), vals.get("res_id"))
            if "is_internal" not in vals:
                vals["is_internal"] = vals.get("subtype_id") in internal
        messages = super().create(vals_list)
        self.env["mail.thread"]._invalidate_thread_fields(
            {vals.get("model") for vals in vals_list}, ["message_ids"])
        return messages

    def unlink(self) -> bool:
        model_names = set(self.sudo().mapped("model"))
        result = super().unlink()
        self.env["mail.thread"]._invalidate_thread_fields(model_names, ["message_ids"])
        return result

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------
    @api.model
    def _search(self, domain: list | None, offset: int = 0, limit: int | None = None,
                order: str | None = None, active_test: bool = True) -> Query:
        query = super()._search(domain, offset, limit, order, active_test)
        if not self.env.su:
            query.add_where(self._read_access_sql(query.alias))
        return query

    @api.model
    def _read_access_sql(self, alias: str) -> SQL:
        """A condition on the row ``alias`` of ``mail_message``: the user may read it."""
        partner_id = self.env.user.partner_id.id

        def column(name: str) -> SQL:
            return SQL.identifier(alias, name)

        parts = [
            SQL("%s = %s", column("author_id"), partner_id),
            SQL("%s IN (SELECT mail_message_id FROM mail_message_res_partner_rel "
                "WHERE res_partner_id = %s)", column("id"), partner_id),
            SQL("%s IN (SELECT mail_message_id FROM mail_notification WHERE res_partner_id = %s)",
                column("id"), partner_id),
        ]
        whole, restricted = self._readable_documents()
        documents = [SQL("%s = ANY(%s)", column("model"), whole)] if whole else []
        documents += [SQL("(%s = %s AND %s IN (%s))", column("model"), model_name,
                          column("res_id"), subquery)
                      for model_name, subquery in restricted.items()]
        if documents:
            parts.append(SQL("(%s != 'user_notification' AND (%s))", column("message_type"),
                             SQL(" OR ").join(documents)))
        return SQL("(%s)", SQL(" OR ").join(parts))

    @api.model
    def _readable_documents(self) -> tuple[list[str], dict[str, SQL]]:
        """Thread models whose documents the user may read: ``(all of them, {model: ids subquery})``.

        A model the user reads without record rules is in the first list; one
        with rules comes with the subquery of the ids the rules let through.
        """
        whole: list[str] = []
        restricted: dict[str, SQL] = {}
        for model_name in self.env["mail.thread"]._thread_models():
            model = self.env[model_name]
            if not model.check_access_rights("read", raise_exception=False):
                continue
            condition = DomainCompiler(model.sudo(), model._table).compile(
                model._rule_domain("read") or [])
            if condition.code == "TRUE":
                whole.append(model_name)
            else:
                restricted[model_name] = SQL("SELECT id FROM %s WHERE %s",
                                             SQL.identifier(model._table), condition)
        return whole, restricted

    def check_access_rule(self, operation: str) -> None:
        super().check_access_rule(operation)
        if self.env.su or not self._ids:
            return
        if operation == "read":
            query = SQL("SELECT m.id FROM mail_message m WHERE m.id = ANY(%s) AND %s",
                        list(self._ids), self._read_access_sql("m"))
            self.env.cr.execute(query.code, query.params)
            forbidden = set(self._ids) - {row[0] for row in self.env.cr.fetchall()}
            if forbidden:
                self._raise_forbidden(operation, forbidden)
            return
        self._check_document_access(operation)

    def _check_document_access(self, operation: str) -> None:
        """Create: post on the documents; write/unlink: be the author or write the documents."""
        partner = self.env.user.partner_id
        documents: dict[str, set[int]] = defaultdict(set)
        thread_models = self.env["mail.thread"]._thread_models()
        for message in self.sudo():
            if operation != "create" and message.author_id == partner:
                continue
            if message.model in thread_models and message.res_id:
                documents[message.model].add(message.res_id)
            elif operation != "create":
                self._raise_forbidden(operation, {message.id})
        for model_name, res_ids in documents.items():
            records = self.env[model_name].browse(sorted(res_ids)).exists()
            records._check_mail_access("post" if operation == "create" else "write")

    def _raise_forbidden(self, operation: str, ids: set[int]) -> None:
        verb = {"read": "read", "write": "modify", "create": "create", "unlink": "delete"}
        raise AccessError(f"You are not allowed to {verb[operation]} the messages "
                          f"{sorted(ids)[:10]}: you can only reach the messages of documents you "
                          "can access, and those sent to you.")

    # ------------------------------------------------------------------
    # inbox
    # ------------------------------------------------------------------
    def _compute_needaction(self) -> None:
        unread = set()
        if self._ids:
            self.env.cr.execute("""
                SELECT mail_message_id FROM mail_notification
                 WHERE mail_message_id = ANY(%s) AND res_partner_id = %s AND NOT is_read""",
                (list(self._ids), self.env.user.partner_id.id))
            unread = {row[0] for row in self.env.cr.fetchall()}
        for message in self:
            message.needaction = message.id in unread

    def _search_needaction(self, operator: str, value: Any) -> list:
        self.env.cr.execute("""
            SELECT mail_message_id FROM mail_notification
             WHERE res_partner_id = %s AND NOT is_read""", (self.env.user.partner_id.id,))
        ids = [row[0] for row in self.env.cr.fetchall()]
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", ids)]

    def mark_as_read(self) -> list[int]:
        """Mark these messages read in the current user's inbox; returns the ids that were unread."""
        notifications = self.env["mail.notification"].sudo().search([
            ("mail_message_id", "in", self.ids), ("is_read", "=", False),
            ("res_partner_id", "=", self.env.user.partner_id.id)])
        notifications.write({"is_read": True, "read_date": fields.Datetime.now()})
        self.env.transaction.cache.invalidate(self._fields["needaction"])
        return notifications.mapped("mail_message_id").ids

    @api.model
    def mark_all_as_read(self, domain: list | None = None) -> list[int]:
        """Mark read every message of the inbox (matching ``domain``); returns their ids."""
        return self.search(AND([[("needaction", "=", True)], domain or []])).mark_as_read()

    # ------------------------------------------------------------------
    # for the chatter and the inbox
    # ------------------------------------------------------------------
    @api.model
    def message_fetch(self, domain: list, before: int | None = None, limit: int = 30) -> list[dict]:
        """The newest messages matching ``domain`` (older than id ``before``), formatted."""
        if before:
            domain = AND([domain, [("id", "<", before)]])
        return self.search(domain, limit=limit, order="id desc").message_format()

    def message_format(self) -> list[dict[str, Any]]:
        """The messages as the chatter and the inbox show them, in a bounded number of queries."""
        self.check_access("read")
        needaction = {message.id: message.needaction for message in self}
        result = []
        for message in self.sudo():
            author = message.author_id
            result.append({
                "id": message.id,
                "date": fields.Datetime.to_string(message.date),
                "subject": message.subject or "",
                "body": message.body or "",
                "message_type": message.message_type,
                "subtype": {"id": message.subtype_id.id, "name": message.subtype_id.name,
                            "description": message.subtype_id.description or ""}
                           if message.subtype_id else False,
                "is_internal": message.is_internal,
                "is_note": bool(message.subtype_id.internal) if message.subtype_id else False,
                "author": {"id": author.id, "name": author.display_name, "email": author.email}
                          if author else False,
                "email_from": message.email_from or "",
                "model": message.model, "res_id": message.res_id,
                "record_name": message.record_name or "",
                "parent_id": message.parent_id.id,
                "attachments": [{"id": a.id, "name": a.name, "mimetype": a.mimetype,
                                 "file_size": a.file_size} for a in message.attachment_ids],
                "tracking_values": message.tracking_value_ids.with_env(
                    self.env)._format_tracking_values(),
                "notifications": message.notification_ids._format_notifications(),
                "needaction": needaction[message.id],
            })
        return result
