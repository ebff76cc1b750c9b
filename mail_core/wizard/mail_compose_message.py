"""mail.compose.message: the Send by Email composer.

Opened on documents (:meth:`mail.thread.action_send_mail`), pre-filled from a template,
every field editable:

- **comment** mode, on one document: the template is rendered for it right away (the user
  sees and edits the real email); *Send* posts it in the document's chatter, which emails
  its recipients and notifies its followers. With a scheduled date, nothing is posted
  until then (``mail.scheduled.message``), and it can be cancelled meanwhile.
- **mass_mail** mode, on several documents: the fields keep their sources and *Send*
  renders them once per document, one personalised ``mail.mail`` each (linked to the
  document, so replies come back to it). A selection no larger than ``mail.batch_size``
  documents is done at once; a larger one is queued and generated batch after batch by
  the "Mail: mass sending of the composer" action, the request returning at once;
  ``progress_done``/``progress_total`` tell how far it is. A document that cannot be
  rendered is skipped and reported (``failure_report``), the others go. With a scheduled
  date, the queue sends the mails at that time; *Cancel* cancels those not sent yet.

Fields left as the template wrote them render as the template (checked when it was
saved); fields the user changed render with the user's rights (see
:mod:`..models.mail_render_mixin`).
"""

from __future__ import annotations

from typing import Any

import psycopg2
from markupsafe import Markup

from postroom import _, api, fields, models
from postroom.exceptions import UserError
from postroom.orm.fields import Command
from postroom.render import RenderError, validate_inline, validate_qweb

from ..models.mail_render_mixin import check_single_line, single_line

#: composer field -> the template field it comes from
TEMPLATE_FIELDS = {"subject": "subject", "body": "body_html", "email_from": "email_from",
                   "reply_to": "reply_to", "lang": "lang"}
#: the template fields giving each mass-mode email its recipients and send time
RECIPIENT_FIELDS = ["email_to", "partner_to", "email_cc", "scheduled_date"]


