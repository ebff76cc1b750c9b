"""mail.thread and templates: Send by Email, posting a template, default recipients.

A document's *Send by Email* button calls :meth:`MailThread.action_send_mail`::

    <button name="action_send_mail" type="object" string="Send by Email"/>

which opens the composer pre-filled from the document's template (the first template of
its model; override :meth:`MailThread._mail_default_template` to choose). On one document
the composer posts in its chatter; on several (a list's Action menu) it sends one
personalised email per document.
"""

from __future__ import annotations

from typing import Any

from postroom import api, models
from postroom.render import RenderError


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def action_send_mail(self) -> dict[str, Any]:
        """Send by Email: open the composer on these documents."""
        composer = self.env["mail.compose.message"].create({
            "model": self._name, "res_ids": self.ids,
            "template_id": self._mail_default_template().id,
        })
        return composer._action_open()

    @api.model
    def _mail_default_template(self) -> Any:
        """The template *Send by Email* starts from (may be empty)."""
        return self.env["mail.template"].search([("model", "=", self._name)], limit=1)

    def message_post_with_template(self, template_id: int, **kwargs: Any) -> Any:
        """Post template `template_id`, rendered for each record (in its recipient's
        language), in the record's chatter; returns the messages.

        By default it is a *Send message* by the current user: the followers and the
        template's recipients are notified (addresses of nobody known become contacts). `kwargs` go to
        :meth:`message_post` (``subtype_xmlid="mail_core.mt_note"`` logs a note instead).
        """
        template = self.env["mail.template"].browse(template_id)
        try:
            values = template._generate_post_values(self.ids)
        except RenderError as exc:
            raise template._render_failure(exc) from None
        files = template._attachment_copies()
        messages = self.env["mail.message"]
        for record in self:
            messages |= record.message_post(**{
                "message_type": "comment", "subtype_xmlid": "mail_core.mt_comment",
                "author_id": self.env.user.partner_id.id, "attachments": files,
                **values[record.id], **kwargs})
        return messages

    def _message_get_default_recipients(self) -> dict[int, dict[str, Any]]:
        """Whom a document's emails go to by default, ``{id: {partner_ids, email_to,
        email_cc}}``: a contact is its own recipient; other documents use their
        ``partner_id``, else their ``email_from`` or ``email`` address."""
        partner_field = self._fields.get("partner_id")
        email_field = next((name for name in ("email_from", "email")
                            if self._fields.get(name) and self._fields[name].type == "char"), None)
        result = {}
        for record in self.sudo():
            if self._name == "res.partner":
                partners = record
            elif partner_field is not None and partner_field.comodel_name == "res.partner":
                partners = record.partner_id
            else:
                partners = self.env["res.partner"]
            email_to = record[email_field] if email_field and not partners else False
            result[record.id] = {"partner_ids": partners.ids, "email_to": email_to or False,
                                 "email_cc": False}
        return result
