"""The widget protocol and the registry of widgets by name.

A widget shows and edits one field. Values travel through it in one *form format* per
field type (documented on each widget family): what a record gives
(:meth:`Widget.from_record`), what a default gives (:meth:`Widget.from_default`), what
the user posted (:meth:`Widget.parse`), what conditions see (:meth:`Widget.raw`) and
what ``write`` gets (:meth:`Widget.write_value`).

Widgets are chosen by the ``widget`` attribute of the view's ``<field>`` when a widget
of that name handles the field's type, else by the field's type. Other addons add
widgets with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml import etree
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.conditions import ViewError
from postroom.addons.web.rendering.html import el
from postroom.tools.safe_eval import SafeEvalError, literal_eval

#: ``write_value`` result meaning "leave the field alone"
UNCHANGED = object()

WIDGETS: dict[str, type[Widget]] = {}


def register(*names: str) -> Callable[[type[Widget]], type[Widget]]:
    """Class decorator: make the widget available under ``names`` (types or widget names)."""
    def decorate(cls: type[Widget]) -> type[Widget]:
        for name in names:
            WIDGETS[name] = cls
        return cls
    return decorate


def widget_for(model: Any, name: str, node: etree._Element | None = None) -> Widget:
    """The widget showing field ``name`` of ``model`` (a recordset) for the view ``node``."""
    field = model._fields[name]
    requested = WIDGETS.get(node.get("widget", "")) if node is not None else None
    if node is not None and node.get("password") in ("True", "1", "true"):
        requested = WIDGETS["password"]
    cls = requested if requested and field.type in requested.types else None
    cls = cls or WIDGETS.get(field.type) or WIDGETS["char"]
    return cls(model, field, node)


class FieldError(ValueError):
    """A posted value is invalid; ``value`` is what to show back in the input."""

    def __init__(self, message: str, value: Any, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.value = value
        #: errors of inner inputs (lines of a one2many), by input name
        self.errors = errors or {}


@dataclass
class Slot:
    """Where an input goes: its form name, element id, label and state."""

    name: str
    html_id: str
    label: str
    required: bool = False
    error: str | None = None
    #: whether a visible <label for=...> names the input (else aria-label does)
    labelled: bool = True
    placeholder: str | None = None

    @property
    def error_id(self) -> str:
        return f"{self.html_id}_error"

    def attrs(self, **extra: Any) -> dict[str, Any]:
        """The common attributes of the input element."""
        return {"id": self.html_id, "name": self.name,
                "aria-label": None if self.labelled else self.label,
                "required": self.required, "aria-required": "true" if self.required else None,
                "aria-invalid": "true" if self.error else None,
                "aria-describedby": self.error_id if self.error else None,
                "placeholder": self.placeholder, **extra}


class Widget:
    """Shows and edits one field; subclasses override what differs for their type."""

    #: field types the widget can handle
    types: tuple[str, ...] = ()
    #: whether the widget can edit (a status bar cannot)
    editable = True
    #: whether the input is one element a <label for=...> can name (not a group of them)
    labelable = True

    def __init__(self, model: Any, field: Any, node: etree._Element | None = None):
        self.model = model
        self.env = model.env
        self.field = field
        self.node = node
        #: the RecordState shown (set by RecordState.widget); lines need their parent's
        self.state: Any = None

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def label(self) -> str:
        if self.node is not None and self.node.get("string"):
            return self.node.get("string")
        return self.field.string or self.field.name

    @cached_property
    def options(self) -> dict[str, Any]:
        """The ``options`` of the view's ``<field>``: a literal dict."""
        text = self.node.get("options") if self.node is not None else None
        try:
            options = literal_eval(text) if text else {}
        except SafeEvalError as exc:
            raise ViewError(f"Invalid options of the field {self.name!r}: {exc}") from None
        if not isinstance(options, dict):
            raise ViewError(f"The options of the field {self.name!r} must be a dict.")
        return options

    # -- values ---------------------------------------------------------------
    def from_record(self, record: Any) -> Any:
        value = record[self.name]
        return value if value or value == 0 else False

    def from_default(self, value: Any) -> Any:
        return value if value is not None else False

    def raw(self, value: Any) -> Any:
        return value

    def is_empty(self, value: Any) -> bool:
        return value is None or value is False or value == ""

    def to_write(self, value: Any) -> Any:
        return value

    def write_value(self, new: Any, old: Any) -> Any:
        """What to write for ``new`` when the record holds ``old`` (or :data:`UNCHANGED`)."""
        return UNCHANGED if new == old else self.to_write(new)

    # -- display --------------------------------------------------------------
    def text(self, value: Any) -> str:
        return "" if self.is_empty(value) else str(value)

    def export_text(self, value: Any) -> str:
        """The value in an exported CSV file."""
        return self.text(value)

    def cell(self, value: Any) -> Markup:
        """The value in a list cell."""
        text = self.text(value)
        return el("span", None, text) if text else Markup("")

    def show(self, value: Any, slot: Slot) -> Markup:
        """The value in a read-only form field."""
        return el("span", {"class": "o_readonly", "id": slot.html_id}, self.text(value))

    # -- editing --------------------------------------------------------------
    def input(self, value: Any, slot: Slot) -> Markup:
        return el("input", slot.attrs(type="text", value=self.text(value), **{
            "class": "o_input"}))

    def parse(self, form: MultiDict, name: str) -> Any:
        """The posted value of input ``name``; :class:`FieldError` if it is invalid."""
        text = (form.get(name) or "").strip()
        return text or False
