"""Binary fields: a file input.

Form format: ``True`` when the record holds a file and none was uploaded, ``False``
when it holds none, or the uploaded content (base64 ``bytes``).
"""

from __future__ import annotations

import base64
from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import FileStorage, MultiDict

from postroom.addons.web.rendering.html import el
from postroom.addons.web.rendering.widgets.base import UNCHANGED, Slot, Widget, register


@register("binary")
class BinaryWidget(Widget):
    types = ("binary",)

    def from_record(self, record: Any) -> Any:
        return bool(record[self.name])

    def text(self, value: Any) -> str:
        return "File" if value else ""

    def input(self, value: Any, slot: Slot) -> Markup:
        current = el("span", {"class": "o_muted"}, "A file is stored; choose one to replace it.") \
            if value else None
        return el("div", {"class": "o_file"},
                  el("input", slot.attrs(type="file", **{"class": "o_input",
                                                         "required": slot.required and not value})),
                  current)

    def parse(self, form: MultiDict, name: str) -> Any:
        upload = form.get(name)
        if isinstance(upload, FileStorage) and upload.filename:
            return base64.b64encode(upload.read())
        return True

    def write_value(self, new: Any, old: Any) -> Any:
        return UNCHANGED if new is True else new
