"""``/web/html/preview``: an HTML field's source as the form's preview shows it, sanitized."""

from __future__ import annotations

from werkzeug.exceptions import RequestEntityTooLarge

from postroom import http
from postroom.addons.web.controllers.backend import backend_route
from postroom.render import sanitize_html

#: the longest source previewed (characters)
MAX_SOURCE = 2_000_000


class HtmlPreviewController(http.Controller):
    @backend_route("/web/html/preview", type="json")
    def preview(self, source: str = "") -> dict[str, str]:
        """``{html}``: ``source`` sanitized (never the source itself)."""
        if len(source) > MAX_SOURCE:
            raise RequestEntityTooLarge("This text is too long to preview.")
        return {"html": str(sanitize_html(str(source)))}
