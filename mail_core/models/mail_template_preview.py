"""mail.template.preview: a template rendered for one record, in one language.

Every field shows its result; a field that fails shows nothing and the error names it,
with the failing expression and the reason, so that a template can be fixed before it
is used.
"""

from __future__ import annotations

from typing import Any

from postroom import _, api, fields, models
from postroom.render import RenderError

from .mail_template import MAIL_FIELDS


class MailTemplatePreview(models.TransientModel):
    _name = "mail.template.preview"
    _description = "Email Template Preview"
    _log_access = True  # create_uid for the record rules (an abstract parent hides it)

    mail_template_id = fields.Many2one("mail.template", "Template", required=True,
                                       ondelete="cascade")
    model = fields.Char(related="mail_template_id.model")
    res_id = fields.Integer("Record ID", help="The record to render the template for.")
    record_name = fields.Char("Record", compute="_compute_preview")
    lang = fields.Selection("_selection_lang", "Language",
                            help="Empty: the language the template gives the record.")
    # the rendered template
    subject = fields.Char(compute="_compute_preview")
    email_from = fields.Char("From", compute="_compute_preview")
    reply_to = fields.Char("Reply To", compute="_compute_preview")
    email_to = fields.Char("To (Emails)", compute="_compute_preview")
    partner_ids = fields.Many2many("res.partner", string="To (Partners)",
                                   compute="_compute_preview")
    email_cc = fields.Char("Cc", compute="_compute_preview")
    scheduled_date = fields.Char("Scheduled Date", compute="_compute_preview")
    body_html = fields.Html("Body", compute="_compute_preview")
    rendered_lang = fields.Char("Rendered In", compute="_compute_preview")
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments",
                                      related="mail_template_id.attachment_ids")
    error_msg = fields.Text("Errors", compute="_compute_preview")

    @api.model
    def _selection_lang(self) -> list[tuple[str, str]]:
        return self.env["res.lang"].get_installed()

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        for vals in vals_list:
            if not vals.get("res_id") and vals.get("mail_template_id"):
                template = self.env["mail.template"].browse(vals["mail_template_id"])
                vals["res_id"] = self.env[template.model].search([], limit=1).id
        return super().create(vals_list)

    @api.depends("mail_template_id", "res_id", "lang")
    def _compute_preview(self) -> None:
        for preview in self:
            values, errors = preview._render_preview()
            for name in ("subject", "email_from", "reply_to", "email_to", "email_cc",
                         "scheduled_date", "body_html", "record_name", "rendered_lang"):
                preview[name] = values.get(name) or False
            preview.partner_ids = values.get("partner_ids", [])
            preview.error_msg = "\n".join(errors) or False

    def _render_preview(self) -> tuple[dict[str, Any], list[str]]:
        """``(values, errors)``: each field rendered, or one error line per failed field."""
        template = self.mail_template_id
        record = self.env[template.model].browse(self.res_id).exists() if self.res_id else None
        if not record:
            return {}, [_("Choose a record of %s to render the template for.", template.model)]
        record.check_access("read")
        values: dict[str, Any] = {"record_name": record.display_name}
        errors = []
        lang = self.lang
        if not lang:
            try:
                lang = template._render_lang([record.id])[record.id]
            except RenderError as exc:
                lang = self.env.context.get("lang") or self.env.user.lang or "en_US"
                errors.append(_("Language: %s", exc))
        values["rendered_lang"] = lang
        for field in MAIL_FIELDS:
            try:
                values.update(self._render_in(template, field, record.id, lang))
            except RenderError as exc:
                errors.append(f"{template._fields[field].string}: {exc}")
        return values, errors

    @staticmethod
    def _render_in(template: Any, field: str, res_id: int, lang: str) -> dict[str, Any]:
        """One field of `template` rendered for `res_id` in `lang`, as a preview shows it."""
        value = template._render_field(field, [res_id], set_lang=lang)[res_id]
        if field == "partner_to":
            return {"partner_ids": template._parse_partner_to(value)}
        if field == "scheduled_date":
            template._parse_scheduled_date(value)  # an invalid date is an error too
        return {field: value}

    def _action_open(self) -> dict[str, Any]:
        self.ensure_one()
        return {"type": "ir.actions.act_window", "name": _("Preview of %s",
                                                            self.mail_template_id.name),
                "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new"}

    def action_refresh(self) -> bool:
        """Render: the form saves the record and language chosen; the fields render as the
        form shows them again."""
        return True
