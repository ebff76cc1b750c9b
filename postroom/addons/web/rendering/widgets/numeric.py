"""Numbers, progress bars and booleans.

Form format: an ``int``/``float`` (or the text typed, when it was not a number) and a
``bool``.
"""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.html import el
from postroom.addons.web.rendering.widgets.base import (
    UNCHANGED,
    FieldError,
    Slot,
    Widget,
    register,
)


@register("integer")
class IntegerWidget(Widget):
    types = ("integer",)
    error_message = "Enter a whole number."

    def from_record(self, record: Any) -> Any:
        return record[self.name] or 0

    def from_default(self, value: Any) -> Any:
        return value or 0

    def is_empty(self, value: Any) -> bool:
        return value is None or value is False

    def text(self, value: Any) -> str:
        return "" if self.is_empty(value) else str(value)

    def cell(self, value: Any) -> Markup:
        return el("span", {"class": "o_number"}, self.text(value))

    def export_text(self, value: Any) -> str:
        return "" if self.is_empty(value) else str(value)

    def input(self, value: Any, slot: Slot) -> Markup:
        return el("input", slot.attrs(**{"type": "number", "step": self.step(),
                                         "inputmode": "decimal", "class": "o_input o_number",
                                         "value": self.input_text(value)}))

    def input_text(self, value: Any) -> str:
        return "" if self.is_empty(value) else str(value)

    def step(self) -> str:
        return "1"

    def parse(self, form: MultiDict, name: str) -> Any:
        text = (form.get(name) or "").strip()
        if not text:
            return 0
        try:
            return self.convert(text)
        except ValueError:
            raise FieldError(self.error_message, text) from None

    def convert(self, text: str) -> int | float:
        return int(text)


@register("float", "monetary")
class FloatWidget(IntegerWidget):
    types = ("float", "monetary")
    error_message = "Enter a number."

    def from_record(self, record: Any) -> Any:
        return record[self.name] or 0.0

    def digits(self) -> int:
        digits = self.field.digits
        return int(digits[1]) if isinstance(digits, (list, tuple)) else 2

    def text(self, value: Any) -> str:
        if self.is_empty(value) or isinstance(value, str):
            return "" if self.is_empty(value) else value
        return f"{value:,.{self.digits()}f}"

    def input_text(self, value: Any) -> str:
        if self.is_empty(value) or isinstance(value, str):
            return "" if self.is_empty(value) else value
        return f"{value:.{self.digits()}f}"

    def step(self) -> str:
        return "any"

    def convert(self, text: str) -> float:
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(text)
        return number

    def write_value(self, new: Any, old: Any) -> Any:
        # the input shows the value rounded: posting it back unchanged must not round it
        if isinstance(new, float) and isinstance(old, (int, float)) and \
                round(old, self.digits()) == round(new, self.digits()):
            return UNCHANGED
        return super().write_value(new, old)


@register("progressbar")
class ProgressbarWidget(Widget):
    """How far a job is, read-only: the value out of ``max_value`` (a field, or a number;
    100 by default)::

        <field name="progress_done" widget="progressbar" options="{'max_value': 'progress_total'}"/>
    """

    types = ("integer", "float")
    editable = False
    labelable = False

    def total(self) -> float:
        total = self.options.get("max_value", 100)
        if isinstance(total, str):
            total = self.state.raw(total) if self.state is not None else 0
        return float(total or 0)

    def text(self, value: Any) -> str:
        done, total = float(value or 0), self.total()
        if isinstance(self.options.get("max_value"), str):
            return f"{done:g} / {total:g}"
        return f"{percent(done, total)}%"

    def bar(self, value: Any, label: str, html_id: str | None = None) -> Markup:
        done, total = float(value or 0), self.total()
        return el("div", {"class": "o_progress", "id": html_id},
                  el("progress", {"value": f"{min(done, total):g}", "max": f"{total or 1:g}",
                                  "aria-label": label}, f"{percent(done, total)}%"),
                  el("span", {"class": "o_progress_text"}, self.text(value)))

    def cell(self, value: Any) -> Markup:
        return self.bar(value, self.label)

    def show(self, value: Any, slot: Slot) -> Markup:
        return self.bar(value, slot.label, slot.html_id)


def percent(done: float, total: float) -> int:
    """``done`` out of ``total`` in percent, between 0 and 100."""
    return max(0, min(100, round(done * 100 / total))) if total > 0 else 0


@register("boolean", "boolean_toggle")
class BooleanWidget(Widget):
    types = ("boolean",)

    def from_record(self, record: Any) -> Any:
        return bool(record[self.name])

    def from_default(self, value: Any) -> Any:
        return bool(value)

    def is_empty(self, value: Any) -> bool:
        return False

    def text(self, value: Any) -> str:
        return "Yes" if value else "No"

    def cell(self, value: Any) -> Markup:
        return el("input", {"type": "checkbox", "disabled": True, "checked": bool(value),
                            "aria-label": f"{self.label}: {self.text(value)}",
                            "class": "o_checkbox"})

    def show(self, value: Any, slot: Slot) -> Markup:
        return el("input", {"type": "checkbox", "disabled": True, "checked": bool(value),
                            "id": slot.html_id, "class": "o_checkbox",
                            "aria-label": None if slot.labelled else slot.label})

    def input(self, value: Any, slot: Slot) -> Markup:
        attrs = slot.attrs(type="checkbox", value="1", checked=bool(value))
        attrs.update({"class": "o_checkbox", "required": False, "aria-required": None})
        return el("input", attrs)

    def parse(self, form: MultiDict, name: str) -> Any:
        return bool(form.get(name))
