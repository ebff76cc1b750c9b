"""HTML that comes from outside, and its plain-text twin.

* :func:`sanitize_html` cleans foreign HTML (incoming mail, pasted content) with nh3, an
  allowlist sanitizer: only the tags and attributes listed here survive; ``<script>``,
  ``<style>`` and ``<title>`` go with their content; ``style`` attributes keep only the
  CSS properties in :data:`STYLE_PROPERTIES`; ``href``/``src`` keep only ``http``,
  ``https``, ``mailto`` and ``cid`` URLs (``cid:`` points at a mail's own attachments),
  relative URLs are dropped; links get ``rel="noopener noreferrer"``. QWeb ``t-*``
  attributes are not on the list, so sanitized content can never become a template.
  Sanitize what arrives, then apply our own rewrites (pointing ``cid:`` images at the
  stored attachments, tracking links) to the clean result: the sanitizer would drop the
  relative URLs those rewrites produce.
* :func:`html_to_text` builds the ``text/plain`` alternative of a mail with lxml:
  paragraphs and line breaks, ``* `` bullets, ``> `` quotes, links as ``text [url]``.
* :func:`plaintext_to_html` turns typed text into safe HTML paragraphs.
"""

from __future__ import annotations

import re

import nh3
from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

#: Tags kept by :func:`sanitize_html`.
TAGS = frozenset({
    "a", "abbr", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption",
    "center", "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt",
    "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "section", "small", "span", "strike", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
})  # fmt: skip

#: Attributes kept by :func:`sanitize_html`, per tag ("*": on every tag).
ATTRIBUTES = {
    "*": {
        "align",
        "bgcolor",
        "border",
        "class",
        "dir",
        "height",
        "lang",
        "style",
        "title",
        "valign",
        "width",
    },
    "a": {"href", "name", "target"},
    "blockquote": {"cite"},
    "col": {"span"},
    "colgroup": {"span"},
    "del": {"cite", "datetime"},
    "font": {"color", "face", "size"},
    "img": {"alt", "src"},
    "ins": {"cite", "datetime"},
    "li": {"value"},
    "ol": {"reversed", "start", "type"},
    "q": {"cite"},
    "table": {"cellpadding", "cellspacing"},
    "td": {"colspan", "nowrap", "rowspan"},
    "th": {"colspan", "nowrap", "rowspan", "scope"},
}

#: CSS properties kept in ``style`` attributes: layout and typography, nothing that can
#: load a URL (``background``, ``list-style-image``) or escape its box (``position``).
STYLE_PROPERTIES = frozenset({
    "background-color", "border", "border-bottom", "border-collapse", "border-color",
    "border-left", "border-radius", "border-right", "border-spacing", "border-style",
    "border-top", "border-width", "color", "direction", "display", "float", "font",
    "font-family", "font-size", "font-style", "font-weight", "height", "letter-spacing",
    "line-height", "list-style-type", "margin", "margin-bottom", "margin-left",
    "margin-right", "margin-top", "max-width", "min-width", "padding", "padding-bottom",
    "padding-left", "padding-right", "padding-top", "table-layout", "text-align",
    "text-decoration", "text-indent", "text-transform", "vertical-align", "white-space",
    "width", "word-break",
})  # fmt: skip

URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})
_DROPPED_WITH_CONTENT = {"script", "style", "title", "template", "noscript"}

_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    filter_style_properties=set(STYLE_PROPERTIES),
    link_rel="noopener noreferrer",
)
# Strict: text formatting and structure only: no images (remote images are tracking
# pixels), no styles or classes that could imitate the surrounding interface.
_STRICT_CLEANER = nh3.Cleaner(
    tags=set(TAGS - {"img"}),
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes={
        tag: names - {"style", "class"} for tag, names in ATTRIBUTES.items() if tag != "img"
    },
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    link_rel="noopener noreferrer",
)


def sanitize_html(html: str | None, *, strict: bool = False) -> Markup:
    """Keep only mail-safe tags, attributes, styles and URLs of foreign `html`.

    ``strict=True`` also drops images, ``style`` and ``class``: for content shown inside
    the application's own pages rather than as a mail.
    """
    if not html:
        return Markup("")
    return Markup((_STRICT_CLEANER if strict else _CLEANER).clean(html))


# --- HTML to text ---------------------------------------------------------------------

_SKIPPED = frozenset({"head", *_DROPPED_WITH_CONTENT})
_PARAGRAPHS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "address",
    "figure",
})  # fmt: skip
_LINES = frozenset({
    "div", "tr", "dt", "dd", "section", "article", "header", "footer", "caption",
    "figcaption", "center", "form", "fieldset", "tbody", "thead", "tfoot",
})  # fmt: skip
_CELLS = frozenset({"td", "th"})
_LINKED_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


