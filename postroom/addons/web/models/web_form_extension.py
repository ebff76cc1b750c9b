"""web.form.extension: where addons attach widgets beside the form sheet.

The backend's form pages show a sidebar region (``<aside class="o_form_sidebar">``),
beside the sheet on wide screens and under it on narrow ones. Its content is the list
returned by :meth:`WebFormExtension._form_sidebar`; an addon appends its widget by
extending this model, as mail_core does for the chatter::

    class WebFormExtension(models.AbstractModel):
        _inherit = "web.form.extension"

        def _form_sidebar(self, record):
            widgets = super()._form_sidebar(record)
            if "message_ids" in record._fields:
                widgets.append(render_chatter(record))   # a markupsafe.Markup
            return widgets

``record`` is the record shown, in the user's environment; it is empty (but of the
right model) on the form of a record being created. Each widget is ``Markup`` and is
inserted as is, so it must escape what it shows. The sidebar sits outside the form's
``<form>`` element: widgets may contain forms of their own (a composer posting to its
own route with the ``csrf_token`` of ``request.csrf_token()``).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from postroom import models


class WebFormExtension(models.AbstractModel):
    _name = "web.form.extension"
    _description = "Form extensions of the backend"

    def _form_sidebar(self, record: Any) -> list[Markup]:
        """The widgets shown beside the sheet of ``record``'s form (none by default)."""
        return []
