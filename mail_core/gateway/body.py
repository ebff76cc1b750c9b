"""The body of an incoming message as chatter HTML.

- :func:`text_to_html`: a ``text/plain`` part as safe HTML paragraphs, lines kept;
  ``format=flowed`` text (RFC 3676) is unwrapped first, so that paragraphs reflow
  instead of breaking every 72 characters.
- :func:`replace_cids`: once inline images are stored, point their ``cid:`` URLs
  (RFC 2392) in the sanitized HTML at the stored files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import unescape
from urllib.parse import unquote

from markupsafe import Markup, escape

from postroom.render import plaintext_to_html

__all__ = ["content_id", "replace_cids", "text_to_html", "unflow"]

_SIGNATURE_SEPARATOR = "-- "
_CID_SOURCE = re.compile(r'\bsrc="cid:([^"]*)"', re.IGNORECASE)


def unflow(text: str, delsp: bool = False) -> str:
    """Join the soft line breaks of ``format=flowed`` text with LF line ends (a line ending
    in a space continues on the next line of the same quote depth); ``delsp`` drops that
    space."""
    lines: list[str] = []
    joining, previous_depth = False, 0
    for line in text.split("\n"):
        content = line.lstrip(">")
        depth = len(line) - len(content)
        content = content.removeprefix(" ")  # space-stuffing
        flowed = content.endswith(" ") and content != _SIGNATURE_SEPARATOR
        if flowed and delsp:
            content = content[:-1]
        if joining and depth == previous_depth:
            lines[-1] += content
        else:
            lines.append(f"{'>' * depth} {content}" if depth and content else ">" * depth + content)
        joining, previous_depth = flowed, depth
    return "\n".join(lines)


def text_to_html(text: str, *, flowed: bool = False, delsp: bool = False) -> Markup:
    """Plain text as escaped HTML paragraphs (blank lines) and line breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return plaintext_to_html(unflow(text, delsp) if flowed else text)


def content_id(value: str) -> str:
    """The comparable form of a Content-ID header or of a ``cid:`` URL's address."""
    return unquote(value).strip().strip("<>").strip().lower()


def replace_cids(html: str, urls: Mapping[str, str]) -> Markup:
    """``html`` with ``src="cid:…"`` pointing at ``urls[content_id]`` where one is known."""

    def replace(match: re.Match[str]) -> str:
        url = urls.get(content_id(unescape(match.group(1))))
        return f'src="{escape(url)}"' if url else match.group(0)

    return Markup(_CID_SOURCE.sub(replace, html))
