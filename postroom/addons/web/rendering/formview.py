"""Form views: the arch of a form laid out as HTML for one record.

    <form>
        <header>
            <button name="action_done" type="object" string="Done" class="btn-primary"
                    invisible="state == 'done'" confirm="Close it?"/>
            <field name="state" widget="statusbar" statusbar_visible="open,done"/>
        </header>
        <sheet>
            <div class="oe_title"><h1><field name="name" placeholder="Name"/></h1></div>
            <group>
                <group string="Schedule"><field name="interval_number"/>…</group>
                <group><field name="partner_id"/><label for="email"/><field name="email"/></group>
            </group>
            <notebook>
                <page string="Lines"><field name="line_ids"/></page>
            </notebook>
        </sheet>
    </form>

A ``<group>`` of fields is a column of label/value rows; a ``<group>`` of groups puts
them side by side. ``<notebook>`` pages are tabs (all shown, one after the other,
without JavaScript). ``<button type="object">`` submits the form with
``call_method=<name>``: the record is saved, then the method runs. Conditions
(``invisible``, ``readonly``, ``required``) and ``groups`` apply to every node. A few
HTML elements (``div``, ``span``, ``h1``…, keeping only their ``class``) lay things out.

The renderer remembers every field it showed (:attr:`FormRenderer.fields`) and every
object button (:attr:`FormRenderer.buttons`): saving reads exactly those inputs, and
only those buttons can be called.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree
from markupsafe import Markup

from postroom.addons.web.rendering.arch import allowed
from postroom.addons.web.rendering.html import classes, el
from postroom.addons.web.rendering.record import FieldView, RecordState, field_view

#: HTML elements a form arch may use for its layout
LAYOUT_TAGS = frozenset({"div", "span", "p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em",
                         "b", "i", "small", "ul", "ol", "li", "br", "hr", "section"})
FIELDS_INPUT = "o_fields"
_CLASS = re.compile(r"[^A-Za-z0-9_ -]")
_PRIMARY = ("btn-primary", "oe_highlight")


class FormRenderer:
    """Renders a form arch for a :class:`RecordState`."""

    def __init__(self, arch: etree._Element, state: RecordState, *, editable: bool):
        self.arch = arch
        self.state = state
        self.editable = editable
        self.user = state.model.env.user
        #: the fields shown, read-only or not
        self.fields: list[FieldView] = []
        #: the object buttons shown, by method name
        self.buttons: dict[str, etree._Element] = {}
        self._pages = 0
        #: fields a <label for=...> of the arch names (their inputs need no aria-label)
        self.label_targets = {node.get("for") for node in arch.iter("label") if node.get("for")}

    def render(self) -> Markup:
        """The form's content: header, sheet, and the list of fields it has inputs for."""
        parts = [self.node(child) for child in self.arch]
        if self.arch.find("sheet") is None:
            header = [part for child, part in zip(self.arch, parts) if child.tag == "header"]
            rest = [part for child, part in zip(self.arch, parts) if child.tag != "header"]
            parts = [*header, el("div", {"class": "o_form_sheet"}, rest)]
        editable = ",".join(view.name for view in self.fields if not view.readonly)
        return Markup("").join(p for p in parts if p) + el(
            "input", {"type": "hidden", "name": FIELDS_INPUT, "value": editable})

    # -- dispatch -----------------------------------------------------------------
    def node(self, node: etree._Element) -> Markup | None:
        if not isinstance(node.tag, str) or not allowed(node, self.user):
            return None
        if node.tag == "field":
            return self.bare_field(node)
        if self.state.scope.condition(node, "invisible"):
            return None
        handler = getattr(self, f"tag_{node.tag}", None)
        if handler is not None:
            return handler(node)
        if node.tag in LAYOUT_TAGS:
            return self.layout(node)
        return self.children(node)

    def children(self, node: etree._Element) -> Markup:
        return Markup("").join(part for child in node if (part := self.node(child)))

    def layout(self, node: etree._Element) -> Markup:
        """An HTML element of the arch, with its text, keeping only a safe ``class``."""
        content: list[Any] = [node.text]
        for child in node:
            content += [self.node(child), child.tail]
        css = _CLASS.sub("", node.get("class") or "") or None
        return el(node.tag, {"class": css}, content)

    # -- structure ----------------------------------------------------------------
    def tag_header(self, node: etree._Element) -> Markup | None:
        buttons, status = [], []
        for child in node:
            part = self.node(child)
            if part:
                (status if child.tag == "field" else buttons).append(part)
        if not buttons and not status:
            return None
        return el("div", {"class": "o_form_statusbar"},
                  el("div", {"class": "o_statusbar_buttons"}, buttons),
                  el("div", {"class": "o_statusbar_status"}, status))

    def tag_sheet(self, node: etree._Element) -> Markup:
        return el("div", {"class": "o_form_sheet"}, self.children(node))

    def tag_group(self, node: etree._Element) -> Markup:
        title = node.get("string")
        items = [child for child in node if isinstance(child.tag, str)]
        if any(child.tag == "group" for child in items):
            return el("div", {"class": "o_group"},
                      el("h2", {"class": "o_group_title"}, title) if title else None,
                      el("div", {"class": "o_group_columns"}, [self.node(c) for c in items]))
        return el("div", {"class": "o_inner_group"},
                  el("h3", {"class": "o_group_title"}, title) if title else None,
                  self.group_rows(items))

    def group_rows(self, items: list[etree._Element]) -> list[Markup | None]:
        """Rows of a group: fields with their label, a ``<label>`` with what follows it."""
        rows: list[Markup | None] = []
        label: etree._Element | None = None
        for child in items:
            if child.tag == "label" and child.get("for"):
                label = child
                continue
            if (child.tag == "field" and child.get("nolabel") not in ("1", "True")) \
                    or label is not None:
                rows.append(self.labelled_row(child, label))
            else:
                rows.append(el("div", {"class": "o_field_row o_field_row_full"}, self.node(child)))
            label = None
        return rows

    def labelled_row(self, node: etree._Element, label: etree._Element | None) -> Markup | None:
        target = label.get("for") if label is not None else node.get("name")
        view = self.view_of(node) if node.tag == "field" else None
        if node.tag == "field" and view is None:
            return None
        content = self.field_value(view) if view is not None else self.node(node)
        if content is None:
            return None
        return el("div", {"class": classes("o_field_row", view and view.required and "o_required",
                                           view and view.slot().error and "o_invalid")},
                  self.label_for(target, label, view), el("div", {"class": "o_field_value"},
                                                          content))

    def label_for(self, name: str | None, node: etree._Element | None,
                  view: FieldView | None) -> Markup:
        field = self.state.model._fields.get(name or "")
        text = (node.get("string") if node is not None else None) or \
            (view.widget.label if view else None) or (field.string if field else name) or ""
        html_id = self.state.html_id(name or "")
        title = field.help if field is not None and field.help else None
        if view is not None and (view.readonly or not view.widget.labelable):
            return el("span", {"class": "o_form_label", "id": f"{html_id}_label",
                               "title": title}, text)
        return el("label", {"class": "o_form_label", "for": html_id, "title": title}, text)

    def tag_label(self, node: etree._Element) -> Markup:
        return self.label_for(node.get("for"), node, None)

    def tag_notebook(self, node: etree._Element) -> Markup:
        tabs, panels = [], []
        for page in node:
            if page.tag != "page" or not allowed(page, self.user) \
                    or self.state.scope.condition(page, "invisible"):
                continue
            self._pages += 1
            page_id, tab_id = f"o_page_{self._pages}", f"o_tab_{self._pages}"
            first = not tabs
            tabs.append(el("a", {"href": f"#{page_id}", "id": tab_id, "role": "tab",
                                 "class": "o_tab", "aria-controls": page_id,
                                 "aria-selected": "true" if first else "false"},
                           page.get("string") or ""))
            panels.append(el("section", {"id": page_id, "role": "tabpanel", "class": "o_page",
                                         "aria-labelledby": tab_id}, self.children(page)))
        return el("div", {"class": "o_notebook", "data-tabs": True},
                  el("div", {"class": "o_tabs", "role": "tablist"}, tabs), panels)

    def tag_separator(self, node: etree._Element) -> Markup:
        text = node.get("string")
        return el("h3", {"class": "o_separator"}, text) if text else el("hr")

    def tag_newline(self, node: etree._Element) -> None:
        return None

    def tag_button(self, node: etree._Element) -> Markup | None:
        kind, name = node.get("type"), node.get("name") or ""
        label = node.get("string") or name
        css = node.get("class") or ""
        style = "o_btn_primary" if any(c in css.split() for c in _PRIMARY) else "o_btn_secondary"
        if kind == "object" and name and not name.startswith("_"):
            self.buttons[name] = node
            return el("button", {"type": "submit", "name": "call_method", "value": name,
                                 "class": classes("o_btn", style), "title": node.get("help"),
                                 "data-confirm": node.get("confirm")}, label)
        if kind == "action" and name.isdigit():
            return el("a", {"href": f"/web/action/{name}", "class": classes("o_btn", style)},
                      label)
        return None

    # -- fields -------------------------------------------------------------------
    def view_of(self, node: etree._Element) -> FieldView | None:
        view = field_view(self.state, node, self.editable)
        if view is not None:
            self.fields.append(view)
        return view

    def bare_field(self, node: etree._Element) -> Markup | None:
        """A field outside a group: no visible label (the input carries its name)."""
        view = self.view_of(node)
        if view is None:
            return None
        return self.field_value(view, labelled=node.get("name") in self.label_targets)

    def field_value(self, view: FieldView, labelled: bool = True) -> Markup:
        slot = view.slot(labelled)
        error = el("p", {"class": "o_field_error", "id": slot.error_id}, slot.error) \
            if slot.error else None
        return Markup("").join([view.render(labelled), error or Markup("")])
