"""Build the RFC 5322 / MIME bytes of an outgoing message.

:func:`build_body` writes the MIME body once per mail, :func:`build_message` puts the headers
of one copy in front of it; CRLF line ends throughout:

- ``multipart/alternative`` with a ``text/plain`` and a ``text/html`` part (or a single
  ``text/plain`` part when there is no HTML), inside ``multipart/mixed`` when there are
  attachments; text parts are UTF-8, sent as they are when plain ASCII in short lines and
  in quoted-printable otherwise, attachments base64, so the message is 7-bit clean and
  needs no 8BITMIME;
- ``Date``, ``From``, ``Reply-To``, ``To``, ``Cc``, ``Subject``, ``Message-Id``,
  ``MIME-Version``, then the extra headers (threading, list and tracking headers…).

Header injection is impossible by construction: addresses arrive as checked
:class:`~.addresses.Address` objects, the subject is folded onto one logical line (CR/LF
become spaces), non-ASCII text is RFC 2047-encoded, and extra headers are refused
(:class:`HeaderError`) when their name is not a plain field name, when their value holds a
line break, or when they would replace a header the message sets itself.

It is written here rather than with :class:`email.message.EmailMessage` because that is
about twenty times slower, and the queue builds every message it sends; the tests parse
what comes out with the standard library to check it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import encode_rfc2231, format_datetime

from .addresses import Address, single_line

__all__ = ["Attachment", "HeaderError", "build_body", "build_message", "check_extra_headers",
           "check_message_id"]

CRLF = "\r\n"
#: headers the message writes itself; extra headers may not set them
RESERVED_HEADERS = frozenset({
    "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "date", "message-id",
    "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
    "return-path",
})
_FIELD_NAME = re.compile(r"[!-9;-~]{1,76}")
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_MIMETYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_MAX_LINE = 78
_FOLD = re.compile(r"\r\n[ \t]")
_MAX_WORD = 900  # longer unbroken ASCII runs are RFC 2047-encoded, which can be split
_FILENAME_MAX = 120
_MAX_7BIT_LINE = 998  # the longest line a 7bit part may have (RFC 5322)


class HeaderError(ValueError):
    """An extra header (or message id) that cannot go into a message as given."""


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name, its bytes and its MIME type."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


def check_message_id(value: str) -> str:
    """``value`` if it is a single ``<left@right>`` message id, else HeaderError."""
    if not isinstance(value, str) or not _MESSAGE_ID.fullmatch(value.strip()):
        raise HeaderError(f"{value!r} is not a message id such as <id@example.com>")
    return value.strip()


def check_extra_headers(headers: Mapping[str, object] | None) -> dict[str, str]:
    """The extra headers as ``{name: value}`` strings, or HeaderError saying what is wrong."""
    if not headers:
        return {}
    if not isinstance(headers, Mapping):
        raise HeaderError(f"Extra headers must be a mapping of names to values, not {headers!r}")
    checked: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in headers.items():
        if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name):
            raise HeaderError(f"{name!r} is not a valid header name (printable ASCII without "
                              "spaces or ':')")
        if name.lower() in RESERVED_HEADERS:
            raise HeaderError(f"Header {name!r} is set by the message itself; it cannot be "
                              "given as an extra header")
        if name.lower() in seen:
            raise HeaderError(f"Header {name!r} is given twice")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise HeaderError(f"Header {name!r}: the value must be text, not {value!r}")
        value = str(value)
        if "\r" in value or "\n" in value or "\x00" in value:
            raise HeaderError(f"Header {name!r}: the value may not contain line breaks")
        seen.add(name.lower())
        checked[name] = value
    return checked


# ----------------------------------------------------------------------------------------
# headers
# ----------------------------------------------------------------------------------------
def _fold_items(name: str, items: Sequence[str], separator: str) -> str:
    """``Name: a<sep>b...``, folded before an item that would make its line too long."""
    tokens = [item + separator.rstrip() for item in items[:-1]] + list(items[-1:])
    lines, line = [], f"{name}:"
    for token in tokens:
        if len(line) + 1 + len(token) > _MAX_LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return CRLF.join(lines)


def _unstructured(name: str, value: str) -> str:
    """An unstructured header (subject, extra header): folded, RFC 2047-encoded if needed."""
    value = single_line(value)
    words = value.split(" ")
    if value.isascii() and max(map(len, words)) <= _MAX_WORD:
        if not value:
            return f"{name}:"
        return _fold_items(name, words, " ")
    encoded = Header(value, "utf-8", header_name=name, maxlinelen=76).encode(linesep=CRLF)
    return f"{name}: {encoded}"


def _address_header(name: str, addresses: Sequence[Address]) -> str:
    return _fold_items(name, [address.header() for address in addresses], ", ")


def _check_line_breaks(header: str) -> str:
    """``header`` if its only line breaks are folds (CRLF and a space), else HeaderError."""
    unfolded = _FOLD.sub("", header)
    if "\r" in unfolded or "\n" in unfolded or "\x00" in unfolded:
        raise HeaderError(f"Refusing a header with a bare line break: {header[:60]!r}")
    return header


# ----------------------------------------------------------------------------------------
# bodies
# ----------------------------------------------------------------------------------------
def _text_part(subtype: str, text: str) -> bytes:
    """A UTF-8 text part: as it is when it is plain ASCII in short lines, else quoted-printable."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (text.isascii() and "\x00" not in text
            and max(map(len, text.split("\n"))) <= _MAX_7BIT_LINE):
        encoding, data = "7bit", text.replace("\n", CRLF).encode("ascii")
    else:
        encoding = "quoted-printable"
        data = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True).replace(
            b"\n", b"\r\n")
    return (f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}").encode() + data


