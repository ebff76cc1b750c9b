"""``/web/content/<id>``: the file of an attachment the user may read.

``/web/image/<id>`` is the same, the address incoming mail gives its inline images.

Images, PDF and plain text show in the browser unless ``download=1`` is asked; every
other type (HTML and SVG above all: they could run scripts on this site) is always a
download. ``X-Content-Type-Options: nosniff`` keeps browsers from guessing otherwise.
"""

from __future__ import annotations

import io

from werkzeug.utils import send_file
from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import backend_route
from postroom.exceptions import MissingError
from postroom.http import request

#: types shown in the browser (the others are downloaded)
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp",
                          "application/pdf", "text/plain"})
DEFAULT_TYPE = "application/octet-stream"


class ContentController(http.Controller):
    @backend_route(["/web/content/<int:attachment_id>", "/web/image/<int:attachment_id>"],
                   methods=["GET"])
    def content(self, attachment_id: int, download: str = "") -> Response:
        attachment = request.env["ir.attachment"].browse(attachment_id).exists()
        if not attachment or attachment.type != "binary":
            raise MissingError("This file does not exist (any more).")
        attachment.check_access("read")
        mimetype = (attachment.mimetype or DEFAULT_TYPE).split(";")[0].strip().lower()
        inline = mimetype in INLINE_TYPES and not download
        response = send_file(io.BytesIO(attachment.raw), request.httprequest.environ,
                             mimetype=mimetype if "/" in mimetype else DEFAULT_TYPE,
                             as_attachment=not inline, download_name=attachment.name or "file",
                             max_age=0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response
