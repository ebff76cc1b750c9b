"""One parse of an incoming message: headers decoded, body as safe HTML, files kept.

:func:`read_message` parses the bytes with the standard library's lenient parser (the
``compat32`` policy, which records defects instead of raising), keeping header values
as they came so that :mod:`.charsets` decodes them once, properly. :func:`parse_mail`
then reads what the gateway needs into an :class:`IncomingMail`:

- the headers that route and thread a message (Message-Id, In-Reply-To, References),
  the addresses, the subject and date, RFC 3834 auto-reply markers;
- the body: the richest alternative of each ``multipart/alternative`` (HTML rather than
  text), the root of each ``multipart/related``, every inline text part of a
  ``multipart/mixed`` in order. HTML is sanitized with nh3; plain text becomes escaped
  paragraphs (``format=flowed`` unwrapped);
- the files: attachments, inline images (with their Content-ID, for ``cid:`` links),
  non-text parts, and embedded messages (``message/rfc822``) as ``.eml`` files, never
  parsed into the body.

Nothing here raises on bad input: a part that cannot be read becomes a file of its raw
bytes, a header that cannot be decoded keeps its raw text, a missing or broken date is
the time of arrival, and a ``multipart`` whose boundary never appears is shown as text.
"""

from __future__ import annotations

import datetime
import email
import email.utils
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Compat32
from typing import NamedTuple, cast

from markupsafe import Markup

from postroom.render import sanitize_html

from .body import content_id, text_to_html
from .charsets import decode_header, decode_text

__all__ = ["IncomingAttachment", "IncomingMail", "message_ids", "parse_mail", "read_message"]

_logger = logging.getLogger(__name__)

#: the longest subject kept (RFC 5322's line length): it often names the record created
MAX_SUBJECT = 998
#: the longest value kept of any other header
MAX_HEADER = 10_000
#: how many Message-Ids of References are kept (the latest ones; routing uses them)
MAX_REFERENCES = 64
#: deeper MIME nesting than this is kept as one file rather than walked
MAX_DEPTH = 32

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_FILENAME_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_MIMETYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
_ADDRESS_HEADERS = ("Delivered-To", "To", "Cc", "Resent-To", "Resent-Cc")


