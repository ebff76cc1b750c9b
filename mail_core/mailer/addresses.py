"""Email addresses: parsing, validation, and safe rendering for headers and the envelope.

Everything that reaches a header or an SMTP command goes through :class:`Address`, which
holds a display name and an address already checked:

- the address is ``local@domain`` with a dot-atom local part (UTF-8 allowed, RFC 6531) and a
  domain that encodes to IDNA (or an address literal such as ``[192.0.2.1]``), within the
  RFC 5321 lengths;
- the name never holds CR or LF (they are folded into spaces), and :meth:`Address.header`
  quotes or RFC 2047-encodes it, so no name or address can smuggle a header in.

:func:`iter_addresses` reads a header-like list (``"Ann" <ann@x.org>, bob@y.org``) entry by
entry; :func:`parse_addresses` is its strict form (the first bad entry raises
:class:`InvalidAddress`, naming it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formataddr, getaddresses

__all__ = ["Address", "InvalidAddress", "iter_addresses", "parse_address", "parse_addresses",
           "single_line"]

# RFC 5322 atext, plus any non-ASCII character (RFC 6531 allows UTF-8 local parts).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010FFFF]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_LITERAL = re.compile(r"\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]")
_LINE_BREAKS = re.compile(r"[\r\n\x00]+")
# A list entry simple enough to read without the RFC 5322 parser: "local@domain" or
# "Name <local@domain>", free of quotes, comments, groups, escapes and literals.
_SIMPLE_ENTRY = re.compile(r'\s*(?:([^"()<>@,;:\\\[\]]*?)\s*<([^"()<>,;:\\\[\]\s]*)>'
                           r'|([^"()<>,;:\\\[\]\s]*))\s*')
_SPACES = re.compile(r"\s+")


class InvalidAddress(ValueError):
    """A string that is not a usable email address; the message says which and why."""

    def __init__(self, message: str, entry: str = ""):
        super().__init__(message)
        self.entry = entry  # the text that was refused


def single_line(text: str) -> str:
    """``text`` on one line: CR, LF and NUL become spaces, runs of spaces one space."""
    return _SPACES.sub(" ", _LINE_BREAKS.sub(" ", text)).strip()


@dataclass(frozen=True)
class Address:
    """A checked mailbox: ``name`` (may be empty), ``local`` part and ASCII ``domain``."""

    name: str
    local: str
    domain: str

    @property
    def email(self) -> str:
        """``local@domain``, the domain in its ASCII (IDNA) form."""
        return f"{self.local}@{self.domain}"

    @property
    def key(self) -> str:
        """What identifies the mailbox when removing duplicates."""
        return self.email.lower()

    @property
    def needs_smtputf8(self) -> bool:
        """Whether the local part is non-ASCII (the server must offer SMTPUTF8)."""
        return not self.local.isascii()

    def header(self) -> str:
        """The mailbox as a header value: ``"Name" <local@domain>``, name quoted or encoded."""
        if not self.name:
            return self.email
        if self.needs_smtputf8:  # an RFC 6532 header: UTF-8 throughout, name quoted
            quoted = self.name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{quoted}" <{self.email}>'
        return formataddr((self.name, self.email), charset="utf-8")

    def with_name(self, name: str) -> Address:
        return Address(single_line(name), self.local, self.domain)


def _idna_domain(domain: str, original: str) -> str:
    """The ASCII form of ``domain``, or InvalidAddress."""
    if _LITERAL.fullmatch(domain):
        return domain
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise InvalidAddress(f"{original!r}: the domain {domain!r} is not a valid name",
                             original) from None
    labels = ascii_domain.rstrip(".").split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidAddress(f"{original!r}: the domain {domain!r} is not a valid name", original)
    return ascii_domain.rstrip(".").lower()


@functools.lru_cache(maxsize=4096)
def parse_address(email: str, name: str = "") -> Address:
    """Check the bare address ``email`` (``local@domain``) and pair it with ``name``."""
    original = email
    email = email.strip()
    if not email:
        raise InvalidAddress("empty address", original)
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(f"{original!r} is not an email address (local@domain)", original)
    if len(local.encode()) > 64 or not _LOCAL_PART.fullmatch(local):
        raise InvalidAddress(f"{original!r}: the part before '@' is not valid", original)
    address = Address(single_line(name), local, _idna_domain(domain, original))
    if len(address.email.encode()) > 254:
        raise InvalidAddress(f"{original!r} is longer than 254 characters", original)
    return address


@functools.lru_cache(maxsize=4096)
def _split(text: str) -> tuple[tuple[str, str], ...]:
    """``(name, address)`` pairs of a list (a queue parses the same lists again and again)."""
    # line breaks separate entries; they never survive into a name or an address
    text = _LINE_BREAKS.sub(",", text)
    pairs = []
    for entry in text.split(","):  # the common case, ten times faster than getaddresses
        match = _SIMPLE_ENTRY.fullmatch(entry)
        if match is None:
            return tuple(getaddresses([text]))
        name, bracketed, bare = match.groups()
        pairs.append(("", bare) if bracketed is None else (name, bracketed))
    return tuple(pairs)


def iter_addresses(text: str | None) -> Iterator[Address | InvalidAddress]:
    """Each entry of ``text`` (comma- or line-separated, names optional), checked.

    An entry is an :class:`Address`, or the :class:`InvalidAddress` saying what is wrong with
    it, so that one bad entry does not hide the others. Duplicates (same address, whatever
    the case) come once.
    """
    if not text or not text.strip():
        return
    seen: set[str] = set()
    for name, email in _split(text):
        if not email and not name:
            continue
        if not email or "@" not in email:
            yield InvalidAddress(f"{(name or email)!r} is not an email address", name or email)
            continue
        try:
            address = parse_address(email, name)
        except InvalidAddress as exc:
            yield exc
            continue
        if address.key not in seen:
            seen.add(address.key)
            yield address


def parse_addresses(text: str | None) -> list[Address]:
    """The addresses listed in ``text``; the first invalid entry raises InvalidAddress."""
    addresses = []
    for entry in iter_addresses(text):
        if isinstance(entry, InvalidAddress):
            raise entry
        addresses.append(entry)
    return addresses
