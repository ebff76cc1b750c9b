"""One2many fields: the lines of a record, as a table inside its form.

The lines are shown with the field's inline list (``<field name="line_ids"><list>…``)
or the comodel's list view, without the column pointing back to the record. When the
inline list says ``editable="bottom"`` (or ``top``) and the form is editable, each line
is a row of inputs named ``<field>.<key>.<subfield>`` (``key`` is the line's id, or
``new<n>`` for a line being added), with a *Remove* checkbox; one blank row adds a line
(``o2m.js`` adds more). Saving turns the rows into x2many commands.

Form format: a list of :class:`Line`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml import etree
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.arch import load_arch, subview
from postroom.addons.web.rendering.html import classes, el
from postroom.addons.web.rendering.listview import Column, column_scope, list_columns, row_classes
from postroom.addons.web.rendering.record import (
    FieldView,
    RecordState,
    changes,
    check_required,
    field_view,
    parse_inputs,
)
from postroom.addons.web.rendering.widgets.base import (
    UNCHANGED,
    FieldError,
    Slot,
    Widget,
    register,
)
from postroom.orm.fields.relational import Command

TEMPLATE_KEY = "__KEY__"
_NEW_KEY = re.compile(r"new(\d+)\Z")


@dataclass
class Line:
    """One line: its key, its state, the state before the user's input, removal."""

    key: str
    state: RecordState
    original: RecordState
    deleted: bool = False

    @property
    def id(self) -> int | None:
        return int(self.key) if self.key.isdigit() else None