class _RawHeaders(Compat32):
    """``compat32`` that hands header values over exactly as parsed (8-bit bytes as
    surrogate escapes), instead of wrapping some of them in ``email.header.Header``."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


POLICY = _RawHeaders()


class IncomingAttachment(NamedTuple):
    """A file of an incoming message; ``cid`` is its Content-ID, for inline images."""

    name: str
    content: bytes
    mimetype: str
    cid: str | None = None


@dataclass
class IncomingMail:
    """What an incoming message says, decoded. ``references`` holds the Message-Ids it
    answers, oldest first, ``in_reply_to`` last; ``auto_submitted`` is set on automatic
    mail (RFC 3834 ``Auto-Submitted``, or a legacy auto-reply marker)."""

    message_id: str | None
    subject: str
    email_from: str
    reply_to: str
    to: str
    cc: str
    recipients: str
    date: datetime.datetime
    in_reply_to: str
    references: list[str]
    auto_submitted: str | None
    body: Markup = field(default_factory=Markup)
    attachments: list[IncomingAttachment] = field(default_factory=list)


def read_message(raw: bytes | str) -> Message:
    """Parse ``raw`` (bytes, or text already decoded) without raising on malformed input."""
    if isinstance(raw, str):
        return email.message_from_string(raw, policy=POLICY)
    return email.message_from_bytes(raw, policy=POLICY)


def message_ids(text: str | None) -> list[str]:
    """The ``<…>`` Message-Ids found in a header value, in order."""
    return _MESSAGE_ID.findall(text or "")


def parse_mail(message: Message) -> IncomingMail:
    """Everything the gateway reads from ``message``; see the module docstring."""
    references = message_ids(_header(message, "References"))
    in_reply_to = message_ids(_header(message, "In-Reply-To"))[:1]
    references = [ref for ref in references if ref not in in_reply_to] + in_reply_to
    parsed = IncomingMail(
        message_id=_message_id(_header(message, "Message-Id")),
        subject=_header(message, "Subject")[:MAX_SUBJECT],
        email_from=_header(message, "From") or _header(message, "Sender")
        or _header(message, "Return-Path"),
        reply_to=_header(message, "Reply-To"),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        recipients=_addresses(message, *_ADDRESS_HEADERS),
        date=_date(_header(message, "Date")),
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=references[-MAX_REFERENCES:],
        auto_submitted=_auto_submitted(message),
    )
    collector = _Collector()
    collector.walk(message, as_body=True, depth=0)
    parsed.body = Markup("\n").join(collector.body)
    parsed.attachments = collector.files
    return parsed


# ----------------------------------------------------------------------------------------
# headers
# ----------------------------------------------------------------------------------------
def _header(message: Message, name: str) -> str:
    return decode_header(message.get(name))[:MAX_HEADER]


def _addresses(message: Message, *names: str) -> str:
    values = [decode_header(value) for name in names for value in message.get_all(name, [])]
    return ", ".join(value for value in values if value)[:MAX_HEADER]


def _message_id(value: str) -> str | None:
    """The Message-Id, ``<…>`` added to a bare token; None when there is none."""
    found = _MESSAGE_ID.search(value)
    if found:
        return found.group(0)[:MAX_SUBJECT]
    token = "".join(value.split()).strip("<>")
    return f"<{token[:MAX_SUBJECT]}>" if token else None


def _date(value: str) -> datetime.datetime:
    """The Date header as naive UTC; now when it is missing, broken or absurd."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return now
    if date.tzinfo is not None:
        date = date.astimezone(datetime.UTC).replace(tzinfo=None)
    if not datetime.datetime(1971, 1, 1) <= date <= now + datetime.timedelta(days=1):
        return now
    return date


def _auto_submitted(message: Message) -> str | None:
    """``auto-replied``, ``auto-generated``… for automatic mail (RFC 3834); else None.

    Auto-responders that predate RFC 3834 mark themselves with ``X-Autoreply``,
    ``X-Autorespond`` or ``Precedence: auto_reply``; delivery reports (``multipart/report``)
    answer a message automatically too.
    """
    value = _header(message, "Auto-Submitted").split(";", 1)[0].strip().lower()
    if value and value != "no":
        return value
    precedence = _header(message, "Precedence").lower()
    if precedence == "auto_reply" or any(message.get(name) for name in _AUTO_REPLY_HEADERS) \
            or message.get_content_type() == "multipart/report":
        return "auto-replied"
    return None


