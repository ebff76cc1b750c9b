"""View architectures: which one to show, parsed, and who may see a node."""

from __future__ import annotations

from typing import Any

from lxml import etree

#: root tags accepted for each view type (``tree`` is the list's former name)
ROOT_TAGS = {"list": ("list", "tree"), "form": ("form",), "search": ("search",)}


def load_arch(model: Any, view_type: str, view: Any = None) -> etree._Element:
    """The combined arch of ``view`` (when it is of that type), else the model's default."""
    view_id = view.id if view and view.sudo().type == view_type else None
    text = model.env["ir.ui.view"].get_view_arch(model._name, view_type, view_id)
    return parse_arch(text, view_type)


def parse_arch(text: str, view_type: str) -> etree._Element:
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(text.encode(), parser)
    if root.tag not in ROOT_TAGS[view_type]:
        raise ValueError(f"A {view_type} view must start with <{view_type}>, not <{root.tag}>")
    return root


def subview(node: etree._Element, view_type: str) -> etree._Element | None:
    """The inline view of an x2many ``<field>`` (``<field name="line_ids"><list>…``)."""
    for child in node:
        if child.tag in ROOT_TAGS[view_type]:
            return child
    return None


def allowed(node: etree._Element, user: Any) -> bool:
    """Whether ``user`` is in the ``groups`` of the node (always when it has none)."""
    groups = node.get("groups")
    return not groups or user._has_any_group(groups)


def field_shown(model: Any, node: etree._Element) -> bool:
    """Whether a ``<field>`` node can be shown to the user: it exists, groups allow it."""
    name = node.get("name")
    field = model._fields.get(name)
    if field is None or not allowed(node, model.env.user):
        return False
    return not field.groups or model.env.su or model.env.user._has_any_group(field.groups)
