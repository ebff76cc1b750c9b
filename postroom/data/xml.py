"""Load XML data files: records, menus, templates, method calls and deletions.

The format is Odoo's::

    <odoo>
      <record id="partner_demo" model="res.partner">
        <field name="name">Demo</field>
        <field name="parent_id" ref="base.main_partner"/>
        <field name="category_id" eval="[(6, 0, [ref('tag_vip')])]"/>
      </record>
      <data noupdate="1"> records created once, then left alone by upgrades </data>
      <menuitem id="menu_mail" name="Email" parent="base.menu_settings" action="action_mail"/>
      <template id="layout"><div>…</div></template>
      <function model="res.partner" name="_init_demo" eval="[ref('partner_demo')]">
        <value name="notify" eval="False"/>  a keyword argument
      </function>
      <delete model="res.partner" id="old_partner"/>
    </odoo>

A ``<field>`` (or ``<value>``, for ``<function>`` arguments) gets its value
from, in this order: ``search="domain"`` (with ``model=`` when it is not the
field's comodel), ``ref="xmlid"``, ``eval="expression"`` (see
:mod:`postroom.data.evaluate`), ``type="xml"``/``"html"`` (the children,
serialized: view architectures; ``%(xmlid)d`` in them becomes the record id),
``type="base64" file="path"`` (a file of the addon, relative to the directory
holding its ``__manifest__.py``), ``type="int"``/``"float"``/``"char"``, or
its text, read according to the field's type (:mod:`postroom.data.values`).

A ``<function>`` calls a model method, as Odoo's ``call_kw``: its positional
arguments are the items of ``eval`` then its unnamed ``<value>`` children, in
order; each ``<value name="key">`` is the keyword argument ``key``. For a
method on records (not ``@api.model``), the first positional argument is
their ids. Arguments that do not fit the method's signature are refused
before the call, with the file and line.

External ids without a module are the addon's own. What is created, updated
or left alone on upgrade is decided by :mod:`postroom.data.records`.
"""

from __future__ import annotations

import base64
import copy
import html
import inspect
import keyword
import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree

from postroom.data.errors import DataError, Where, describe
from postroom.data.evaluate import eval_names, evaluate
from postroom.data.records import RecordLoader
from postroom.data.values import boolean, number, text_value
from postroom.orm.environment import Environment
from postroom.orm.fields.base import Field
from postroom.orm.fields.relational import Command

_XMLID_PLACEHOLDER = re.compile(r"%\(([\w.-]+)\)[ds]")


def load_xml(env: Environment, module: str, path: str | Path, mode: str = "init",
             noupdate: bool = False, loaded_xmlids: set[str] | None = None) -> set[str]:
    """Load the XML data file ``path`` of addon ``module``.

    ``mode`` is ``init`` (install) or ``update`` (upgrade); ``noupdate`` makes
    the whole file noupdate (as for demo data). The external ids the file
    defines are added to ``loaded_xmlids``, which is returned.
    """
    loaded = set() if loaded_xmlids is None else loaded_xmlids
    xml_file = _XmlFile(RecordLoader(env, module, mode, loaded), Path(path))
    xml_file.load(noupdate)
    return loaded


def _parse(path: Path) -> Any:
    parser = etree.XMLParser(remove_comments=True, remove_pis=True, resolve_entities=False,
                             no_network=True)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise DataError(str(path), exc.lineno, None, f"malformed XML: {exc.msg}") from None
    except OSError as exc:
        raise DataError(str(path), None, None, f"cannot read the file: {exc}") from None


