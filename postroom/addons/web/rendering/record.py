"""The state of a record on a form, and turning posted inputs back into values.

A :class:`RecordState` holds what a form shows for one record (or one line of a
one2many): the values the record has or the defaults of a new one, overlaid with what
the user posted, and the errors found in it. Values are in each widget's *form format*
(see :mod:`.widgets.base`).

Saving a form is: render it as the user saw it (the inputs it had are the fields the
user could edit), :func:`parse_inputs` for those fields, :func:`check_required` on the
new state, then :func:`changes` gives the values to write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.arch import field_shown
from postroom.addons.web.rendering.conditions import Namespace, Scope
from postroom.addons.web.rendering.widgets.base import (
    UNCHANGED,
    FieldError,
    Slot,
    Widget,
    widget_for,
)

REQUIRED_MESSAGE = "This field is required."


class RecordState:
    """What a form shows for one record: its values, and errors by input name."""

    def __init__(self, model: Any, record: Any = None, *, values: dict[str, Any] | None = None,
                 parent: RecordState | None = None, prefix: str = "",
                 defaults: dict[str, Any] | None = None):
        self.model = model.browse()
        self.record = record if record else self.model
        self.values: dict[str, Any] = dict(values or {})
        self.parent = parent
        self.prefix = prefix
        #: errors by input name; lines share their form's dict
        self.errors: dict[str, str] = parent.errors if parent else {}
        self.defaults = defaults
        self._scope: Scope | None = None

    @classmethod
    def new(cls, model: Any, **kwargs: Any) -> RecordState:
        """The state of a record being created: the model's defaults."""
        return cls(model, defaults=model.default_get(list(model._fields)), **kwargs)

    def derive(self, values: dict[str, Any]) -> RecordState:
        """The same record with ``values`` changed (errors are shared)."""
        state = RecordState(self.model, self.record, values={**self.values, **values},
                            parent=self.parent, prefix=self.prefix, defaults=self.defaults)
        state.errors = self.errors
        return state

    # -- values ---------------------------------------------------------------
    def widget(self, name: str, node: etree._Element | None = None) -> Widget:
        widget = widget_for(self.model, name, node)
        widget.state = self
        return widget

    def value(self, name: str) -> Any:
        """The form value of field ``name`` (KeyError if the model has no such field)."""
        if name not in self.values:
            if name not in self.model._fields:
                raise KeyError(name)
            widget = self.widget(name)
            if self.record:
                self.values[name] = widget.from_record(self.record)
            else:
                self.values[name] = widget.from_default((self.defaults or {}).get(name, False))
        return self.values[name]

    def raw(self, name: str) -> Any:
        """Field ``name`` as conditions see it (ids for relations)."""
        return self.widget(name).raw(self.value(name))

    @property
    def scope(self) -> Scope:
        if self._scope is None:
            extras = {"parent": Namespace(self.parent.raw)} if self.parent else {}
            self._scope = Scope.for_env(self.model.env, self.raw, self.record.id or False,
                                        **extras)
        return self._scope

    def input_name(self, name: str) -> str:
        return self.prefix + name

    def html_id(self, name: str) -> str:
        return "f_" + (self.prefix + name).replace(".", "_")


@dataclass
class FieldView:
    """One ``<field>`` node as shown for a record: its widget and conditions."""

    node: etree._Element
    widget: Widget
    state: RecordState
    readonly: bool
    required: bool

    @property
    def name(self) -> str:
        return self.widget.name

    def slot(self, labelled: bool = True, required: bool | None = None) -> Slot:
        state, name = self.state, self.widget.name
        return Slot(name=state.input_name(name), html_id=state.html_id(name),
                    label=self.widget.label,
                    required=self.required if required is None else required,
                    error=state.errors.get(state.input_name(name)), labelled=labelled,
                    placeholder=self.node.get("placeholder"))

    def render(self, labelled: bool = True, required: bool | None = None) -> Any:
        """The input, or the read-only value."""
        value = self.state.value(self.name)
        slot = self.slot(labelled, required)
        return self.widget.show(value, slot) if self.readonly else self.widget.input(value, slot)


def field_view(state: RecordState, node: etree._Element, editable: bool) -> FieldView | None:
    """How ``node`` shows for ``state``, or None when it is invisible."""
    if not field_shown(state.model, node) or state.scope.condition(node, "invisible"):
        return None
    widget = state.widget(node.get("name"), node)
    field = widget.field
    if node.get("readonly") is not None:
        readonly = state.scope.condition(node, "readonly")
    else:
        readonly = bool(field.readonly)
    readonly = readonly or not editable or not widget.editable
    required = not readonly and (bool(field.required) or state.scope.condition(node, "required"))
    return FieldView(node, widget, state, readonly, required)


def parse_inputs(state: RecordState, views: Iterable[FieldView], form: MultiDict) -> RecordState:
    """The state after the user's input in the editable fields of ``views``."""
    values = {}
    for view in views:
        if view.readonly:
            continue
        input_name = state.input_name(view.name)
        try:
            values[view.name] = view.widget.parse(form, input_name)
        except FieldError as exc:
            state.errors[input_name] = exc.message
            state.errors.update(exc.errors)
            values[view.name] = exc.value
    return state.derive(values)


def check_required(state: RecordState, views: Iterable[FieldView]) -> None:
    """Record an error for each required field left empty (evaluated on ``state``)."""
    for view in views:
        name = view.name
        if state.input_name(name) in state.errors or view.readonly:
            continue
        required = bool(view.widget.field.required) or state.scope.condition(view.node, "required")
        if required and view.widget.is_empty(state.value(name)):
            state.errors[state.input_name(name)] = REQUIRED_MESSAGE


def changes(old: RecordState, new: RecordState, views: Iterable[FieldView]) -> dict[str, Any]:
    """The values to write to turn ``old`` into ``new``, for the editable fields of ``views``."""
    vals = {}
    for view in views:
        if view.readonly:
            continue
        value = view.widget.write_value(new.value(view.name), old.value(view.name))
        if value is not UNCHANGED:
            vals[view.name] = value
    return vals
