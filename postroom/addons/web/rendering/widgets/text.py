"""Text widgets: char (plain, email, url, phone, password), text, html and json.

Form format: the text, or ``False`` when empty (json: the decoded value).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.html import el
from postroom.addons.web.rendering.widgets.base import FieldError, Slot, Widget, register
from postroom.render import html_to_text, sanitize_html

CELL_CHARS = 80


def shorten(text: str, size: int = CELL_CHARS) -> str:
    """``text`` on one line, cut at ``size`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size].rstrip() + "…"


@register("char")
class CharWidget(Widget):
    types = ("char", "text", "html")
    input_type = "text"

    def input(self, value: Any, slot: Slot) -> Markup:
        return el("input", slot.attrs(**{
            "type": self.input_type, "value": self.text(value), "class": "o_input",
            "maxlength": self.field.size or None,
            "autocomplete": "off" if self.input_type == "text" else None}))

    def parse(self, form: MultiDict, name: str) -> Any:
        text = form.get(name) or ""
        return (text.strip() if self.field.trim else text) or False


@register("email")
class EmailWidget(CharWidget):
    types = ("char",)
    input_type = "email"

    def cell(self, value: Any) -> Markup:
        if self.is_empty(value):
            return Markup("")
        return el("a", {"href": f"mailto:{value}", "class": "o_link"}, value)

    def show(self, value: Any, slot: Slot) -> Markup:
        return el("span", {"class": "o_readonly", "id": slot.html_id}, self.cell(value))


@register("phone")
class PhoneWidget(CharWidget):
    types = ("char",)
    input_type = "tel"


@register("url")
class UrlWidget(CharWidget):
    types = ("char",)
    input_type = "url"

    def cell(self, value: Any) -> Markup:
        if self.is_empty(value):
            return Markup("")
        if urlsplit(str(value)).scheme not in ("http", "https"):
            return el("span", None, value)
        return el("a", {"href": value, "class": "o_link", "rel": "noopener noreferrer",
                        "target": "_blank"}, value)

    def show(self, value: Any, slot: Slot) -> Markup:
        return el("span", {"class": "o_readonly", "id": slot.html_id}, self.cell(value))


@register("password")
class PasswordWidget(CharWidget):
    """Write-only: shows nothing, and an empty input leaves the password unchanged."""

    types = ("char",)
    input_type = "password"

    def from_record(self, record: Any) -> Any:
        return False

    def text(self, value: Any) -> str:
        return ""

    def input(self, value: Any, slot: Slot) -> Markup:
        return el("input", slot.attrs(**{"type": "password", "value": "", "class": "o_input",
                                         "autocomplete": "new-password"}))

    def parse(self, form: MultiDict, name: str) -> Any:
        return form.get(name) or False


@register("text")
class TextWidget(CharWidget):
    types = ("text", "char", "html")
    rows = 4

    def cell(self, value: Any) -> Markup:
        return el("span", None, shorten(self.text(value))) if value else Markup("")

    def show(self, value: Any, slot: Slot) -> Markup:
        return el("div", {"class": "o_readonly o_pre", "id": slot.html_id}, self.text(value))

    def input(self, value: Any, slot: Slot) -> Markup:
        return el("textarea", slot.attrs(**{"class": "o_input", "rows": self.rows}),
                  self.text(value))

    def parse(self, form: MultiDict, name: str) -> Any:
        text = (form.get(name) or "").replace("\r\n", "\n")
        return text if text.strip() else False


@register("html")
class HtmlWidget(TextWidget):
    """HTML is edited as source (kept as typed: QWeb ``t-*`` attributes stay) and shown
    sanitized. Beside the source, a *Preview* toggle shows it sanitized (``html.js``
    refreshes it from ``/web/html/preview`` as the source changes)."""

    types = ("html",)
    rows = 8

    def from_record(self, record: Any) -> Any:
        value = record[self.name]
        return str(value) if value else False

    def cell(self, value: Any) -> Markup:
        return el("span", None, shorten(html_to_text(value))) if value else Markup("")

    def show(self, value: Any, slot: Slot) -> Markup:
        return el("div", {"class": "o_readonly o_html", "id": slot.html_id},
                  sanitize_html(value or None))

    def input(self, value: Any, slot: Slot) -> Markup:
        preview = el("details", {"class": "o_html_preview", "data-html-preview": True},
                     el("summary", None, "Preview"),
                     el("div", {"class": "o_html", "data-html-preview-body": True},
                        sanitize_html(value or None)))
        return el("div", {"class": "o_html_field"}, super().input(value, slot), preview)


@register("json")
class JsonWidget(TextWidget):
    types = ("json",)

    def from_record(self, record: Any) -> Any:
        return record[self.name]

    def is_empty(self, value: Any) -> bool:
        return value is None or value is False

    def text(self, value: Any) -> str:
        if self.is_empty(value):
            return ""
        return value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True)

    def cell(self, value: Any) -> Markup:
        return el("code", None, shorten(json.dumps(value), 60)) if not self.is_empty(value) \
            else Markup("")

    def parse(self, form: MultiDict, name: str) -> Any:
        text = (form.get(name) or "").strip()
        if not text:
            return False
        try:
            return json.loads(text)
        except ValueError as exc:
            raise FieldError(f"Enter valid JSON ({exc.args[0]}).", text) from None