class MailComposeMessage(models.TransientModel):
    _name = "mail.compose.message"
    _inherit = ["mail.render.mixin"]
    _description = "Email Composer"
    _log_access = True  # create_uid for the record rules (an abstract parent hides it)

    composition_mode = fields.Selection(
        [("comment", "Post on a document"), ("mass_mail", "Email mass mailing")], "Mode",
        compute="_compute_composition_mode", store=True, readonly=False)
    model = fields.Char("Document Model", required=True)
    res_ids = fields.Json("Document IDs", help="The documents to send to, a list of ids.")
    template_id = fields.Many2one("mail.template", "Use Template", ondelete="set null")
    subject = fields.Char()
    body = fields.Html("Contents", sanitize=False)
    email_from = fields.Char("From")
    reply_to = fields.Char("Reply To")
    partner_ids = fields.Many2many("res.partner", "mail_compose_message_res_partner_rel",
                                   "wizard_id", "partner_id", string="Recipients")
    attachment_ids = fields.Many2many("ir.attachment", "mail_compose_message_ir_attachment_rel",
                                      "wizard_id", "attachment_id", string="Attachments")
    subtype_id = fields.Many2one("mail.message.subtype", "Subtype", ondelete="set null",
                                 default=lambda self: self.env.ref("mail_core.mt_comment").id)
    mail_server_id = fields.Many2one("ir.mail_server", "Outgoing Mail Server",
                                     ondelete="set null")
    auto_delete = fields.Boolean(help="Delete the emails once sent (mass mode).")
    scheduled_date = fields.Datetime("Send At",
                                     help="Empty: at once (mass mode: at the template's time).")
    # mass mode: the sending job
    state = fields.Selection([("draft", "Draft"), ("queued", "Queued"), ("running", "Sending"),
                              ("done", "Done"), ("failed", "Failed"), ("cancel", "Cancelled")],
                             default="draft", required=True, readonly=True)
    progress_total = fields.Integer("Documents", readonly=True)
    progress_done = fields.Integer("Documents Done", readonly=True)
    failure_count = fields.Integer("Documents Failed", readonly=True)
    failure_report = fields.Text(readonly=True)
    mail_ids = fields.Many2many("mail.mail", "mail_compose_message_mail_mail_rel", "wizard_id",
                                "mail_id", string="Emails", readonly=True)

    @api.depends("res_ids")
    def _compute_composition_mode(self) -> None:
        for composer in self:
            composer.composition_mode = "comment" if len(composer.res_ids or []) == 1 \
                else "mass_mail"

    @api.depends("model")
    def _compute_render_model(self) -> None:
        for composer in self:
            composer.render_model = composer.model

    # ------------------------------------------------------------------
    # the template
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        composers = super().create(vals_list)
        for composer, vals in zip(composers, vals_list):
            if composer.template_id:
                composer._apply_template(vals)
        return composers

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if vals.get("template_id") or "composition_mode" in vals:
            for composer in self.filtered("template_id"):
                composer._apply_template(vals)
        return result

    def _apply_template(self, given: dict[str, Any]) -> None:
        """Fill the fields from the template, except those `given` a value (the user's)."""
        values = self._template_values()
        self.write({name: value for name, value in values.items() if not given.get(name)})

    def _template_values(self) -> dict[str, Any]:
        """What the template puts in the composer: its sources (mass mode), or its email
        rendered for the document (comment mode)."""
        template = self.template_id
        values = {"mail_server_id": template.mail_server_id.id,
                  "auto_delete": template.auto_delete,
                  "attachment_ids": [Command.set(template.attachment_ids.ids)]}
        if self.composition_mode == "mass_mail":
            values.update({name: template[source] or False
                           for name, source in TEMPLATE_FIELDS.items()})
            return values
        res_id = self.res_ids[0]
        try:
            post = template._generate_post_values([res_id])[res_id]
            send_at = template._generate_template([res_id], ["scheduled_date"])[res_id]
        except RenderError as exc:
            raise template._render_failure(exc) from None
        values.update(subject=post["subject"] or False, body=post["body"],
                      email_from=post.get("email_from", False),
                      reply_to=post.get("reply_to", False),
                      partner_ids=[Command.set(post["partner_ids"])],
                      scheduled_date=send_at["scheduled_date"])
        return values

    def _render_field(self, field: str, res_ids: list[int], *, set_lang: str | None = None
                      ) -> dict[int, Any]:
        """Fields left as the template wrote them render as the template."""
        source = TEMPLATE_FIELDS.get(field)
        if source and self.template_id and self[field] == self.template_id[source]:
            return self.template_id._render_field(source, res_ids, set_lang=set_lang)
        return super()._render_field(field, res_ids, set_lang=set_lang)

    # ------------------------------------------------------------------
    # sending
    # ------------------------------------------------------------------
    def action_send_mail(self) -> dict[str, Any]:
        """Send: post on the document, or send one email per document (mass mode)."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("This message was sent already."))
        if self.composition_mode == "comment":
            self._action_send_comment()
        else:
            self._action_send_mass()
            if self.state in ("queued", "running"):
                return self._action_open()
        return {"type": "ir.actions.act_window_close"}

    def action_cancel(self) -> bool:
        """Cancel a mass sending: documents not done yet are left, emails not sent are
        cancelled."""
        self.ensure_one()
        self.sudo().mail_ids.filtered(lambda mail: mail.state == "outgoing").cancel()
        self.state = "cancel"
        return True

    def _action_send_comment(self) -> None:
        """Post the message on the document, now or at the scheduled date."""
        if len(self.res_ids or []) != 1:
            raise UserError(_("A message is posted on one document; to email several, "
                              "use the mass mode."))
        record = self.env[self.model].browse(self.res_ids[0])
        post = self._post_values()
        if self.scheduled_date and self.scheduled_date > fields.Datetime.now():
            record._check_mail_access("post")  # refused now rather than at the time
            Scheduled = self.env["mail.scheduled.message"]
            Scheduled.create(Scheduled._values_from_post(record, self.scheduled_date, **post))
        else:
            record.message_post(**post)
        self.state = "done"

    def _post_values(self) -> dict[str, Any]:
        """The :meth:`message_post` arguments of the composed message. The template's files
        are copied, for the document to own its copies."""
        try:
            addresses = {name: check_single_line(self._fields[name].string, self[name])
                         for name in ("email_from", "reply_to") if self[name]}
        except RenderError as exc:
            raise UserError(exc.reason) from None
        templates_files = self.attachment_ids.filtered(lambda a: a.res_model == "mail.template")
        copies = self.env["ir.attachment"].create([
            {"name": attachment.name, "raw": attachment.raw, "mimetype": attachment.mimetype}
            for attachment in templates_files.sudo()])
        return {
            "body": Markup(self.body or ""), "subject": single_line(self.subject or "") or None,
            "message_type": "comment", "subtype_id": self.subtype_id.id or None,
            "author_id": self.env.user.partner_id.id,
            "partner_ids": self.partner_ids.ids,
            "attachment_ids": (self.attachment_ids - templates_files).ids + copies.ids,
            **addresses,
        }

    def _action_send_mass(self) -> None:
        """Check the sources, then generate the emails now or in the background."""
        self._check_mass_sources()
        total = len(self.res_ids or [])
        self.write({"state": "queued", "progress_total": total, "progress_done": 0})
        if total <= self._batch_size():
            self._process_batch()
        else:
            self.env.ref("mail_core.ir_cron_mail_compose_mass").sudo()._trigger()

    def _check_mass_sources(self) -> None:
        """Refuse, before anything is sent, sources that do not compile or that the user may
        not write (those still the template's were checked when it was saved)."""
        for name, source in TEMPLATE_FIELDS.items():
            if not self[name] or (self.template_id and self[name] == self.template_id[source]):
                continue
            try:
                (validate_qweb if self._render_engine(name) == "qweb" else validate_inline)(
                    self[name])
            except RenderError as exc:
                raise UserError(_("%s: %s", self._fields[name].string, exc)) from None
            self._check_template_editor([(name, self[name])])

    @api.model
    def _batch_size(self) -> int:
        return int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size", 50) or 50)

    @api.model
    def _process_mass_queue(self) -> None:
        """Mail: mass sending of the composer. One batch of the oldest job, as its author;
        the action runs again at once while jobs are left."""
        self.env.cr.execute("SELECT id FROM mail_compose_message WHERE state IN"
                            " ('queued', 'running') ORDER BY id LIMIT 2"
                            " FOR NO KEY UPDATE SKIP LOCKED")
        ids = [row[0] for row in self.env.cr.fetchall()]
        if not ids:
            return
        job = self.sudo().browse(ids[0])
        try:
            with self.env.cr.savepoint():
                job.with_user(job.create_uid)._process_batch()
        except psycopg2.OperationalError:
            raise
        except Exception as exc:
            job.write({"state": "failed", "failure_report": str(exc)})
        if len(ids) > 1 or job.state == "running":
            self.env.ref("mail_core.ir_cron_mail_compose_mass")._trigger()

    def _process_batch(self) -> None:
        """Generate one email per document of the next batch, and count them."""
        start = self.progress_done
        batch = (self.res_ids or [])[start:start + self._batch_size()]
        records = self.env[self.model].browse(batch).exists()
        values, errors = self._mass_values(records.ids)
        errors.update(dict.fromkeys(set(batch) - set(records.ids), _("deleted")))
        mails = self.env["mail.mail"].sudo().create([values[res_id] for res_id in records.ids
                                                     if res_id in values])
        done = start + len(batch)
        report = [line for line in (self.failure_report or "").splitlines() if line]
        report += [_("Document %s: %s", res_id, reason) for res_id, reason in errors.items()]
        self.write({
            "mail_ids": [Command.link(mail_id) for mail_id in mails.ids],
            "progress_done": done, "failure_count": self.failure_count + len(errors),
            "failure_report": "\n".join(report) or False,
            "state": "done" if done >= self.progress_total else "running",
        })

    def _mass_values(self, res_ids: list[int]) -> tuple[dict[int, dict], dict[int, str]]:
        """``(mail values, errors)`` per document: when the batch fails to render, each
        document is rendered alone, to send those that can be and report the others."""
        try:
            return self._generate_mass_values(res_ids), {}
        except (RenderError, UserError) as exc:
            if len(res_ids) == 1:
                return {}, {res_ids[0]: str(exc)}
        values: dict[int, dict] = {}
        errors: dict[int, str] = {}
        for res_id in res_ids:
            one_values, one_errors = self._mass_values([res_id])
            values.update(one_values)
            errors.update(one_errors)
        return values, errors

    def _generate_mass_values(self, res_ids: list[int]) -> dict[int, dict[str, Any]]:
        """The ``mail.mail`` values of each document's email: the content as composed, the
        recipients and send time as the template gives them (else the document's own
        recipients), the composer's send time first."""
        records = self.env[self.model].browse(res_ids)
        records.check_access("read")
        rendered = self._generate_template(res_ids, ["subject", "body", "email_from",
                                                     "reply_to"])
        template = self.template_id
        if template:
            recipients = template._generate_template(res_ids, RECIPIENT_FIELDS)
            template._generate_recipients(res_ids, recipients)
        else:
            recipients = records._message_get_default_recipients()
        for res_id, values in rendered.items():
            values["body_html"] = values.pop("body")
            values.update(recipients[res_id])
            if self.scheduled_date:
                values["scheduled_date"] = self.scheduled_date
        return self.env["mail.template"]._mail_values(records, rendered, self.attachment_ids,
                                                      self.mail_server_id, self.auto_delete)

    def _action_open(self) -> dict[str, Any]:
        self.ensure_one()
        return {"type": "ir.actions.act_window", "name": _("Send by Email"),
                "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new"}