@register("one2many")
class One2manyWidget(Widget):
    types = ("one2many",)
    labelable = False

    @property
    def comodel(self) -> Any:
        return self.env[self.field.comodel_name]

    @cached_property
    def arch(self) -> etree._Element:
        """The list showing the lines, without the column of the inverse field."""
        inline = subview(self.node, "list") if self.node is not None else None
        arch = copy.deepcopy(inline) if inline is not None else load_arch(self.comodel, "list")
        for node in arch.findall("field"):
            if node.get("name") == self.field.inverse_name:
                arch.remove(node)
        return arch

    @property
    def editable(self) -> bool:  # type: ignore[override]
        return self.arch.get("editable") in ("top", "bottom")

    def columns(self) -> list[Column]:
        return [column for column in list_columns(self.comodel, self.arch,
                                                  column_scope(self.comodel, self.state))
                if column.field is not None]

    def line_state(self, key: str, record: Any = None) -> RecordState:
        prefix = f"{self.state.input_name(self.name)}.{key}."
        if record:
            return RecordState(self.comodel, record, parent=self.state, prefix=prefix)
        return RecordState.new(self.comodel, parent=self.state, prefix=prefix)

    def line_views(self, state: RecordState, editable: bool = True) -> list[FieldView]:
        views = (field_view(state, column.node, editable) for column in self.columns())
        return [view for view in views if view is not None]

    # -- values ---------------------------------------------------------------
    def from_record(self, record: Any) -> Any:
        lines = []
        for line in record[self.name]:
            state = self.line_state(str(line.id), line)
            lines.append(Line(str(line.id), state, state))
        return lines

    def from_default(self, value: Any) -> Any:
        return []

    def raw(self, value: Any) -> Any:
        return [line.id for line in value or [] if line.id and not line.deleted]

    def is_empty(self, value: Any) -> bool:
        return not any(not line.deleted for line in value or [])

    def text(self, value: Any) -> str:
        count = sum(1 for line in value or [] if not line.deleted)
        return f"{count} line{'s' if count != 1 else ''}" if count else ""

    def write_value(self, new: Any, old: Any) -> Any:
        commands = []
        for line in new:
            if line.deleted:
                if line.id:
                    commands.append(Command.delete(line.id))
                continue
            vals = changes(line.original, line.state, self.line_views(line.state))
            if line.id is None:
                commands.append(Command.create(vals))
            elif vals:
                commands.append(Command.update(line.id, vals))
        return commands or UNCHANGED

    # -- display --------------------------------------------------------------
    def show(self, value: Any, slot: Slot) -> Markup:
        return self.table(value, slot, editable=False)

    def input(self, value: Any, slot: Slot) -> Markup:
        return self.table(value, slot, editable=True)

    def table(self, lines: list[Line], slot: Slot, editable: bool) -> Markup:
        columns = self.columns()
        head = [el("th", {"scope": "col", "class": classes(column.numeric and "o_number")},
                   column.label) for column in columns]
        rows = [self.row(line, columns, editable) for line in lines if not line.deleted]
        template = None
        if editable:
            head.append(el("th", {"scope": "col", "class": "o_line_remove"},
                           el("span", {"class": "o_sr_only"}, "Remove")))
            taken = [int(m.group(1)) for line in lines if (m := _NEW_KEY.match(line.key))]
            blank = f"new{max(taken, default=-1) + 1}"
            rows.append(self.row(Line(blank, *([self.line_state(blank)] * 2)), columns, True))
            template = el("template", {"data-o2m-template": True},
                          self.row(Line(TEMPLATE_KEY, *([self.line_state(TEMPLATE_KEY)] * 2)),
                                   columns, True))
        if not rows:
            rows.append(el("tr", {"class": "o_empty_row"},
                           el("td", {"colspan": len(columns)}, "No lines.")))
        table = el("table", {"class": "o_list o_lines", "id": slot.html_id},
                   el("caption", {"class": "o_sr_only"}, slot.label),
                   el("thead", None, el("tr", None, head)), el("tbody", None, rows))
        adder = el("button", {"type": "button", "class": "o_btn o_btn_link", "hidden": True,
                              "data-o2m-add": True}, "Add a line") if editable else None
        return el("div", {"class": "o_lines_wrap", "data-o2m": True if editable else None},
                  el("div", {"class": "o_list_wrap"}, table), template, adder)

    def row(self, line: Line, columns: list[Column], editable: bool) -> Markup:
        state = line.state
        cells = []
        for column in columns:
            view = field_view(state, column.node, editable)
            content = None
            if view is not None:
                if view.readonly:
                    content = view.widget.cell(state.value(view.name))
                else:
                    content = [view.render(labelled=False, required=False),
                               self.error(state, view)]
            cells.append(el("td", {"class": classes(column.numeric and "o_number"),
                                   "data-label": column.label}, content))
        if editable:
            prefix = state.prefix
            cells.append(el("td", {"class": "o_line_remove"},
                            el("input", {"type": "hidden", "name": f"{prefix}line", "value": "1"}),
                            el("input", {"type": "checkbox", "name": f"{prefix}delete",
                                         "value": "1", "class": "o_checkbox",
                                         "aria-label": "Remove this line"})))
        return el("tr", {"class": classes("o_data_row", row_classes(self.arch, state))}, cells)

    @staticmethod
    def error(state: RecordState, view: FieldView) -> Markup | None:
        slot = view.slot()
        return el("p", {"class": "o_field_error", "id": slot.error_id}, slot.error) \
            if slot.error else None

    # -- posting --------------------------------------------------------------
    def parse(self, form: MultiDict, name: str) -> Any:
        old = {line.key: line for line in self.state.value(self.name)}
        prefix = f"{name}."
        keys = list(dict.fromkeys(
            key[len(prefix):-len(".line")] for key in form
            if key.startswith(prefix) and key.endswith(".line")))
        errors_before = len(self.state.errors)
        lines = []
        for key in keys:
            if key in old:
                original = old[key].original
            elif _NEW_KEY.match(key):
                original = self.line_state(key)
            else:
                continue
            if form.get(f"{prefix}{key}.delete"):
                lines.append(Line(key, original, original, deleted=True))
                continue
            views = self.line_views(original)
            state = parse_inputs(original, views, form)
            if key not in old and all(state.value(view.name) == original.value(view.name)
                                      for view in views if not view.readonly):
                continue  # a blank new row
            check_required(state, views)
            lines.append(Line(key, state, original))
        lines += [Line(key, line.state, line.original, deleted=True)
                  for key, line in old.items() if key not in keys]
        if len(self.state.errors) > errors_before:
            raise FieldError("Some lines need attention.", lines)
        return lines
