"""QWeb: XML templates whose ``t-*`` attributes are directives, compiled to closures.

A QWeb template is well-formed XML (several root elements and HTML named entities such
as ``&nbsp;`` are fine). Elements and text render as themselves; attributes starting
with ``t-`` are directives::

    <p t-if="object.partner_id">Dear <t t-out="object.partner_id.name"/>,</p>
    <ul><li t-foreach="object.line_ids" t-as="line" t-att-class="line_last and 'last'">
        <t t-out="line.name"/>: <t t-out="format_amount(line.price, object.currency_id)"/>
    </li></ul>

Directives, in the order they apply when one element carries several:

* ``t-foreach="expr" t-as="x"`` repeats the element with ``x``, ``x_index``, ``x_first``,
  ``x_last``, ``x_size`` and, for mappings, ``x_value`` (``x`` is then the key).
  Variables created inside the loop stay inside it; variables that existed before get
  their new value back after it.
* ``t-if``/``t-elif``/``t-else`` render the element or not. On an element that also has
  ``t-foreach``, ``t-if`` is tested for each item (a filter) and cannot start a
  ``t-elif`` chain. Otherwise ``t-elif``/``t-else`` must follow a ``t-if``/``t-elif``
  sibling, with only whitespace in between.
* ``t-set="name"`` with ``t-value="expr"``, or with a body (rendered, as ``Markup``),
  sets a variable; the element itself does not render.
* The element's content is then ``t-call="name"`` (render the template named ``name``
  with a copy of the current variables; the rendered body of the ``t-call`` element is
  available there as ``0``, and ``t-set`` in that body only affects the call),
  ``t-out="expr"``/``t-esc="expr"`` (the escaped value, unless it is ``Markup``; the
  element's body is the default shown when the value is ``None`` or ``False``), or its
  children.
* ``t-att-name="expr"`` (``None``/``False`` drops the attribute, ``True`` gives
  ``name="name"``), ``t-attf-name="text {{expr}} #{expr}"``, ``t-att="mapping or pair"``.
* ``<t>`` renders only its content. ``t-name`` is ignored. ``t-raw`` is refused: trusted
  HTML is a ``markupsafe.Markup`` value given to ``t-out``.

Expressions go through :mod:`postroom.render.sandbox` and undefined names are errors
(test with ``t-if="name is defined"``). Each template source is parsed with lxml and
compiled once into a tree of Python closures (cached by source text); rendering only runs
the closures, writing strings into one list. Static subtrees are serialised at compile
time. A render is bounded by :class:`RenderLimits` (time checked per loop iteration and
per ``t-call``, each output character counted once, as it is produced) and ``t-call`` by
:data:`MAX_CALL_DEPTH`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from html.entities import html5
from typing import Any

from lxml import etree
from markupsafe import Markup, escape

from postroom.render.sandbox import (
    Budget,
    Refused,
    RenderError,
    RenderLimits,
    compile_expression,
    render_budget,
)

#: How deep ``t-call`` may nest before the render is refused (infinite recursion guard).
MAX_CALL_DEPTH = 32

#: HTML elements written as ``<br/>`` when empty; every other empty element gets a
#: closing tag, because ``<div/>`` means an unclosed ``<div>`` to an HTML parser.
VOID_ELEMENTS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "param", "source", "track", "wbr",
})  # fmt: skip

_DIRECTIVES = frozenset(
    {"if", "elif", "else", "foreach", "as", "set", "value", "out", "esc", "call", "name"}
)
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=True)
_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_FORMAT_PLACEHOLDER = re.compile(r"\{\{(.+?)\}\}|#\{(.+?)\}", re.DOTALL)
_TEMPLATE_NAME = re.compile(r"[\w.-]+\Z")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*\Z")

Values = dict[str, Any]
Renderer = Callable[[Values, "_Output"], None]
Fragment = str | Renderer
Evaluator = Callable[[Values], Any]


class _Captured(Markup):
    """Text rendered aside (a t-set or t-call body), already counted against the budget.

    ``fresh`` is true on the captured value itself until it is first written out; values
    derived from it (``Markup`` methods return the same class) are not fresh.
    """

    fresh = False


class _Output:
    """Where one render writes: the text produced, its budget, and the t-call depth.

    Each character is counted once, when it is produced. Text rendered aside by
    :meth:`capture` counts then; writing the captured value out the first time moves it
    into place and counts nothing more (a layout around a body costs the body once),
    writing it again copies it and counts again.
    """

    __slots__ = ("budget", "depth", "parts", "qweb")

    def __init__(self, budget: Budget, qweb: QWeb) -> None:
        self.parts: list[str] = []
        self.budget = budget
        self.qweb = qweb
        self.depth = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.budget.add_output(len(text))

    def write_value(self, value: Any) -> None:
        """Write `value` escaped (unless it is ``Markup``), counted unless it moves."""
        if isinstance(value, _Captured) and value.fresh:
            value.fresh = False
            self.parts.append(value)
        else:
            self.write(escape(value))

    def capture(self, renderer: Renderer, values: Values) -> Markup:
        """Render `renderer` aside and return its output (for t-set and t-call bodies)."""
        saved, self.parts = self.parts, []
        try:
            renderer(values, self)
            captured = _Captured("".join(self.parts))
        finally:
            self.parts = saved
        captured.fresh = True
        return captured


class QWeb:
    """Renders QWeb templates given as XML source or by name through `loader`.

    A string made only of letters, digits, ``_``, ``.`` and ``-`` is a template name;
    anything else is template source.

    `loader(name)` returns the source of a named template, or raises ``LookupError``
    (``KeyError`` ...) if there is none; it is called on every render and every ``t-call``
    of that name, so it should cache. Compiled templates are cached by source text,
    shared by all ``QWeb`` instances.
    """

    def __init__(
        self, loader: Callable[[str], str] | None = None, *, limits: RenderLimits | None = None
    ) -> None:
        self.loader = loader
        self.limits = limits or RenderLimits()

    def render(self, arch_or_name: str, context: Mapping[str, Any] | None = None) -> Markup:
        """Render a template (its XML source, or its name) with `context` as variables."""
        with render_budget(self.limits) as budget:
            out = _Output(budget, self)
            try:
                self.template(arch_or_name)(dict(context or {}), out)
            except Refused as exc:
                raise RenderError(arch_or_name, exc.reason) from None
            except RecursionError:
                raise RenderError(arch_or_name, "templates nest too deeply") from None
        return Markup("".join(out.parts))

    def template(self, arch_or_name: str) -> Renderer:
        """The compiled renderer of a template given by source or by name."""
        if not _TEMPLATE_NAME.match(arch_or_name):
            return _compile(arch_or_name)
        if self.loader is None:
            raise RenderError(arch_or_name, "no template loader is configured to find it")
        try:
            source = self.loader(arch_or_name)
        except LookupError:
            raise RenderError(arch_or_name, "there is no template with this name") from None
        return _compile(source)


def validate_qweb(source: str) -> None:
    """Raise :class:`RenderError` (directive, expression, reason) if `source` is not a
    valid template. Called templates are not looked up."""
    _compile(source)


def qweb_directives(source: str) -> list[tuple[str, str]]:
    """``(directive, value)`` of every directive in a template, in document order, e.g.
    ``("t-out", "object.name")``, ``("t-call", "mail.layout")``: to decide who may save
    it (say, only ``t-out`` of plain field paths for users who are not template editors).
    """
    return [
        (name, value)
        for element in _parse(source).iter(tag=etree.Element)
        for name, value in element.attrib.items()
        if name.startswith("t-") and name != "t-name"
    ]


# --- parsing --------------------------------------------------------------------------


def _xml_entities(source: str) -> str:
    """Replace HTML named entities (``&nbsp;``) by their characters, for the XML parser."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        char = None if name in _XML_ENTITIES else html5.get(name + ";")
        return escape(char) if char else match.group(0)

    return _ENTITY.sub(replace, source)


