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
import contextlib
import imaplib
import re
from typing import Any, Self

from ..mailer.smtp import tls_context
from .mailbox import Connecting, FetchFailure, MailboxConfig, Plan, network_failure

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


class IMAPMailbox:
    """A logged-in IMAP session with its folder selected; see the module docstring."""

    def __init__(self, config: MailboxConfig, client: imaplib.IMAP4, uidvalidity: str,
                 uidnext: int):
        self.config = config
        self.client = client
        self.scope = f"{config.folder}/{uidvalidity}"
        self.uidnext = uidnext

    @classmethod
    def open(cls, config: MailboxConfig) -> Self:
        context = tls_context(config.verify) if config.security != "none" else None
        client_class: type[_Client | _TLSClient] = _TLSClient if config.security == "ssl" \
            else _Client
        options: dict[str, Any] = {"ssl_context": context} if config.security == "ssl" else {}
        # made before it connects, so that a failure can tell whether it had connected
        client: _Client | _TLSClient = client_class.__new__(client_class)
        step = "connect"
        try:
            try:
                client.__init__(config.host, config.port,  # type: ignore[misc]
                                timeout=config.timeout, **options)
            except (imaplib.IMAP4.error, OSError, EOFError) as exc:
                if not client.connected:
                    raise
                step = "greeting"
                # a greeting that is not IMAP's, or none at all (a TLS port, a hang-up)
                spoke = isinstance(exc, imaplib.IMAP4.error) \
                    and not isinstance(exc, imaplib.IMAP4.abort)
                raise FetchFailure(step, "wrong_protocol" if spoke else "no_greeting",
                                   _text(exc.args) or ("not an IMAP greeting" if spoke
                                                       else "no greeting")) from exc
            if config.security == "starttls":
                step = "starttls"
                if "STARTTLS" not in client.capabilities:
                    raise FetchFailure(step, "no_starttls", "no STARTTLS in the capabilities")
                client.starttls(ssl_context=context)
            step = "login"
            cls._login(client, config)
            step = "folder"
            uidvalidity, uidnext = cls._select(client, config)
        except FetchFailure:
            _logout(client)
            raise
        except imaplib.IMAP4.error as exc:
            _logout(client)
            raise FetchFailure(step, "protocol", _text(exc.args)) from exc
        except (OSError, EOFError) as exc:
            _logout(client)
            raise network_failure(step, exc) from exc
        return cls(config, client, uidvalidity, uidnext)

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
            raise FetchFailure("login", "auth_failed", _text(exc.args)) from exc

    @staticmethod
    def _select(client: imaplib.IMAP4, config: MailboxConfig) -> tuple[str, int]:
        """Select the folder; its UIDVALIDITY and UIDNEXT."""
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
        return uidvalidity, int(uidnext)

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
        try:
            status, data = self.client.uid("SEARCH", criteria)
        except imaplib.IMAP4.error as exc:
            raise FetchFailure("list", "protocol", _text(exc.args)) from exc
        except OSError as exc:
            raise network_failure("list", exc) from exc
        if status != "OK":
            raise FetchFailure("list", "protocol", _text(data))
        return set(_text(data).split())

    def fetch(self, key: str) -> bytes | None:
        try:
            status, data = self.client.uid("FETCH", key, "(BODY.PEEK[])")
        except imaplib.IMAP4.error as exc:
            raise FetchFailure("fetch", "protocol", _text(exc.args)) from exc
        except OSError as exc:
            raise network_failure("fetch", exc) from exc
        if status != "OK":
            raise FetchFailure("fetch", "protocol", _text(data))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def acknowledge(self, key: str) -> None:
        try:
            status, data = self.client.uid("STORE", key, "+FLAGS.SILENT", r"(\Seen)")
        except imaplib.IMAP4.error as exc:
            raise FetchFailure("acknowledge", "protocol", _text(exc.args)) from exc
        except OSError as exc:
            raise network_failure("acknowledge", exc) from exc
        if status != "OK":
            raise FetchFailure("acknowledge", "protocol", _text(data))

    def close(self) -> None:
        _logout(self.client)


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


def _logout(client: imaplib.IMAP4) -> None:
    """Log out, or at least close the connection; never raises."""
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()