def _filename_params(filename: str) -> tuple[str, str]:
    """``name`` and ``filename`` parameters for an attachment (RFC 2231 when not ASCII)."""
    filename = single_line(filename).replace('"', "'").replace("\\", "_")[:_FILENAME_MAX] \
        or "attachment"
    if filename.isascii():
        return f'name="{filename}"', f'filename="{filename}"'
    encoded = encode_rfc2231(filename, "utf-8")
    return f"name*={encoded}", f"filename*={encoded}"


def _attachment_part(attachment: Attachment) -> bytes:
    mimetype = (attachment.mimetype or "").strip().lower()
    if not _MIMETYPE.fullmatch(mimetype):
        mimetype = "application/octet-stream"
    name, filename = _filename_params(attachment.filename)
    head = (f"Content-Type: {mimetype};{CRLF} {name}{CRLF}"
            f"Content-Transfer-Encoding: base64{CRLF}"
            f"Content-Disposition: attachment;{CRLF} {filename}{CRLF}{CRLF}")
    return head.encode() + base64.encodebytes(attachment.content).replace(b"\n", b"\r\n")


def _multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    boundary = f"=_{secrets.token_hex(12)}"
    head = (f'Content-Type: multipart/{subtype};{CRLF} boundary="{boundary}"{CRLF}{CRLF}'
            f"This is a multi-part message in MIME format.{CRLF}").encode()
    delimiter = f"{CRLF}--{boundary}{CRLF}".encode()
    end = f"{CRLF}--{boundary}--{CRLF}".encode()
    return head + b"".join(delimiter + part for part in parts) + end


# ----------------------------------------------------------------------------------------
# the message
# ----------------------------------------------------------------------------------------
def build_body(text: str, html: str | None = None,
               attachments: Sequence[Attachment] = ()) -> bytes:
    """The MIME body, with its own ``Content-*`` headers: the same for every copy of a mail."""
    body = _text_part("plain", text)
    if html is not None:
        body = _multipart("alternative", [body, _text_part("html", html)])
    if attachments:
        body = _multipart("mixed", [body, *map(_attachment_part, attachments)])
    return body


def build_message(*, sender: Address, to: Sequence[Address], subject: str, message_id: str,
                  body: bytes, cc: Sequence[Address] = (), reply_to: Sequence[Address] = (),
                  date: datetime.datetime | None = None,
                  headers: Mapping[str, object] | None = None) -> bytes:
    """The message as bytes ready for SMTP ``DATA`` (CRLF line ends, 7-bit bodies).

    ``body`` comes from :func:`build_body`. ``headers`` are extra headers (``References``,
    ``List-Unsubscribe``…), checked by :func:`check_extra_headers`. A header whose address
    has a non-ASCII local part is written in UTF-8 (RFC 6532): send such a message with
    ``SMTPUTF8``.
    """
    extra = check_extra_headers(headers)
    date = date or datetime.datetime.now(datetime.UTC)
    lines = [f"Date: {format_datetime(date if date.tzinfo else date.replace(tzinfo=datetime.UTC))}",
             _address_header("From", [sender])]
    if reply_to:
        lines.append(_address_header("Reply-To", reply_to))
    if to:
        lines.append(_address_header("To", to))
    if cc:
        lines.append(_address_header("Cc", cc))
    lines += [_unstructured("Subject", subject or ""),
              f"Message-Id: {check_message_id(message_id)}", "MIME-Version: 1.0"]
    lines += [_unstructured(name, value) for name, value in extra.items()]
    head = CRLF.join(_check_line_breaks(line) for line in lines) + CRLF
    return head.encode("utf-8") + body