def _parse(source: str) -> etree._Element:
    try:
        return etree.fromstring(f"<t>{_xml_entities(source)}</t>", _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise RenderError(source, f"invalid XML: {exc}") from None


def _qualified(element: etree._Element, name: str) -> str:
    """``prefix:local`` for a namespaced tag or attribute name, else `name`."""
    if not name.startswith("{"):
        return name
    qname = etree.QName(name)
    if qname.namespace == _XML_NAMESPACE:
        return f"xml:{qname.localname}"
    prefixes = [p for p, uri in element.nsmap.items() if uri == qname.namespace and p]
    return f"{prefixes[0]}:{qname.localname}" if prefixes else qname.localname


def _directives(element: etree._Element) -> dict[str, str]:
    """The element's structural directives (``t-att*`` excluded), checked for misuse."""
    found = {}
    for key, value in element.attrib.items():
        if not key.startswith("t-") or key == "t-att" or key.startswith(("t-att-", "t-attf-")):
            continue
        name = key[2:]
        if name == "raw":
            raise RenderError(
                value, "t-raw is not supported: use t-out with a markupsafe.Markup value", key
            )
        if name not in _DIRECTIVES:
            raise RenderError(value, f"unknown directive {key}", key)
        found[name] = value
    if ("foreach" in found) != ("as" in found):
        raise RenderError(
            found.get("foreach", found.get("as", "")), "t-foreach and t-as go together", "t-foreach"
        )
    if "value" in found and "set" not in found:
        raise RenderError(found["value"], "t-value needs t-set", "t-value")
    for name in ("as", "set"):
        if name in found and not found[name].isidentifier():
            raise RenderError(found[name], "expected a variable name", f"t-{name}")
    if len(found.keys() & {"out", "esc", "call"}) > 1:
        raise RenderError(
            found.get("call", ""), "use only one of t-out, t-esc and t-call", "t-call"
        )
    return found


# --- compiling ------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _compile(source: str) -> Renderer:
    try:
        return _sequence(_children(_parse(source)))
    except RecursionError:
        raise RenderError(source, "the template nests too deeply") from None


def _nothing(values: Values, out: _Output) -> None:
    """Renders nothing."""


def _sequence(fragments: list[Fragment]) -> Renderer:
    """One renderer for a list of static strings and renderers."""
    pieces: list[Fragment] = []
    for fragment in fragments:
        if not isinstance(fragment, str):
            pieces.append(fragment)
        elif pieces and isinstance(pieces[-1], str):
            pieces[-1] += str(fragment)  # str(): Markup + str would escape the str
        else:
            pieces.append(str(fragment))
    if not pieces:
        return _nothing
    if len(pieces) == 1:
        only = pieces[0]
        if isinstance(only, str):
            return lambda values, out: out.write(only)
        return only

    def render(values: Values, out: _Output) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                out.write(piece)
            else:
                piece(values, out)

    return render


def _expression(directive: str, source: str) -> Evaluator:
    """A sandboxed evaluator whose errors name `directive`."""
    try:
        expression = compile_expression(source)
    except RenderError as exc:
        raise RenderError(exc.expression, exc.reason, directive) from None

    def evaluate(values: Values) -> Any:
        try:
            return expression(values)
        except RenderError as exc:
            if exc.directive:
                raise
            raise RenderError(exc.expression, exc.reason, directive) from exc

    return evaluate


def _children(element: etree._Element) -> list[Fragment]:
    """Fragments for the text and child nodes of `element`, grouping t-if chains."""
    fragments: list[Fragment] = [escape(element.text)] if element.text else []
    chain: list[tuple[Evaluator | None, Renderer]] | None = None
    for child in element:
        if child.tag is etree.Comment:
            chain = None
            fragments.append(f"<!--{child.text or ''}-->")
        elif isinstance(child.tag, str):
            directives = _directives(child)
            if "elif" in directives or "else" in directives:
                if chain is None:
                    key = "t-elif" if "elif" in directives else "t-else"
                    raise RenderError(
                        child.get(key), "must follow an element with t-if or t-elif", key
                    )
                chain.append(_branch(child, directives))
                if "else" in directives:
                    chain = None
            elif "if" in directives and "foreach" not in directives:
                chain = [_branch(child, directives)]
                fragments.append(_choose(chain))
            else:
                chain = None
                fragments.extend(_element(child, directives))
        else:
            chain = None  # processing instructions are dropped
        if child.tail:
            fragments.append(escape(child.tail))
            if not child.tail.isspace():
                chain = None
    return fragments


def _branch(
    element: etree._Element, directives: dict[str, str]
) -> tuple[Evaluator | None, Renderer]:
    """The condition (None for t-else) and body of one member of a t-if chain."""
    rest = {k: v for k, v in directives.items() if k not in ("if", "elif", "else")}
    key = next((k for k in ("if", "elif") if k in directives), None)
    condition = _expression(f"t-{key}", directives[key]) if key else None
    return condition, _sequence(_element(element, rest))


def _choose(branches: list[tuple[Evaluator | None, Renderer]]) -> Renderer:
    def render(values: Values, out: _Output) -> None:
        for condition, body in branches:
            if condition is None or condition(values):
                body(values, out)
                return

    return render


def _element(element: etree._Element, directives: dict[str, str]) -> list[Fragment]:
    """Fragments for one element, applying t-foreach, t-if and t-set around it."""
    if "foreach" in directives:
        rest = {k: v for k, v in directives.items() if k not in ("foreach", "as")}
        body = _sequence(_element(element, rest))
        return [_foreach(directives["foreach"], directives["as"], body)]
    if "if" in directives:
        rest = {k: v for k, v in directives.items() if k != "if"}
        return [_when(_expression("t-if", directives["if"]), _sequence(_element(element, rest)))]
    if "set" in directives:
        return [_set(element, directives)]
    return _tag(element, directives)


def _when(condition: Evaluator, body: Renderer) -> Renderer:
    def render(values: Values, out: _Output) -> None:
        if condition(values):
            body(values, out)

    return render


def _foreach(source: str, name: str, body: Renderer) -> Renderer:
    evaluate = _expression("t-foreach", source)
    loop_names = {
        name,
        *(f"{name}_{suffix}" for suffix in ("index", "first", "last", "size", "value")),
    }
    index_name, first_name, last_name = f"{name}_index", f"{name}_first", f"{name}_last"
    size_name, value_name = f"{name}_size", f"{name}_value"

    def render(values: Values, out: _Output) -> None:
        collection = evaluate(values)
        try:
            items = list(collection.items()) if isinstance(collection, Mapping) else collection
            if not hasattr(items, "__len__"):
                items = list(items)
            size = len(items)
        except TypeError:
            raise RenderError(
                source, f"cannot loop over a {type(collection).__name__}", "t-foreach"
            ) from None
        is_mapping = isinstance(collection, Mapping)
        scope = dict(values)
        scope[size_name] = size
        check_time = out.budget.check_time
        for index, item in enumerate(items):
            check_time()
            key, value = item if is_mapping else (item, item)
            scope[name] = key
            scope[value_name] = value
            scope[index_name] = index
            scope[first_name] = index == 0
            scope[last_name] = index == size - 1
            body(scope, out)
        values.update({key: scope[key] for key in values if key not in loop_names})

    return render


def _set(element: etree._Element, directives: dict[str, str]) -> Renderer:
    name = directives["set"]
    if "value" not in directives:
        body = _sequence(_children(element))

        def render_body(values: Values, out: _Output) -> None:
            values[name] = out.capture(body, values)

        return render_body

    evaluate = _expression("t-value", directives["value"])

    def render_value(values: Values, out: _Output) -> None:
        value = evaluate(values)
        if isinstance(value, (str, list, tuple, dict)):
            out.budget.check_size(len(value), f'the value of "{name}"')
        values[name] = value

    return render_value


def _tag(element: etree._Element, directives: dict[str, str]) -> list[Fragment]:
    """Fragments for the element's own tag, attributes and content."""
    content = _content(element, directives)
    if element.tag == "t":
        return content
    tag = _qualified(element, element.tag)
    opening = _attributes(element, tag)
    if not content and tag.lower() in VOID_ELEMENTS:
        return [opening, "/>"]
    return [opening, ">", *content, f"</{tag}>"]


def _content(element: etree._Element, directives: dict[str, str]) -> list[Fragment]:
    if "call" in directives:
        return [_call(directives["call"], _sequence(_children(element)))]
    for key in ("out", "esc"):
        if key in directives:
            return [_out(f"t-{key}", directives[key], _sequence(_children(element)))]
    return _children(element)


def _out(directive: str, source: str, default: Renderer) -> Renderer:
    # "0" is the body of the enclosing t-call, not the number zero.
    evaluate = (
        (lambda values: values.get("0"))
        if source.strip() == "0"
        else _expression(directive, source)
    )

    def render(values: Values, out: _Output) -> None:
        value = evaluate(values)
        if value is None or value is False:
            default(values, out)
        else:
            out.write_value(value)

    return render


def _call(name: str, body: Renderer) -> Renderer:
    def render(values: Values, out: _Output) -> None:
        if out.depth >= MAX_CALL_DEPTH:
            raise RenderError(
                name,
                f"t-call nests deeper than {MAX_CALL_DEPTH} levels; does a template call itself?",
                "t-call",
            )
        out.budget.check_time()
        scope = dict(values)
        scope["0"] = out.capture(body, scope)
        template = out.qweb.template(name)
        out.depth += 1
        try:
            template(scope, out)
        finally:
            out.depth -= 1

    return render


def _attributes(element: etree._Element, tag: str) -> Fragment:
    """The opening tag without its final ``>``: a string, or a renderer if dynamic."""
    static: dict[str, str] = {}
    dynamic: list[tuple[str | None, Evaluator]] = []
    for key, value in element.attrib.items():
        name = _qualified(element, key)
        if name == "t-att":
            dynamic.append((None, _expression(name, value)))
        elif name.startswith("t-att-"):
            dynamic.append((name[6:], _expression(name, value)))
        elif name.startswith("t-attf-"):
            dynamic.append((name[7:], _format(name, value)))
        elif not name.startswith("t-"):
            static[name] = value
    if not dynamic:
        return f"<{tag}{_serialize_attributes(static)}"

    def render(values: Values, out: _Output) -> None:
        attributes = dict(static)
        for name, evaluate in dynamic:
            value = evaluate(values)
            for key, item in _attribute_pairs(name, value):
                if item is None or item is False:
                    attributes.pop(key, None)
                else:
                    attributes[key] = key if item is True else item
        out.write(f"<{tag}{_serialize_attributes(attributes)}")

    return render


def _attribute_pairs(name: str | None, value: Any) -> list[tuple[str, Any]]:
    """``(name, value)`` pairs set by one t-att-name (`name` given) or t-att directive."""
    if name is not None:
        return [(name, value)]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        pairs = [tuple(value)]
    else:
        raise Refused(
            f"t-att needs a mapping or a (name, value) pair, not a {type(value).__name__}"
        )
    for key, _ in pairs:
        if not isinstance(key, str) or not _ATTRIBUTE_NAME.match(key):
            raise Refused(f"t-att: {key!r} is not a valid attribute name")
    return pairs


def _serialize_attributes(attributes: Mapping[str, Any]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in attributes.items())


def _format(directive: str, text: str) -> Evaluator:
    """An evaluator for a t-attf value: literal text with {{expr}} and #{expr} parts."""
    parts: list[str | Evaluator] = []
    position = 0
    for match in _FORMAT_PLACEHOLDER.finditer(text):
        parts.append(text[position : match.start()])
        parts.append(_expression(directive, (match.group(1) or match.group(2)).strip()))
        position = match.end()
    parts.append(text[position:])

    def evaluate(values: Values) -> str:
        chunks = []
        for part in parts:
            if isinstance(part, str):
                chunks.append(part)
            else:
                value = part(values)
                chunks.append("" if value is None or value is False else str(value))
        return "".join(chunks)

    return evaluate