class _TextWriter:
    """Plain text built with HTML's whitespace rules; blocks ask for line breaks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.breaks = 0  # line breaks owed before the next text
        self.space = False  # a space owed before the next text

    def text(self, text: str) -> None:
        """Write flowing text: whitespace runs become one space."""
        if not text:
            return
        if text[0].isspace():
            self.space = True
        words = " ".join(text.split())
        if words:
            self.literal(words)
            self.space = text[-1].isspace()

    def literal(self, text: str) -> None:
        """Write `text` as is (preformatted)."""
        if self.parts and self.breaks:
            self.parts.append("\n" * self.breaks)
        elif self.parts and self.space:
            self.parts.append(" ")
        self.parts.append(text)
        self.breaks, self.space = 0, False

    def block(self, breaks: int) -> None:
        """End the current line (1) or paragraph (2)."""
        if self.parts:
            self.breaks = max(self.breaks, breaks)
        self.space = False

    def line_break(self) -> None:
        """A ``<br>``: each one adds a line break."""
        if self.parts:
            self.breaks += 1
        self.space = False

    def result(self) -> str:
        """The text written, without trailing spaces or surrounding blank lines."""
        lines = "".join(self.parts).split("\n")
        return "\n".join(line.rstrip() for line in lines).strip("\n")


def _prefixed(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join([first + lines[0], *((rest + line).rstrip() for line in lines[1:])])


def _bullet(item: etree._Element) -> str:
    """``* `` for an unordered list item, ``3. `` for the third item of an ``<ol>``."""
    parent = item.getparent()
    if parent is None or parent.tag != "ol":
        return "* "
    return f"{sum(1 for s in item.itersiblings(preceding=True) if s.tag == 'li') + 1}. "


def _link_target(element: etree._Element, text: str) -> str | None:
    """The URL to show after a link's text, if it adds anything."""
    href = (element.get("href") or "").strip()
    if not href.lower().startswith(_LINKED_SCHEMES) or href in (text, f"mailto:{text}"):
        return None
    return href


def _write_children(element: etree._Element, out: _TextWriter) -> None:
    if element.text:
        out.text(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _write_element(child, out)
        if child.tail:
            out.text(child.tail)


def _subtext(element: etree._Element) -> str:
    sub = _TextWriter()
    _write_children(element, sub)
    return sub.result()


def _write_element(element: etree._Element, out: _TextWriter) -> None:
    tag = element.tag.lower()
    if tag in _SKIPPED:
        return
    if tag == "br":
        out.line_break()
    elif tag == "hr":
        out.block(2)
        out.literal("-" * 20)
        out.block(2)
    elif tag == "img":
        out.text(element.get("alt") or "")
    elif tag == "pre":
        out.block(2)
        out.literal(element.text_content().strip("\n"))
        out.block(2)
    elif tag == "li":
        bullet = _bullet(element)
        out.block(1)
        out.literal(_prefixed(_subtext(element), bullet, " " * len(bullet)))
        out.block(1)
    elif tag == "blockquote":
        out.block(2)
        out.literal(_prefixed(_subtext(element), "> ", "> "))
        out.block(2)
    elif tag == "a":
        text = _subtext(element)
        target = _link_target(element, text)
        out.text(f"{text} [{target}]" if text and target else text or target or "")
    elif tag in _PARAGRAPHS or tag in _LINES:
        nested_list = tag in ("ul", "ol") and next(element.iterancestors("li"), None) is not None
        breaks = 2 if tag in _PARAGRAPHS and not nested_list else 1
        out.block(breaks)
        _write_children(element, out)
        out.block(breaks)
    elif tag in _CELLS:
        out.space = True
        _write_children(element, out)
        out.space = True
    else:
        _write_children(element, out)


def html_to_text(html: str | None) -> str:
    """A readable plain-text version of `html`, for the ``text/plain`` part of a mail."""
    if not html or not html.strip():
        return ""
    try:
        document = lxml_html.document_fromstring(html)
    except etree.ParserError:  # only comments or whitespace
        return ""
    out = _TextWriter()
    _write_element(document, out)
    return re.sub(r"\n{3,}", "\n\n", out.result())


def plaintext_to_html(text: str | None) -> Markup:
    """Escape `text` into ``<p>`` paragraphs (split on blank lines) with ``<br>`` for
    single line breaks. URLs are not turned into links."""
    if not text:
        return Markup("")
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip("\n"))
    return Markup("").join(
        Markup("<p>%s</p>") % Markup("<br>").join(paragraph.split("\n"))
        for paragraph in paragraphs
        if paragraph.strip()
    )