# ----------------------------------------------------------------------------------------
# body and files
# ----------------------------------------------------------------------------------------
class _Collector:
    """Walks the MIME tree, sorting parts into body fragments and files."""

    def __init__(self) -> None:
        self.body: list[Markup] = []
        self.files: list[IncomingAttachment] = []

    def walk(self, part: Message, as_body: bool, depth: int) -> None:
        try:
            self._part(part, as_body, depth)
        except Exception:
            _logger.debug("unreadable MIME part kept as a file", exc_info=True)
            self.files.append(IncomingAttachment(f"part-{len(self.files) + 1}.bin",
                                                 _raw_bytes(part), "application/octet-stream"))

    def _part(self, part: Message, as_body: bool, depth: int) -> None:
        maintype, _, subtype = part.get_content_type().partition("/")
        if depth >= MAX_DEPTH:
            self.files.append(self._file(part, content=_raw_bytes(part)))
        elif maintype == "multipart" and not part.is_multipart():
            # the boundary never appears: what there is, is shown as text
            self.body.append(text_to_html(_text(part)))
        elif maintype == "multipart":
            children = cast(list[Message], part.get_payload())
            if subtype == "alternative":
                self._alternative(children, as_body, depth + 1)
            elif subtype == "related":
                self._related(part, children, as_body, depth + 1)
            else:
                for child in children:
                    self.walk(child, as_body, depth + 1)
        elif maintype == "message" and part.is_multipart():
            self.files.append(self._file(part, content=_attached_message(part)))
        elif as_body and maintype == "text" and subtype in ("plain", "html") \
                and not _is_attachment(part):
            self.body.append(_body_html(part))
        else:
            self.files.append(self._file(part))

    def _alternative(self, children: list[Message], as_body: bool, depth: int) -> None:
        """The richest alternative is the body; the others are dropped, except files
        (an invitation's ``text/calendar``)."""
        if not as_body:
            for child in children:
                self.walk(child, False, depth)
            return
        ranked = [(_richness(child), index) for index, child in enumerate(children)]
        best = max(ranked)[1] if ranked else None
        for index, child in enumerate(children):
            if index == best:
                self.walk(child, True, depth)
            elif _richness(child) == 0:
                self.walk(child, False, depth)

    def _related(self, part: Message, children: list[Message], as_body: bool,
                 depth: int) -> None:
        """The root (``start``, else the first part) is the body; the rest are its
        resources, inline images mostly."""
        start = content_id(email.utils.collapse_rfc2231_value(part.get_param("start") or ""))
        root = next((child for child in children if start
                     and content_id(child.get("Content-ID") or "") == start),
                    children[0] if children else None)
        for child in children:
            self.walk(child, as_body and child is root, depth)

    def _file(self, part: Message, content: bytes | None = None) -> IncomingAttachment:
        mimetype = part.get_content_type()
        if not _MIMETYPE.fullmatch(mimetype):
            mimetype = "application/octet-stream"
        if content is None:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
        name = _filename(part, mimetype, len(self.files) + 1)
        cid = decode_header(part.get("Content-ID"))
        return IncomingAttachment(name, content, mimetype, content_id(cid) if cid else None)


def _richness(part: Message) -> int:
    """How well an alternative shows the message: HTML 2, plain text 1, anything else 0."""
    content_type = part.get_content_type()
    if content_type == "text/html" or content_type.startswith("multipart/"):
        return 2
    return 1 if content_type == "text/plain" else 0


def _is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
    return disposition == "attachment" or bool(part.get_param("filename", header="content-disposition")
                                                or part.get_param("name"))


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return decode_text(payload, part.get_content_charset()) if isinstance(payload, bytes) else ""


def _body_html(part: Message) -> Markup:
    text = _text(part)
    if part.get_content_subtype() == "html":
        return sanitize_html(text)
    flowed = str(part.get_param("format") or "").lower() == "flowed"
    delsp = str(part.get_param("delsp") or "").lower() == "yes"
    return text_to_html(text, flowed=flowed, delsp=delsp)


def _attached_message(part: Message) -> bytes:
    """The bytes of an embedded message (``message/rfc822``) or report block."""
    return b"".join(_raw_bytes(child) for child in cast(list[Message], part.get_payload()))


def _raw_bytes(part: Message) -> bytes:
    """``part`` serialized again, as close to what arrived as the parser allows."""
    try:
        return part.as_bytes(policy=POLICY)
    except Exception:
        return str(part.get_payload()).encode("utf-8", "surrogateescape")


def _filename(part: Message, mimetype: str, number: int) -> str:
    """A safe file name: the part's own (RFC 2231 and 2047 decoded), else made up."""
    name = decode_header(part.get_filename() or "")
    name = _FILENAME_UNSAFE.sub("_", name).strip(" ._")[:200]
    if name:
        return name
    if mimetype == "message/rfc822":
        payload = part.get_payload()
        subject = decode_header(cast(Message, payload[0]).get("Subject")) \
            if isinstance(payload, list) and payload else ""
        subject = _FILENAME_UNSAFE.sub("_", subject).strip(" ._")[:100]
        return f"{subject or 'message'}.eml"
    extension = mimetypes.guess_extension(mimetype) or ".bin"
    return f"attachment-{number}{extension}"
