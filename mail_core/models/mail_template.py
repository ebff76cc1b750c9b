"""mail.template: an email to render for any record of one model, and send.

Settings > Technical > Email > Email Templates. Subject, From, Reply-To, To, To (partners),
Cc, language and scheduled date are inline templates; the body is QWeb (see
:mod:`.mail_render_mixin` for the sandbox, languages and who may write what)::

    template = env.ref("sale.email_template_order")
    template.send_mail(order.id)                       # queue one mail.mail, return its id
    template.send_mail_batch(orders.ids)               # one personalised mail per order
    order.message_post_with_template(template.id)      # post it in the chatter instead
    template._generate_template(orders.ids, ["subject", "body_html"])  # just render

A template is checked when it is saved: a source that does not compile is refused with
the expression and the reason, and expressions beyond plain field paths need the "Mail
Template Editor" group. Rendering it later needs no particular right beyond reading the
records.
"""

from __future__ import annotations

import datetime
from email.utils import formataddr, getaddresses
from typing import Any

from markupsafe import Markup

from postroom import _, api, fields, models
from postroom.exceptions import UserError, ValidationError
from postroom.orm.fields import Command
from postroom.render import RenderError, validate_inline, validate_qweb

#: the sources of an email, in the order a preview shows them
MAIL_FIELDS = ("subject", "email_from", "reply_to", "email_to", "partner_to", "email_cc",
               "scheduled_date", "body_html")
#: every field holding a source
RENDERED_FIELDS = (*MAIL_FIELDS, "lang")


