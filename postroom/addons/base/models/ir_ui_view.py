"""ir.ui.view: list, form and search views, and QWeb templates, with inheritance.

A *primary* view is a complete arch; an *extension* view (``inherit_id`` set,
``mode='extension'``) patches it. Each patch is a node locating its target —
``<xpath expr="//field[@name='email']" position="after">`` or the shorthand
``<field name="email" position="after">`` — and a position: ``inside``,
``after``, ``before``, ``replace`` or ``attributes`` (with ``<attribute
name="...">`` children). Extensions apply in priority order; the combined arch
is what the backend renders. A model without a view of a type gets a generated
one.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from postroom import api, fields, models
from postroom.exceptions import ValidationError

VIEW_TYPES = [("list", "List"), ("form", "Form"), ("search", "Search"), ("kanban", "Kanban"),
              ("qweb", "QWeb")]
_POSITIONS = ("inside", "after", "before", "replace", "attributes")


class IrUiView(models.Model):
    _name = "ir.ui.view"
    _description = "View"
    _order = "priority, name, id"

    name = fields.Char("View Name", required=True)
    model = fields.Char(index=True)
    key = fields.Char(index=True, help="Template name for QWeb views (module.name)")
    type = fields.Selection(VIEW_TYPES, string="View Type")
    arch = fields.Text("View Architecture", required=True)
    priority = fields.Integer(default=16, required=True)
    inherit_id = fields.Many2one("ir.ui.view", "Inherited View", ondelete="restrict", index=True)
    inherit_children_ids = fields.One2many("ir.ui.view", "inherit_id", "Views which inherit")
    mode = fields.Selection([("primary", "Base view"), ("extension", "Extension View")],
                            compute="_compute_mode", store=True, readonly=False)
    active = fields.Boolean(default=True)

    @api.depends("inherit_id")
    def _compute_mode(self) -> None:
        for view in self:
            view.mode = "extension" if view.inherit_id else "primary"

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        for vals in vals_list:
            if not vals.get("type") and vals.get("arch"):
                vals["type"] = _root_type(vals["arch"])
            if vals.get("inherit_id") and not vals.get("model"):
                vals["model"] = self.browse(vals["inherit_id"]).model
        return super().create(vals_list)

    @api.constrains("arch", "inherit_id", "model", "type")
    def _check_arch(self) -> None:
        for view in self:
            try:
                arch = view._combined_arch_tree()
            except (etree.XMLSyntaxError, ValueError) as exc:
                raise ValidationError(f"View {view.name!r} is invalid: {exc}") from None
            if view.model and view.type in ("list", "form", "search", "kanban"):
                if view.model not in self.env:
                    raise ValidationError(f"View {view.name!r}: unknown model {view.model!r}")
                model_fields = self.env[view.model]._fields
                for node in arch.iter("field"):
                    name = node.get("name")
                    if name not in model_fields and not _inside_subview(node):
                        raise ValidationError(f"View {view.name!r}: field {name!r} does not exist "
                                              f"on model {view.model}")

    # ------------------------------------------------------------------
    # inheritance
    # ------------------------------------------------------------------
    def _root(self) -> Any:
        view = self
        while view.inherit_id:
            view = view.inherit_id
        return view

    def _combined_arch_tree(self) -> etree._Element:
        """The arch of this view's root with every active extension applied."""
        root = self._root()
        tree = etree.fromstring(root.arch.encode())
        for extension in root._extensions():
            apply_inheritance(tree, etree.fromstring(extension.arch.encode()), extension.name)
        return tree

    def _extensions(self) -> list[Any]:
        result = []
        for child in self.inherit_children_ids.filtered("active").sorted(
                lambda v: (v.priority, v.id)):
            if child.mode == "extension":
                result.append(child)
                result.extend(child._extensions())
        return result

    def get_combined_arch(self) -> str:
        return etree.tostring(self._combined_arch_tree(), encoding="unicode")

    # ------------------------------------------------------------------
    # lookup
    # ------------------------------------------------------------------
    @api.model
    def get_view_arch(self, model: str, view_type: str, view_id: int | None = None) -> str:
        """The combined arch of the view to show (generated when the model has none)."""
        if view_id:
            view = self.sudo().browse(view_id)
        else:
            view = self.sudo().search([("model", "=", model), ("type", "=", view_type),
                                       ("mode", "=", "primary")], limit=1)
        if view:
            return view.get_combined_arch()
        return default_arch(self.env[model], view_type)

    @api.model
    def _template_source(self, key: str) -> str:
        """The combined arch of the QWeb template named ``key`` (for ``t-call``)."""
        view = self.sudo().search([("key", "=", key), ("type", "=", "qweb"),
                                   ("mode", "=", "primary")], limit=1)
        if not view:
            raise ValueError(f"Template {key!r} not found")
        return view.get_combined_arch()


