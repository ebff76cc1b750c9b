"""Many2one and many2many widgets, the searchable picker they share, and the picker of
a record of a model named by another field (``many2one_reference``).

Form formats: many2one ``(id, name)``, or ``(False, typed text)`` when the text matched
nothing, or ``False``; many2many a list of ``(id, name)``; many2one_reference the id
(``0``: none), or the text typed when it matched nothing.

The picker is a text input (``<name>.text``) beside a hidden input holding the chosen
id (``<name>``). The script ``m2o.js`` suggests records as the user types (from
``/web/m2o/<model>``, within the field's domain) and fills in the id; without it, or
when the user typed a name without picking, the server resolves the text: one match is
taken, none or several are reported next to the field.

Domains: the ``domain`` of the view's ``<field>`` (else the field's), a list or an
expression evaluated on the record shown, like conditions::

    <field name="template_id" domain="[('model', '=', model)]"/>

It restricts the suggestions, the choices of many2many checkboxes, and what is accepted:
a record picked outside of it (or that the user may not read) is refused, unless it is
the value the field already had.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from postroom.addons.web.rendering.conditions import ViewError
from postroom.addons.web.rendering.html import el
from postroom.addons.web.rendering.widgets.base import (
    UNCHANGED,
    FieldError,
    Slot,
    Widget,
    register,
)
from postroom.addons.web.rendering.widgets.numeric import IntegerWidget
from postroom.orm.domain import AND, DomainError
from postroom.orm.fields.relational import Command

#: a many2many shows every choice as a checkbox up to this many records
CHECKBOX_LIMIT = 40


def picker(comodel: Any, html_id: str, name: str, value: Any, *, label: str,
           labelled: bool = True, required: bool = False, error_id: str | None = None,
           placeholder: str | None = None, domain: list | None = None) -> Markup:
    """The searchable picker of a record of ``comodel``; ``value`` is ``(id, name)`` or False."""
    ident, text = (value[0] or "", value[1]) if value else ("", "")
    list_id = f"{html_id}_options"
    return el("div", {"class": "o_m2o", "data-m2o-url": f"/web/m2o/{comodel._name}",
                      "data-m2o-domain": json.dumps(domain, default=str) if domain else None},
              el("input", {"type": "text", "id": html_id, "name": f"{name}.text", "value": text,
                           "class": "o_input", "role": "combobox", "autocomplete": "off",
                           "aria-autocomplete": "list", "aria-expanded": "false",
                           "aria-controls": list_id, "required": required,
                           "aria-label": None if labelled else label,
                           "aria-invalid": "true" if error_id else None,
                           "aria-describedby": error_id,
                           "placeholder": placeholder or "Search…"}),
              el("input", {"type": "hidden", "name": name, "value": ident,
                           "data-m2o-value": True}),
              el("ul", {"id": list_id, "role": "listbox", "class": "o_m2o_options",
                        "hidden": True, "aria-label": label}))


def resolve(comodel: Any, ident: str, text: str, domain: list,
            current: int | bool = False) -> tuple[int, str] | bool:
    """The record a picker designates: its id when one was picked (within ``domain``, and
    readable by the user, unless it is the ``current`` value), else its typed name."""
    text = text.strip()
    if not text:
        return False
    if current and ident.isdigit() and int(ident) == current:
        record = comodel.sudo().browse(current).exists()
        if record:
            return (record.id, record.display_name)
    elif ident.isdigit():
        try:
            record = comodel.with_context(active_test=False).search(
                AND([[("id", "=", int(ident))], domain]), limit=1)
        except DomainError:
            record = comodel.browse()
        if record:
            return (record.id, record.display_name)
    try:
        matches = comodel.name_search(text, domain, operator="=ilike", limit=2) or \
            comodel.name_search(text, domain, limit=2)
    except DomainError:
        matches = []
    if len(matches) == 1:
        return matches[0]
    reason = "Several records match" if matches else "Nothing matches"
    raise FieldError(f"{reason} “{text}”: pick one from the list.", (False, text))


@register("many2one")
class Many2oneWidget(Widget):
    types = ("many2one",)

    @property
    def comodel(self) -> Any:
        return self.env[self.field.comodel_name]

    def from_record(self, record: Any) -> Any:
        value = record[self.name]
        return (value.id, value.sudo().display_name) if value else False

    def from_default(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = value[0] if value else False
        if hasattr(value, "_ids"):
            value = value.id
        record = self.comodel.sudo().browse(int(value)).exists() if value else None
        return (record.id, record.display_name) if record else False

    def raw(self, value: Any) -> Any:
        return value[0] if value else False

    def is_empty(self, value: Any) -> bool:
        return not self.raw(value)

    def to_write(self, value: Any) -> Any:
        return self.raw(value)

    def write_value(self, new: Any, old: Any) -> Any:
        return UNCHANGED if self.raw(new) == self.raw(old) else self.to_write(new)

    def text(self, value: Any) -> str:
        return value[1] if value else ""

    def domain(self) -> list:
        """The records the field may hold (see the module's documentation)."""
        domain = self.node.get("domain") if self.node is not None else None
        domain = domain or self.field.domain or []
        if isinstance(domain, str):
            if self.state is None:
                raise ViewError(f"The domain of {self.name!r} needs a record.")
            domain = self.state.scope.evaluate(domain)
        if not isinstance(domain, (list, tuple)):
            raise ViewError(f"The domain of {self.name!r} is not a list.")
        return list(domain)

    def input(self, value: Any, slot: Slot) -> Markup:
        return picker(self.comodel, slot.html_id, slot.name, value, label=slot.label,
                      labelled=slot.labelled, required=slot.required,
                      error_id=slot.error_id if slot.error else None,
                      placeholder=slot.placeholder, domain=self.domain())

    def parse(self, form: MultiDict, name: str) -> Any:
        return resolve(self.comodel, form.get(name) or "", form.get(f"{name}.text") or "",
                       self.domain(), self.raw(self.state.value(self.name)))


@register("many2many", "many2many_tags", "many2many_checkboxes")
class Many2manyWidget(Many2oneWidget):
    """Tags; edited as checkboxes (few choices) or as tags plus a picker to add one."""

    types = ("many2many",)
    labelable = False

    def from_record(self, record: Any) -> Any:
        return [(line.id, line.display_name) for line in record[self.name].sudo()]

    def from_default(self, value: Any) -> Any:
        ids: list[int] = []
        for item in value or []:
            if isinstance(item, int):
                ids.append(item)
            elif isinstance(item, (list, tuple)) and item and item[0] == Command.SET:
                ids = list(item[2])
            elif isinstance(item, (list, tuple)) and item and item[0] == Command.LINK:
                ids.append(item[1])
        records = self.comodel.sudo().browse(ids).exists()
        return [(record.id, record.display_name) for record in records]

    def raw(self, value: Any) -> Any:
        return [ident for ident, _name in value or []]

    def is_empty(self, value: Any) -> bool:
        return not value

    def to_write(self, value: Any) -> Any:
        return [Command.set(self.raw(value))]

    def write_value(self, new: Any, old: Any) -> Any:
        return UNCHANGED if sorted(self.raw(new)) == sorted(self.raw(old)) else self.to_write(new)

    def text(self, value: Any) -> str:
        return ", ".join(name for _ident, name in value or [])

    def cell(self, value: Any) -> Markup:
        if not value:
            return Markup("")
        return el("span", {"class": "o_tags"},
                  [el("span", {"class": "o_tag"}, name) for _ident, name in value])

    def show(self, value: Any, slot: Slot) -> Markup:
        return el("div", {"class": "o_readonly", "id": slot.html_id}, self.cell(value))

    def choices(self) -> list[tuple[int, str]] | None:
        """Every record to choose from, or None when there are too many to list."""
        widget = self.node.get("widget") if self.node is not None else None
        limit = None if widget == "many2many_checkboxes" else CHECKBOX_LIMIT + 1
        records = self.comodel.search(self.domain(), limit=limit)
        if limit and len(records) > CHECKBOX_LIMIT:
            return None
        return [(record.id, record.display_name) for record in records]

    def input(self, value: Any, slot: Slot) -> Markup:
        selected = dict(value or [])
        choices = self.choices()
        listed = choices if choices is not None else list(selected.items())
        boxes = []
        for ident, name in listed:
            box_id = f"{slot.html_id}_{ident}"
            boxes.append(el("span", {"class": "o_check_choice"},
                            el("input", {"type": "checkbox", "name": slot.name, "value": ident,
                                         "id": box_id, "checked": ident in selected}),
                            el("label", {"for": box_id}, name)))
        adder = None
        if choices is None:
            adder = picker(self.comodel, f"{slot.html_id}_add", f"{slot.name}.add", False,
                           label=f"Add to {slot.label}", labelled=False,
                           placeholder="Add…", domain=self.domain())
        return el("fieldset", {"class": "o_checkboxes", "id": slot.html_id,
                               "aria-invalid": "true" if slot.error else None,
                               "aria-describedby": slot.error_id if slot.error else None},
                  el("legend", {"class": "o_sr_only"}, slot.label), boxes, adder)

    def parse(self, form: MultiDict, name: str) -> Any:
        ids = list(dict.fromkeys(int(v) for v in form.getlist(name) if str(v).isdigit()))
        records = self.comodel.sudo().browse(ids).exists()
        value = [(record.id, record.display_name) for record in records]
        try:
            added = resolve(self.comodel, form.get(f"{name}.add") or "",
                            form.get(f"{name}.add.text") or "", self.domain())
        except FieldError as exc:
            raise FieldError(exc.message, value) from None
        if added and added[0] not in ids:
            value.append(added)
        return value


@register("many2one_reference")
class Many2oneReferenceWidget(IntegerWidget):
    """The id of a record of the model another field names (a model name, or a many2one
    to ``ir.model``)::

        <field name="res_id" widget="many2one_reference" options="{'model_field': 'model'}"/>

    A picker of that model's records; a number while the record has no model.
    """

    types = ("integer",)

    def target(self) -> Any:
        """The model of the record (None while the record has none)."""
        field = self.options.get("model_field")
        if not field or field not in self.model._fields:
            raise ViewError(f"{self.name!r}: options must name the model_field.")
        model = self.state.raw(field) if self.state is not None else False
        if isinstance(model, int) and model:
            model = self.env["ir.model"].sudo().browse(model).model
        return self.env[model] if isinstance(model, str) and model in self.env else None

    def is_empty(self, value: Any) -> bool:
        return not value

    def text(self, value: Any) -> str:
        if not value or isinstance(value, str):
            return value or ""
        target = self.target()
        if target is None:
            return str(value)
        readable = target.check_access_rights("read", raise_exception=False)
        record = target.with_context(active_test=False).search([("id", "=", value)], limit=1) \
            if readable else None
        return record.display_name if record else f"{target._description or target._name} #{value}"

    def cell(self, value: Any) -> Markup:
        return el("span", None, self.text(value)) if value else Markup("")

    def input(self, value: Any, slot: Slot) -> Markup:
        target = self.target()
        if target is None:
            return super().input(value, slot)
        chosen = (value if isinstance(value, int) else False, self.text(value)) if value else False
        return picker(target, slot.html_id, slot.name, chosen, label=slot.label,
                      labelled=slot.labelled, required=slot.required,
                      error_id=slot.error_id if slot.error else None,
                      placeholder=slot.placeholder)

    def parse(self, form: MultiDict, name: str) -> Any:
        target = self.target()
        if target is None:
            return super().parse(form, name)
        current = self.state.value(self.name)
        try:
            found = resolve(target, form.get(name) or "", form.get(f"{name}.text") or "", [],
                            current if isinstance(current, int) else False)
        except FieldError as exc:
            raise FieldError(exc.message, exc.value[1]) from None
        return found[0] if found else 0