class MailTemplate(models.Model):
    _name = "mail.template"
    _inherit = ["mail.render.mixin"]
    _description = "Email Template"
    _order = "name"
    _unrestricted_rendering = True
    _log_access = True  # create_uid for the record rules (an abstract parent hides it)

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    description = fields.Text(help="What the template is for, and when it is sent.")
    model_id = fields.Many2one("ir.model", "Applies to", required=True, ondelete="cascade",
                               help="The kind of document this template is written for.")
    model = fields.Char("Model", related="model_id.model", store=True, index=True)
    subject = fields.Char(help="e.g. Order {{ object.name }} - {{ object.partner_id.name }}")
    body_html = fields.Html("Body", sanitize=False,
                            help="QWeb: <t t-out=\"object.partner_id.name\"/>, t-if, t-foreach…")
    email_from = fields.Char("From", help="The sender, e.g. {{ object.user_id.email_formatted "
                             "}}; empty: the current user.")
    reply_to = fields.Char("Reply To", help="Where replies go; empty: back to the document.")
    email_to = fields.Char("To (Emails)", help="Comma-separated addresses.")
    partner_to = fields.Char("To (Partners)",
                             help="Comma-separated ids of contacts, e.g. {{ object.partner_id.id }}")
    email_cc = fields.Char("Cc", help="Comma-separated carbon-copy addresses.")
    use_default_to = fields.Boolean("Default Recipients",
                                    help="Send to the document's customer (its partner_id, or its "
                                         "email field) instead of the To fields.")
    attachment_ids = fields.Many2many("ir.attachment", "mail_template_ir_attachment_rel",
                                      "template_id", "attachment_id", string="Attachments",
                                      help="Files attached to every email sent with the template.")
    mail_server_id = fields.Many2one("ir.mail_server", "Outgoing Mail Server", ondelete="set null",
                                     help="Empty: chosen from the From address.")
    scheduled_date = fields.Char("Scheduled Date",
                                 help="When to send, in UTC, e.g. {{ (object.date_deadline - "
                                      "timedelta(days=1)).isoformat() }}; empty: at once.")
    auto_delete = fields.Boolean(default=True, help="Delete the emails once sent.")

    @api.depends("model")
    def _compute_render_model(self) -> None:
        for template in self:
            template.render_model = template.model

    # ------------------------------------------------------------------
    # saving: valid sources, editor rights
    # ------------------------------------------------------------------
    @api.constrains(*RENDERED_FIELDS)
    def _check_sources(self) -> None:
        """Refuse sources that do not compile, naming the field, the expression and why."""
        for template in self:
            for field in RENDERED_FIELDS:
                source = template[field]
                if not source:
                    continue
                try:
                    if self._render_engine(field) == "qweb":
                        validate_qweb(source)
                    else:
                        validate_inline(source)
                except RenderError as exc:
                    raise ValidationError(_("%s: %s", self._fields[field].string, exc)) from None

    @api.constrains("model_id", "use_default_to")
    def _check_model(self) -> None:
        for template in self:
            if template.model not in self.env:
                raise ValidationError(_("The model %s is not installed.", template.model))
            if template.use_default_to and \
                    template.model not in self.env["mail.thread"]._thread_models():
                raise ValidationError(_("Default Recipients needs documents with a chatter; "
                                        "%s has none.", template.model))

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        for vals in vals_list:
            self._check_template_editor(
                (field, vals[field]) for field in RENDERED_FIELDS if field in vals)
        templates = super().create(vals_list)
        templates._own_attachments()
        return templates

    def write(self, vals: dict[str, Any]) -> bool:
        self._check_template_editor(
            (field, vals[field]) for field in RENDERED_FIELDS
            if field in vals and any(template[field] != vals[field] for template in self))
        result = super().write(vals)
        if "attachment_ids" in vals:
            self._own_attachments()
        return result

    def copy_data(self, default: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        values = super().copy_data(default)
        for template, vals in zip(self, values):
            if not (default or {}).get("name"):
                vals["name"] = _("%s (copy)", template.name)
        return values

    def _own_attachments(self) -> None:
        """Files uploaded for a template belong to it: who reads the template reads them."""
        for template in self:
            template.attachment_ids.sudo().filtered(lambda a: not a.res_model).write(
                {"res_model": self._name, "res_id": template.id})

    # ------------------------------------------------------------------
    # rendering
    # ------------------------------------------------------------------
    def _generate_template(self, res_ids: list[int], render_fields: list[str]
                           ) -> dict[int, dict[str, Any]]:
        """As the mixin's, with ``partner_to`` given as ``partner_ids`` and ``scheduled_date``
        as a datetime (or False)."""
        results = super()._generate_template(res_ids, render_fields)
        for values in results.values():
            if "partner_to" in values:
                values["partner_ids"] = self._parse_partner_to(values.pop("partner_to"))
            if "scheduled_date" in values:
                values["scheduled_date"] = self._parse_scheduled_date(values["scheduled_date"])
        return results

    def _parse_partner_to(self, text: str) -> list[int]:
        """The ids of the existing contacts listed in a rendered ``partner_to``."""
        ids = [int(part) for part in text.replace(";", ",").split(",") if part.strip().isdigit()]
        return self.env["res.partner"].sudo().browse(ids).exists().ids

    def _parse_scheduled_date(self, text: str) -> datetime.datetime | bool:
        """A rendered ``scheduled_date`` as naive UTC (False when empty)."""
        if not text:
            return False
        try:
            return fields.Datetime.to_datetime(text)
        except ValueError:
            raise RenderError(self.scheduled_date, _(
                "%r is not a date and time (write YYYY-MM-DD HH:MM:SS, in UTC)", text)) from None

    def _generate_recipients(self, res_ids: list[int], rendered: dict[int, dict[str, Any]]) -> None:
        """With *Default Recipients*, replace the rendered To fields by each document's own."""
        if not self.use_default_to:
            return
        defaults = self.env[self.model].browse(res_ids)._message_get_default_recipients()
        for res_id, values in rendered.items():
            values.update(defaults[res_id])

    def _generate_post_values(self, res_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The :meth:`message_post` values of the template for each record: its content, and
        its recipients as contacts (addresses of nobody known become contacts)."""
        self.ensure_one()
        rendered = self._generate_template(res_ids, ["subject", "body_html", "email_from",
                                                     "reply_to", "email_to", "partner_to",
                                                     "email_cc"])
        self._generate_recipients(res_ids, rendered)
        result = {}
        for res_id, values in rendered.items():
            partners = self._partners_from_emails(values["email_to"], values["email_cc"])
            post = {"body": values["body_html"], "subject": values["subject"] or None,
                    "partner_ids": list(dict.fromkeys(values.get("partner_ids", []) + partners))}
            post.update({key: values[key] for key in ("email_from", "reply_to") if values[key]})
            result[res_id] = post
        return result

    @api.model
    def _partners_from_emails(self, *texts: str | bool) -> list[int]:
        """The contacts of the addresses in `texts` (comma-separated lists), created when
        nobody has the address yet."""
        Partner = self.env["res.partner"]
        return [Partner.find_or_create(formataddr((name, email))).id
                for name, email in getaddresses([text for text in texts if text]) if email]

    def _attachment_copies(self) -> list[tuple[str, bytes, dict[str, Any]]]:
        """The template's files as ``(name, content, values)``, for a post to own copies."""
        return [(attachment.name, attachment.raw, {"mimetype": attachment.mimetype})
                for attachment in self.attachment_ids.sudo()]

    # ------------------------------------------------------------------
    # sending
    # ------------------------------------------------------------------
    def _generate_mail_values(self, res_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The ``mail.mail`` values of the email to each record (not created)."""
        self.ensure_one()
        records = self.env[self.model].browse(res_ids)
        records.check_access("read")
        rendered = self._generate_template(res_ids, list(MAIL_FIELDS))
        self._generate_recipients(res_ids, rendered)
        return self._mail_values(records, rendered, self.attachment_ids, self.mail_server_id,
                                 self.auto_delete)

    @api.model
    def _mail_values(self, records: Any, rendered: dict[int, dict[str, Any]], attachments: Any,
                     mail_server: Any, auto_delete: bool) -> dict[int, dict[str, Any]]:
        """``mail.mail`` values from emails rendered for `records` (subject, body_html,
        email_from, reply_to, email_to, email_cc, partner_ids, scheduled_date): the sender
        defaults to the current user, replies go back to the document."""
        author_id, default_from = self.env["mail.thread"]._message_compute_author()
        is_thread = records._name in self.env["mail.thread"]._thread_models()
        replies = records._notify_get_reply_to() if is_thread else {}
        names = {record.id: record.display_name for record in records.sudo()}
        result = {}
        for res_id, values in rendered.items():
            body = values.get("body_html") or Markup("")
            email_from = values.get("email_from") or default_from
            result[res_id] = {
                "model": records._name, "res_id": res_id, "record_name": names[res_id],
                "message_type": "email", "author_id": author_id,
                "subject": values.get("subject") or False, "body": body, "body_html": str(body),
                "email_from": email_from,
                "reply_to": values.get("reply_to") or replies.get(res_id) or email_from,
                "email_to": values.get("email_to") or False,
                "email_cc": values.get("email_cc") or False,
                "recipient_ids": [Command.set(values.get("partner_ids", []))],
                "attachment_ids": [Command.set(attachments.ids)],
                "mail_server_id": mail_server.id, "auto_delete": auto_delete,
                "scheduled_date": values.get("scheduled_date") or False,
            }
        return result

    def send_mail(self, res_id: int, force_send: bool = False,
                  email_values: dict[str, Any] | None = None) -> int:
        """Queue the email of this template to record `res_id`; returns the ``mail.mail`` id.

        `email_values` override the rendered ones (``{"scheduled_date": tomorrow_9am}``);
        with `force_send` the mail is sent at once, in this transaction.
        """
        return self.send_mail_batch([res_id], force_send, email_values).id

    def send_mail_batch(self, res_ids: list[int], force_send: bool = False,
                        email_values: dict[str, Any] | None = None) -> Any:
        """Queue one personalised email per record; returns the ``mail.mail`` records."""
        self.ensure_one()
        try:
            values = self._generate_mail_values(list(res_ids))
        except RenderError as exc:
            raise self._render_failure(exc) from None
        mails = self.env["mail.mail"].sudo().create(
            [{**values[res_id], **(email_values or {})} for res_id in res_ids])
        if force_send:
            mails.send()
        return mails.with_env(self.env)

    def _render_failure(self, exc: RenderError) -> UserError:
        """The error shown to users when the template fails to render."""
        return UserError(_("The template %s cannot be rendered: %s", self.name, exc))

    # ------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------
    def action_open_preview(self) -> dict[str, Any]:
        """Preview: the template rendered for a record of its model, in a language."""
        self.ensure_one()
        preview = self.env["mail.template.preview"].create({"mail_template_id": self.id})
        return preview._action_open()