def _root_type(arch: str) -> str | None:
    try:
        tag = etree.fromstring(arch.encode()).tag
    except etree.XMLSyntaxError:
        return None
    return {"tree": "list", "t": "qweb"}.get(tag, tag)


def _inside_subview(node: etree._Element) -> bool:
    parent = node.getparent()
    while parent is not None:
        if parent.tag == "field":
            return True
        parent = parent.getparent()
    return False


def _locate(tree: etree._Element, spec: etree._Element) -> etree._Element | None:
    if spec.tag == "xpath":
        found = tree.xpath(spec.get("expr"))
        return found[0] if found else None
    attributes = {k: v for k, v in spec.attrib.items() if k != "position"}
    if spec.tag == tree.tag and all(tree.get(k) == v for k, v in attributes.items()):
        return tree
    for node in tree.iter(spec.tag):
        if all(node.get(k) == v for k, v in attributes.items()):
            return node
    return None


def apply_inheritance(tree: etree._Element, patch: etree._Element, view_name: str) -> None:
    """Apply an extension arch (``<data>`` of specs, or one spec) on ``tree`` in place."""
    specs = list(patch) if patch.tag == "data" else [patch]
    for spec in specs:
        if not isinstance(spec.tag, str):
            continue
        target = _locate(tree, spec)
        if target is None:
            where = spec.get("expr") or etree.tostring(spec, encoding="unicode").split(">")[0] + ">"
            raise ValueError(f"extension {view_name!r}: element {where} not found in the parent view")
        position = spec.get("position", "inside")
        if position not in _POSITIONS:
            raise ValueError(f"extension {view_name!r}: invalid position {position!r}")
        children = [child for child in spec]
        if position == "inside":
            target.extend(children)
        elif position == "after":
            for child in reversed(children):
                target.addnext(child)
        elif position == "before":
            for child in children:
                target.addprevious(child)
        elif position == "replace":
            parent = target.getparent()
            if parent is None:
                raise ValueError(f"extension {view_name!r}: cannot replace the root element")
            for child in children:
                target.addprevious(child)
            parent.remove(target)
        else:
            for attribute in spec.iter("attribute"):
                if attribute.text and attribute.text.strip():
                    target.set(attribute.get("name"), attribute.text.strip())
                else:
                    target.attrib.pop(attribute.get("name"), None)


_SKIPPED = {"id", "display_name", "create_uid", "create_date", "write_uid", "write_date"}


def default_arch(model: Any, view_type: str) -> str:
    """A generated view: the name and the simple fields, in declaration order."""
    names = [name for name, field in model._fields.items()
             if name not in _SKIPPED and not field.inherited and field.type != "binary"
             and not (field.compute and not field.store and not field.related)]
    if view_type == "list":
        shown = [n for n in names if model._fields[n].type not in ("one2many", "many2many", "text",
                                                                    "html", "json")][:8]
        body = "".join(f'<field name="{n}"/>' for n in shown)
        return f'<list string="{_attr(model._description)}">{body}</list>'
    if view_type == "search":
        shown = [n for n in names if model._fields[n].type in ("char", "many2one", "selection")][:5]
        return "<search>" + "".join(f'<field name="{n}"/>' for n in shown) + "</search>"
    if view_type == "form":
        simple = [n for n in names if model._fields[n].type not in ("one2many", "many2many",
                                                                     "html", "text")]
        wide = [n for n in names if n not in simple]
        body = "<group>" + "".join(f'<field name="{n}"/>' for n in simple) + "</group>"
        body += "".join(f'<group><field name="{n}"/></group>' for n in wide)
        return f'<form string="{_attr(model._description)}"><sheet>{body}</sheet></form>'
    raise ValueError(f"No default {view_type} view")


def _attr(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
