"""Dates and datetimes.

Form format: a ``date``, or a naive UTC ``datetime`` (as the ORM stores it), or ``False``;
the text typed when it was not a valid date. Datetimes are shown and typed in the
user's time zone (``tz`` of the context), and converted back to UTC.
"""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.html import el
from postroom.addons.web.rendering.widgets.base import FieldError, Slot, Widget, register


@register("date")
class DateWidget(Widget):
    types = ("date",)
    input_type = "date"
    error_message = "Enter a date (YYYY-MM-DD)."

    def text(self, value: Any) -> str:
        if self.is_empty(value):
            return ""
        return value if isinstance(value, str) else value.isoformat()

    def cell(self, value: Any) -> Markup:
        text = self.text(value)
        return el("span", {"class": "o_date"}, text) if text else Markup("")

    def input(self, value: Any, slot: Slot) -> Markup:
        return el("input", slot.attrs(**{"type": self.input_type, "class": "o_input",
                                         "value": self.input_text(value)}))

    def input_text(self, value: Any) -> str:
        return self.text(value)

    def parse(self, form: MultiDict, name: str) -> Any:
        text = (form.get(name) or "").strip()
        if not text:
            return False
        try:
            return self.convert(text)
        except ValueError:
            raise FieldError(self.error_message, text) from None

    def convert(self, text: str) -> Any:
        return datetime.date.fromisoformat(text)


@register("datetime")
class DatetimeWidget(DateWidget):
    types = ("datetime",)
    input_type = "datetime-local"
    error_message = "Enter a date and a time (YYYY-MM-DD HH:MM)."

    def zone(self) -> datetime.tzinfo:
        try:
            return ZoneInfo(self.env.context.get("tz") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return datetime.UTC

    def local(self, value: datetime.datetime) -> datetime.datetime:
        return value.replace(tzinfo=datetime.UTC).astimezone(self.zone()).replace(tzinfo=None)

    def text(self, value: Any) -> str:
        if self.is_empty(value) or isinstance(value, str):
            return value or ""
        return self.local(value).strftime("%Y-%m-%d %H:%M:%S")

    def input_text(self, value: Any) -> str:
        if self.is_empty(value) or isinstance(value, str):
            return value or ""
        return self.local(value).strftime("%Y-%m-%dT%H:%M:%S")

    def input(self, value: Any, slot: Slot) -> Markup:
        return el("input", slot.attrs(**{"type": self.input_type, "class": "o_input",
                                         "step": "1", "value": self.input_text(value)}))

    def convert(self, text: str) -> Any:
        local = datetime.datetime.fromisoformat(text.replace(" ", "T"))
        if local.tzinfo is None:
            local = local.replace(tzinfo=self.zone())
        return local.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)