class _XmlFile:
    """One XML file being loaded."""

    def __init__(self, records: RecordLoader, path: Path):
        self.records = records
        self.path = path
        self.handlers: dict[str, Callable[[Any, bool], None]] = {
            "record": self.record, "menuitem": self.menuitem, "template": self.template,
            "function": self.function, "delete": self.delete,
        }

    def where(self, node: Any, subject: str | None = None) -> Where:
        return Where(str(self.path), node.sourceline, subject)

    def load(self, noupdate: bool) -> None:
        root = _parse(self.path)
        if root.tag != "odoo":
            raise self.where(root).error(f"the root element must be <odoo>, not <{root.tag}>")
        noupdate = self.flag(root, "noupdate", noupdate, self.where(root))
        for node in root:
            if node.tag == "data":
                block_noupdate = self.flag(node, "noupdate", noupdate, self.where(node))
                for child in node:
                    self.element(child, block_noupdate)
            else:
                self.element(node, noupdate)

    def element(self, node: Any, noupdate: bool) -> None:
        handler = self.handlers.get(node.tag)
        if handler is None:
            raise self.where(node).error(
                f"unknown element <{node.tag}>: use record, menuitem, template, function, "
                "delete (optionally inside <data>)")
        handler(node, noupdate)

    # ------------------------------------------------------------------
    # elements
    # ------------------------------------------------------------------
    def record(self, node: Any, noupdate: bool) -> None:
        record_id = node.get("id")
        where = self.where(node, f"record {record_id or '(without id)'}")
        model = self.records.model(node.get("model"), where)
        if node.get("context"):
            model = model.with_context(**self.evaluate(node.get("context"), where, dict))
        forcecreate = self.flag(node, "forcecreate", True, where)

        def values() -> dict[str, Any]:
            vals = {}
            for child in node:
                field_where = where.at(child.sourceline)
                if child.tag != "field":
                    raise field_where.error(f"unexpected <{child.tag}> in <record>: only "
                                            "<field> elements belong there")
                field = self.records.field(model, child.get("name"), field_where)
                vals[field.name] = self.value(child, field_where, field)
            return vals

        self.records.load(where, model, record_id, values, noupdate, forcecreate)

    def menuitem(self, node: Any, noupdate: bool, parent_id: int | None = None) -> None:
        menu_id = node.get("id")
        where = self.where(node, f"record {menu_id}")
        if not menu_id:
            raise self.where(node, "<menuitem>").error("a menu item needs an id")
        model = self.records.model("ir.ui.menu", where)

        def values() -> dict[str, Any]:
            vals: dict[str, Any] = {}
            if node.get("name"):
                vals["name"] = node.get("name")
            if node.get("parent"):
                vals["parent_id"] = self.records.ref_id(node.get("parent"), where)
            elif parent_id:
                vals["parent_id"] = parent_id
            if node.get("action"):
                action_model, action_id = self.records.ref(node.get("action"), where)
                vals["action"] = f"{action_model},{action_id}"
                vals.setdefault("name", self.records.env[action_model].browse(action_id).name)
            if node.get("sequence"):
                vals["sequence"] = number(node.get("sequence"), int, where)
            if node.get("groups"):
                vals["groups_id"] = self.groups(node.get("groups"), where)
            if node.get("web_icon"):
                vals["web_icon"] = node.get("web_icon")
            return vals

        menu = self.records.load(where, model, menu_id, values, noupdate,
                                 defaults={"name": menu_id.rpartition(".")[2]})
        for child in node:
            if child.tag != "menuitem":
                raise where.at(child.sourceline).error(
                    f"unexpected <{child.tag}> in <menuitem>: only sub-menus belong there")
            self.menuitem(child, noupdate, menu.id if menu else None)

    def template(self, node: Any, noupdate: bool) -> None:
        template_id = node.get("id")
        where = self.where(node, f"record {template_id}")
        if not template_id:
            raise self.where(node, "<template>").error("a template needs an id")
        key = self.records.xmlid(template_id, where)
        model = self.records.model("ir.ui.view", where)

        def values() -> dict[str, Any]:
            inherit = node.get("inherit_id")
            arch = etree.Element("data" if inherit else "t")
            if not inherit:
                arch.set("t-name", key)
            arch.text = node.text
            for child in node:
                arch.append(copy.deepcopy(child))
            vals: dict[str, Any] = {
                "name": node.get("name") or template_id, "type": "qweb", "key": key,
                "arch": self.substitute_ids(etree.tostring(arch, encoding="unicode"), where),
            }
            if inherit:
                vals["inherit_id"] = self.records.ref_id(inherit, where)
            if node.get("priority"):
                vals["priority"] = number(node.get("priority"), int, where)
            return vals

        self.records.load(where, model, template_id, values, noupdate)

    def function(self, node: Any, noupdate: bool) -> None:
        model_name, method_name = node.get("model"), node.get("name")
        where = self.where(node, f"function {model_name}.{method_name}")
        if noupdate and self.records.mode == "update":
            return
        model = self.records.model(model_name, where)
        method = getattr(type(model), method_name or "", None)
        if not callable(method):
            raise where.error(f"model {model_name!r} has no method {method_name!r}")
        if node.get("context"):
            model = model.with_context(**self.evaluate(node.get("context"), where, dict))
        args, kwargs = self.call_arguments(node, where)
        # as Odoo's call_kw: a method on records takes their ids as first argument
        if args and not getattr(method, "_api_model", False):
            model, args = model.browse(args[0]), args[1:]
        bound = getattr(model, method_name)
        _check_call(bound, args, kwargs, where)
        try:
            bound(*args, **kwargs)
        except DataError:
            raise
        except Exception as exc:
            raise where.error(f"the call failed: {describe(exc)}") from exc

    def call_arguments(self, node: Any, where: Where) -> tuple[list[Any], dict[str, Any]]:
        """The arguments of a ``<function>``.

        Positional: the items of ``eval``, then each ``<value>`` without a name, in
        order. Keyword: each ``<value name="…">``, as in Odoo.
        """
        args = list(self.evaluate(node.get("eval"), where, (list, tuple))) \
            if node.get("eval") else []
        kwargs: dict[str, Any] = {}
        for child in node:
            child_where = where.at(child.sourceline)
            if child.tag != "value":
                raise child_where.error(
                    f"unexpected <{child.tag}> in <function>: arguments are <value> elements "
                    '(<value name="key" …> for a keyword argument)')
            name = child.get("name")
            if name is None:
                args.append(self.value(child, child_where))
                continue
            if not name.isidentifier() or keyword.iskeyword(name):
                raise child_where.error(
                    f"<value name={name!r}>: a keyword argument needs a Python identifier "
                    "as its name")
            if name == "context":
                raise child_where.error(
                    '<value name="context"> is not an argument: give the context with the '
                    'context="{…}" attribute of <function>')
            if name in kwargs:
                raise child_where.error(
                    f"keyword argument {name!r} is given twice: keep one <value name={name!r}>")
            kwargs[name] = self.value(child, child_where)
        return args, kwargs

    def delete(self, node: Any, noupdate: bool) -> None:
        where = self.where(node, f"delete {node.get('model')}")
        model = self.records.model(node.get("model"), where)
        if not (node.get("id") or node.get("search")):
            raise where.error("say what to delete with id= or search=")
        records = model.browse()
        if node.get("id"):
            found = self.records.lookup(self.records.xmlid(node.get("id"), where))
            if found and found[1] != model._name:
                raise where.error(f"external id {node.get('id')!r} is a {found[1]} record, "
                                  f"not {model._name}")
            if found:
                records = model.browse(found[2]).exists()
                if not records:  # the record went without its external id
                    self.records.env["ir.model.data"].browse(found[0]).unlink()
        if node.get("search"):
            records |= model.search(self.evaluate(node.get("search"), where, (list, tuple)))
        try:
            records.unlink()
        except Exception as exc:
            raise where.error(f"cannot delete {records!r}: {describe(exc)}") from exc

    # ------------------------------------------------------------------
    # values
    # ------------------------------------------------------------------
    def value(self, node: Any, where: Where, field: Field | None = None) -> Any:
        """The value a ``<field>`` (or ``<value>``, without ``field``) gives."""
        if node.get("search"):
            return self.search_value(node, where, field)
        if node.get("ref"):
            res_id = self.records.ref_id(node.get("ref"), where)
            return [Command.set([res_id])] if field is not None and field.relational_multi \
                else res_id
        if node.get("eval"):
            return self.evaluate(node.get("eval"), where)
        kind = node.get("type")
        text = node.text or ""
        if kind in ("xml", "html"):
            return self.markup(node, kind, where)
        if kind == "base64":
            return self.file_base64(node, where)
        if kind == "int":
            return number(text, int, where)
        if kind == "float":
            return number(text, float, where)
        if kind is not None and kind != "char":
            raise where.error(f"unknown type {kind!r}: use xml, html, base64, int, float or char")
        if kind == "char" or field is None:
            return text
        return text_value(field, text, where)

    def search_value(self, node: Any, where: Where, field: Field | None) -> Any:
        comodel_name = node.get("model") or (field.comodel_name if field is not None
                                             and field.relational else None)
        comodel = self.records.model(comodel_name, where)
        found = comodel.search(self.evaluate(node.get("search"), where, (list, tuple)))
        if field is None:
            return found.ids
        if field.type == "many2one":
            return found[:1].id
        if field.relational_multi:
            return [Command.set(found.ids)]
        raise where.error(f"search= needs a relational field, and {field.name!r} is not one")

    def markup(self, node: Any, kind: str, where: Where) -> str:
        """The content of ``node`` serialized (its text and children), ids substituted."""
        method = "html" if kind == "html" else "xml"
        parts = [html.escape(node.text or "", quote=False)]
        parts.extend(etree.tostring(child, encoding="unicode", method=method) for child in node)
        return self.substitute_ids("".join(parts).strip(), where)

    def substitute_ids(self, text: str, where: Where) -> str:
        """Replace ``%(xmlid)d`` (or ``%(xmlid)s``) by the record's database id."""
        return _XMLID_PLACEHOLDER.sub(
            lambda match: str(self.records.ref_id(match.group(1), where)), text)

    def file_base64(self, node: Any, where: Where) -> str:
        relative = node.get("file")
        if not relative:
            raise where.error('type="base64" needs file="path/in/the/addon"')
        root = self.addon_root.resolve()
        target = (root / relative).resolve()
        if not target.is_relative_to(root):
            raise where.error(f"file {relative!r} is outside the addon")
        try:
            return base64.b64encode(target.read_bytes()).decode("ascii")
        except OSError as exc:
            raise where.error(f"cannot read file {relative!r}: {exc.strerror}") from None

    @cached_property
    def addon_root(self) -> Path:
        """The directory holding the addon's manifest (else the data file's directory)."""
        folder = self.path.resolve().parent
        for candidate in (folder, *folder.parents):
            if (candidate / "__manifest__.py").is_file():
                return candidate
        return folder

    def groups(self, text: str, where: Where) -> list[tuple]:
        """``a,b`` → exactly those groups; with ``-c`` items, link and unlink instead."""
        added, removed = [], []
        for item in filter(None, (part.strip() for part in text.split(","))):
            if item.startswith("-"):
                removed.append(self.records.ref_id(item[1:], where))
            else:
                added.append(self.records.ref_id(item, where))
        if not removed:
            return [Command.set(added)]
        return [Command.link(i) for i in added] + [Command.unlink(i) for i in removed]

    def evaluate(self, expression: str, where: Where, expected: type | tuple[type, ...] | None = None
                 ) -> Any:
        names = eval_names(lambda xmlid: self.records.ref_id(xmlid, where))
        value = evaluate(expression, names, where)
        if expected is not None and not isinstance(value, expected):
            raise where.error(f"{expression!r} gives a {type(value).__name__}, which is not "
                              "what this attribute takes")
        return value

    def flag(self, node: Any, attribute: str, default: bool, where: Where) -> bool:
        value = node.get(attribute)
        return default if value is None else boolean(value, where)


def _check_call(method: Callable[..., Any], args: list[Any], kwargs: dict[str, Any],
                where: Where) -> None:
    """Refuse, before calling, arguments that do not fit the method's signature."""
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):  # no signature to check against
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        plain = signature.replace(return_annotation=signature.empty, parameters=[
            p.replace(annotation=p.empty) for p in signature.parameters.values()])
        raise where.error(f"the arguments do not fit {method.__name__}{plain}: {exc}; give "
                          "the ones it lists (positional ones in eval or <value>, keyword "
                          'ones as <value name="…">)') from None
