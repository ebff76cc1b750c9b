"""Selection widgets: a drop-down, radio buttons, and the status bar of form headers.

Form format: the selected key, or ``False``.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.html import classes, el
from postroom.addons.web.rendering.widgets.base import FieldError, Slot, Widget, register


@register("selection")
class SelectionWidget(Widget):
    types = ("selection",)

    def options(self) -> list[tuple[str, str]]:
        return [(str(key), label) for key, label in self.field.get_values(self.model)]

    def text(self, value: Any) -> str:
        if self.is_empty(value):
            return ""
        return dict(self.options()).get(str(value), str(value))

    def input(self, value: Any, slot: Slot) -> Markup:
        current = "" if self.is_empty(value) else str(value)
        options = [] if slot.required and current else [el("option", {"value": ""}, "")]
        options += [el("option", {"value": key, "selected": key == current}, label)
                    for key, label in self.options()]
        return el("select", slot.attrs(**{"class": "o_input"}), options)

    def parse(self, form: MultiDict, name: str) -> Any:
        value = form.get(name) or ""
        if not value:
            return False
        if value not in dict(self.options()):
            raise FieldError("Choose one of the proposed values.", False)
        return value


@register("radio")
class RadioWidget(SelectionWidget):
    labelable = False

    def input(self, value: Any, slot: Slot) -> Markup:
        current = "" if self.is_empty(value) else str(value)
        choices = []
        for index, (key, label) in enumerate(self.options()):
            html_id = f"{slot.html_id}_{index}"
            choices.append(el("span", {"class": "o_radio"},
                              el("input", {"type": "radio", "name": slot.name, "value": key,
                                           "id": html_id, "checked": key == current,
                                           "required": slot.required}),
                              el("label", {"for": html_id}, label)))
        return el("fieldset", {"class": "o_radios", "id": slot.html_id,
                               "aria-invalid": "true" if slot.error else None,
                               "aria-describedby": slot.error_id if slot.error else None},
                  el("legend", {"class": "o_sr_only"}, slot.label), choices)


@register("statusbar")
class StatusbarWidget(SelectionWidget):
    """The steps of a record's life, the current one highlighted; not editable."""

    editable = False
    labelable = False

    def steps(self, value: Any) -> list[tuple[str, str]]:
        visible = (self.node.get("statusbar_visible") or "") if self.node is not None else ""
        shown = {key.strip() for key in visible.split(",") if key.strip()}
        return [(key, label) for key, label in self.options()
                if not shown or key in shown or key == value]

    def show(self, value: Any, slot: Slot) -> Markup:
        items = [el("li", {"class": classes("o_step", key == value and "o_step_current"),
                           "aria-current": "step" if key == value else None}, label)
                 for key, label in self.steps(value)]
        return el("ol", {"class": "o_statusbar", "id": slot.html_id,
                         "aria-label": slot.label}, items)

    def input(self, value: Any, slot: Slot) -> Markup:
        return self.show(value, slot)
