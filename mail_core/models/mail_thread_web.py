"""Links to records in the backend: notification emails open the record's form."""

from __future__ import annotations

from postroom import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _notify_get_record_url(self) -> str:
        """``/web/record/<model>/<id>``, which opens the form through an action of the model."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        return f"{base_url.rstrip('/')}/web/record/{self._name}/{self.id}"
