"""The IMAP client of the gateway (RFC 3501), on the standard library's :mod:`imaplib`.

Messages are found by UID, never by ``UNSEEN`` alone: another client reading the
mailbox does not hide mail from Postroom. A session plans (:meth:`IMAPMailbox.plan`):

- on the first fetch of a folder (or after its UIDVALIDITY changed), the unseen
  messages, and the last UID already there becomes the *baseline*: older mail that
  was read before Postroom came is left alone;
- afterwards, every message above the highest handled UID (seen or not), plus any
  unseen message not handled yet.

Messages are read with ``BODY.PEEK[]``, which leaves ``\\Seen`` unset; the caller sets
it (:meth:`IMAPMailbox.acknowledge`) once the message's transaction committed. Folder
names are sent quoted, in modified UTF-7 (RFC 3501 §5.1.3).
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
from collections.abc import Collection
from typing import Any, Self

from .mailbox import FetchFailure, MailboxConfig, Plan
from .session import Connecting, MailboxSession, end_quietly, error_text

__all__ = ["IMAPMailbox", "decode_folder", "encode_folder"]

#: at most this many folder names are listed when the configured one does not exist
LISTED_FOLDERS = 30
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.+)$')
_ASCII_RUN = re.compile(r"[\x20-\x25\x27-\x7e]+|&|[^\x20-\x7e]+")


def encode_folder(name: str) -> str:
    """``name`` in IMAP's modified UTF-7, quoted for a command."""
    parts = []
    for run in _ASCII_RUN.findall(name):
        if run == "&":
            parts.append("&-")
        elif run.isascii():
            parts.append(run)
        else:
            encoded = base64.b64encode(run.encode("utf-16-be")).decode("ascii")
            parts.append(f"&{encoded.rstrip('=').replace('/', ',')}-")
    quoted = "".join(parts).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}"'


def decode_folder(name: str) -> str:
    """A folder name as the server lists it (modified UTF-7, maybe quoted), as text."""
    name = name.strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")

    def decode(match: re.Match[str]) -> str:
        encoded = match.group(1).replace(",", "/")
        if not encoded:
            return "&"
        try:
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeError):
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", decode, name)


class _Client(Connecting, imaplib.IMAP4):
    pass


class _TLSClient(Connecting, imaplib.IMAP4_SSL):
    pass


def _text(data: Any) -> str:
    """An imaplib response item as text."""
    if isinstance(data, (list, tuple)):
        data = b" ".join(item if isinstance(item, bytes) else str(item).encode()
                         for item in data if item is not None)
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return " ".join(str(data).split())


class IMAPMailbox(MailboxSession[imaplib.IMAP4]):
    """A logged-in IMAP session with its folder selected; see the module docstring."""

    client_class, tls_client_class = _Client, _TLSClient
    context_keyword = "ssl_context"
    protocol_error = imaplib.IMAP4.error
    starttls_capability = "STARTTLS"
    entry_step = "folder"

    def __init__(self, config: MailboxConfig, client: imaplib.IMAP4, uidvalidity: str,
                 uidnext: int):
        super().__init__(config, client)
        self.scope = f"{config.folder}/{uidvalidity}"
        self.uidnext = uidnext

    @staticmethod
    def _greeting_fault(exc: Exception) -> tuple[bool, str]:
        # a greeting that is not IMAP's, or none at all (a TLS port, a hang-up)
        spoke = isinstance(exc, imaplib.IMAP4.error) and not isinstance(exc, imaplib.IMAP4.abort)
        return spoke, error_text(exc) or ("not an IMAP greeting" if spoke else "no greeting")

    @staticmethod
    def _capabilities(client: imaplib.IMAP4) -> Collection[str]:
        return client.capabilities

    @staticmethod
    def _starttls(client: imaplib.IMAP4, context: ssl.SSLContext | None) -> None:
        client.starttls(ssl_context=context)

    @staticmethod
    def _login(client: imaplib.IMAP4, config: MailboxConfig) -> None:
        if "LOGINDISABLED" in client.capabilities:
            raise FetchFailure("login", "login_disabled", "LOGINDISABLED")
        try:
            if (config.user + config.password).isascii():
                client.login(config.user, config.password)
            else:  # LOGIN is ASCII only; SASL PLAIN carries UTF-8
                credentials = f"\0{config.user}\0{config.password}".encode()
                client.authenticate("PLAIN", lambda _challenge: credentials)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise FetchFailure("login", "auth_failed", error_text(exc)) from exc

    @classmethod
    def _enter(cls, client: imaplib.IMAP4, config: MailboxConfig) -> Self:
        """Select the folder; the session knows its UIDVALIDITY and UIDNEXT."""
        folder = encode_folder(config.folder)
        status, data = client.select(folder)
        if status != "OK":
            raise FetchFailure("folder", "no_folder", _text(data), folders=_folders(client))
        uidvalidity = _text(client.response("UIDVALIDITY")[1])
        uidnext = _text(client.response("UIDNEXT")[1])
        if not uidnext.isdigit():  # optional in RFC 3501's SELECT response
            status, data = client.status(folder, "(UIDNEXT)")
            found = re.search(r"UIDNEXT (\d+)", _text(data))
            uidnext = found.group(1) if found else "1"
        return cls(config, client, uidvalidity, int(uidnext))

    @staticmethod
    def _end(client: imaplib.IMAP4) -> None:
        end_quietly(client.logout, client.shutdown)

    # ------------------------------------------------------------------
    # the Mailbox protocol
    # ------------------------------------------------------------------
    def plan(self, handled: set[str], baseline: str | None) -> Plan:
        unseen = self._search("UNSEEN")
        if baseline is None:
            return Plan(keys=sorted(unseen - handled, key=int), baseline=str(self.uidnext - 1))
        last = max(map(int, handled | {baseline}))
        newer = {uid for uid in self._search(f"UID {last + 1}:*") if int(uid) > last}
        top = str(max(map(int, handled))) if handled else None
        return Plan(keys=sorted((unseen | newer) - handled, key=int),
                    unacknowledged=sorted(handled & unseen, key=int),
                    stale=[uid for uid in handled if uid not in unseen and uid != top])

    def _search(self, criteria: str) -> set[str]:
        return set(_text(self._uid("list", "SEARCH", criteria)).split())

    def fetch(self, key: str) -> bytes | None:
        for item in self._uid("fetch", "FETCH", key, "(BODY.PEEK[])"):
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def acknowledge(self, key: str) -> None:
        self._uid("acknowledge", "STORE", key, "+FLAGS.SILENT", r"(\Seen)")

    def _uid(self, step: str, command: str, *args: str) -> list[Any]:
        """The data of ``UID command args``; a failure is a FetchFailure at ``step``."""
        with self.failing_at(step):
            status, data = self.client.uid(command, *args)
        if status != "OK":
            raise FetchFailure(step, "protocol", _text(data))
        return data


def _folders(client: imaplib.IMAP4) -> list[str]:
    """The folder names the server lists (for a "folder not found" message)."""
    try:
        status, data = client.list()
    except (imaplib.IMAP4.error, OSError):
        return []
    names = []
    for line in data if status == "OK" else []:
        match = _LIST_LINE.match(line) if isinstance(line, bytes) else None
        if match and b"\\Noselect" not in match.group("flags"):
            names.append(decode_folder(match.group("name").decode("utf-8", "replace")))
    return sorted(names)[:LISTED_FOLDERS]
