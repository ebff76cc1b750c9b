"""List views: a table of records with sortable headers, groups, row buttons and totals.

    <list decoration-muted="not active" decoration-danger="failure_count > 0">
        <field name="name"/>
        <field name="interval_type" optional="hide"/>
        <field name="amount" sum="Total"/>
        <field name="internal_note" column_invisible="1"/>
        <button name="method_direct_trigger" type="object" string="Run"/>
    </list>

Cells show each field through its widget (:meth:`Widget.cell`); a cell whose
``invisible`` condition holds for its row is left empty. The first column links to the
record's form. Rows carry a checkbox (``ids``, in the page's bulk-action form) when the
list is selectable; buttons post to the record's URL through the page's row-action form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from markupsafe import Markup

from postroom.addons.web.rendering.arch import allowed, field_shown
from postroom.addons.web.rendering.conditions import Scope
from postroom.addons.web.rendering.html import classes, el
from postroom.addons.web.rendering.record import RecordState, field_view
from postroom.addons.web.rendering.widgets.base import widget_for

DECORATIONS = ("bf", "it", "muted", "danger", "warning", "success", "info")
BULK_FORM = "o_bulk"
ROW_FORM = "o_row_action"


@dataclass
class Column:
    """A column of a list: a field, or a button."""

    node: etree._Element
    label: str
    field: Any = None

    @property
    def name(self) -> str:
        return self.node.get("name") or ""

    @property
    def sortable(self) -> bool:
        return bool(self.field is not None and self.field.store and self.field.column_type)

    @property
    def numeric(self) -> bool:
        return self.field is not None and self.field.type in ("integer", "float", "monetary")


def list_columns(model: Any, arch: etree._Element, scope: Scope) -> list[Column]:
    """The columns of ``arch`` the user sees (``column_invisible``, groups, optional)."""
    result = []
    for node in arch:
        if not isinstance(node.tag, str) or not allowed(node, model.env.user) \
                or scope.condition(node, "column_invisible") or node.get("optional") == "hide":
            continue
        if node.tag == "field" and field_shown(model, node):
            widget = widget_for(model, node.get("name"), node)
            result.append(Column(node, widget.label, widget.field))
        elif node.tag == "button" and node.get("type") == "object":
            result.append(Column(node, node.get("string") or ""))
    return result


def column_scope(model: Any, parent: RecordState | None = None) -> Scope:
    """What ``column_invisible`` conditions see: the context, and the parent of lines."""
    def no_field(name: str) -> Any:
        raise KeyError(name)
    return parent.scope if parent else Scope.for_env(model.env, no_field)


def row_classes(arch: etree._Element, state: RecordState) -> str | None:
    """The ``o_row_<decoration>`` classes whose ``decoration-*`` condition holds."""
    return classes(*(f"o_row_{name}" for name in DECORATIONS
                     if state.scope.condition(arch, f"decoration-{name}")))


def button_cell(column: Column, state: RecordState, record_url: str) -> Markup:
    """A row button: posts ``call_method`` to the record through the row-action form."""
    node = column.node
    if state.scope.condition(node, "invisible"):
        return el("td", {"class": "o_list_button"})
    return el("td", {"class": "o_list_button"},
              el("button", {"type": "submit", "form": ROW_FORM, "formaction": record_url,
                            "name": "call_method", "value": node.get("name"),
                            "class": classes("o_btn o_btn_small", node.get("class")),
                            "data-confirm": node.get("confirm")}, column.label))


@dataclass
class Section:
    """Records shown together: the whole list, or one group of it."""

    records: Any
    label: str | None = None
    count: int = 0


class ListTable:
    """Renders the records of a list view as an HTML table."""

    def __init__(self, model: Any, arch: etree._Element, *, record_url: Callable[[int], str],
                 sort_url: Callable[[str], str] | None = None, order: str = "",
                 selectable: bool = False, caption: str = ""):
        self.model = model
        self.arch = arch
        self.columns = list_columns(model, arch, column_scope(model))
        self.record_url = record_url
        self.sort_url = sort_url
        self.order = order
        self.selectable = selectable
        self.caption = caption

    def render(self, sections: list[Section]) -> Markup:
        grouped = any(section.label is not None for section in sections)
        body = []
        for section in sections:
            if section.label is not None:
                body.append(self.group_row(section))
            body.extend(self.row(record) for record in section.records)
        if not any(section.records for section in sections) and not grouped:
            body.append(el("tr", {"class": "o_empty_row"},
                           el("td", {"colspan": self.width()}, "No records to show.")))
        table = el("table", {"class": "o_list"},
                   el("caption", {"class": "o_sr_only"}, self.caption),
                   el("thead", None, self.header()), el("tbody", None, body), self.footer(sections))
        return el("div", {"class": "o_list_wrap"}, table)

    def width(self) -> int:
        return len(self.columns) + (1 if self.selectable else 0)

    # -- header -------------------------------------------------------------------
    def header(self) -> Markup:
        cells = []
        if self.selectable:
            cells.append(el("th", {"class": "o_list_select", "scope": "col"},
                            el("input", {"type": "checkbox", "class": "o_checkbox",
                                         "data-select-all": True,
                                         "aria-label": "Select all records"})))
        field, _, direction = self.order.partition(" ")
        for column in self.columns:
            current = column.name == field and column.field is not None
            sort = ("descending" if direction.lower() == "desc" else "ascending") if current \
                else None
            label: Any = column.label
            if self.sort_url and column.sortable:
                reverse = "desc" if current and sort == "ascending" else "asc"
                label = el("a", {"href": self.sort_url(f"{column.name} {reverse}"),
                                 "class": "o_sort"}, column.label,
                           el("span", {"class": "o_sort_icon", "aria-hidden": "true"},
                              {"ascending": "▲", "descending": "▼"}.get(sort or "", "")))
            cells.append(el("th", {"scope": "col", "aria-sort": sort,
                                   "class": classes(column.numeric and "o_number")}, label))
        return el("tr", None, cells)

    # -- rows ---------------------------------------------------------------------
    def group_row(self, section: Section) -> Markup:
        return el("tr", {"class": "o_group_row"},
                  el("th", {"colspan": self.width(), "scope": "rowgroup"},
                     section.label, " ", el("span", {"class": "o_count"}, f"({section.count})")))

    def row(self, record: Any) -> Markup:
        state = RecordState(self.model, record)
        url = self.record_url(record.id)
        cells = []
        if self.selectable:
            cells.append(el("td", {"class": "o_list_select"},
                            el("input", {"type": "checkbox", "name": "ids", "value": record.id,
                                         "form": BULK_FORM, "class": "o_checkbox",
                                         "data-select-row": True,
                                         "aria-label": f"Select {record.display_name}"})))
        linked = False
        for column in self.columns:
            if column.field is None:
                cells.append(button_cell(column, state, url))
                continue
            view = field_view(state, column.node, editable=False)
            content: Any = None
            main = not linked
            if view is not None:
                value = state.value(view.name)
                content = view.widget.cell(value)
                if main:
                    content = el("a", {"href": url, "class": "o_row_link"},
                                 view.widget.text(value) or record.display_name or "—")
                    linked = True
            cells.append(el("td", {"class": classes(column.numeric and "o_number",
                                                    main and "o_cell_main"),
                                   "data-label": None if main else column.label}, content))
        return el("tr", {"class": classes("o_data_row", row_classes(self.arch, state)),
                         "data-href": url}, cells)

    # -- totals -------------------------------------------------------------------
    def footer(self, sections: list[Section]) -> Markup | None:
        totals = [column for column in self.columns if column.node.get("sum")]
        if not totals:
            return None
        cells = [el("td")] if self.selectable else []
        for column in self.columns:
            if column.node.get("sum") and column.numeric:
                widget = widget_for(self.model, column.name, column.node)
                total = sum(record[column.name] or 0 for section in sections
                            for record in section.records)
                cells.append(el("td", {"class": "o_number", "title": column.node.get("sum")},
                                widget.text(total)))
            else:
                cells.append(el("td"))
        return el("tfoot", None, el("tr", None, cells))
