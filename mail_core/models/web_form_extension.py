"""The chatter beside the form of every ``mail.thread`` record (the web addon's hook)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from postroom import models

from ..chatter import render_chatter


class WebFormExtension(models.AbstractModel):
    _inherit = "web.form.extension"

    def _form_sidebar(self, record: Any) -> list[Markup]:
        widgets = super()._form_sidebar(record)
        # not "message_ids" in record._fields: res.users has them through its partner
        if record._name in self.env["mail.thread"]._thread_models():
            widgets.append(render_chatter(record))
        return widgets
