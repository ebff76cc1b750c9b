"""The POP3 client of the gateway (RFC 1939), on the standard library's :mod:`poplib`.

A POP mailbox is a queue: every message in it is to be processed, known by its UIDL
(a server that has no UIDL is refused: without it, a message could be processed twice).
``DELE`` is sent once the message's transaction committed (:meth:`POPMailbox.acknowledge`),
and the server deletes at ``QUIT`` (:meth:`POPMailbox.close`). A session that ends without
``QUIT`` deletes nothing; the handled UIDLs are remembered, so those messages are not
processed again, and the next session deletes them (``Plan.unacknowledged``).
"""

from __future__ import annotations

import contextlib
import poplib
from typing import Any, Self

from ..mailer.smtp import tls_context
from .mailbox import Connecting, FetchFailure, MailboxConfig, Plan, network_failure

__all__ = ["POPMailbox"]

#: the longest line read (poplib's own limit, 2048 bytes, is shorter than real mail's lines)
MAX_LINE = 1_000_000


class _LongLines:
    """poplib's line reader with :data:`MAX_LINE` instead of 2048 bytes."""

    file: Any

    def _getline(self) -> tuple[bytes, int]:
        line = self.file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise poplib.error_proto("-ERR line too long")
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        line = line[:-1] if line.endswith(b"\n") else line
        return (line[:-1] if line.endswith(b"\r") else line), octets


class _Client(_LongLines, Connecting, poplib.POP3):
    pass


class _TLSClient(_LongLines, Connecting, poplib.POP3_SSL):
    pass


def _text(exc: BaseException) -> str:
    detail = exc.args[0] if exc.args else exc
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return " ".join(str(detail).split())


class POPMailbox:
    """A logged-in POP3 session and its message list; see the module docstring."""

    scope = "pop3"

    def __init__(self, config: MailboxConfig, client: poplib.POP3, numbers: dict[str, str]):
        self.config = config
        self.client = client
        self.numbers = numbers  # UIDL: message number in this session

    @classmethod
    def open(cls, config: MailboxConfig) -> Self:
        context = tls_context(config.verify) if config.security != "none" else None
        client_class: type[_Client | _TLSClient] = _TLSClient if config.security == "ssl" \
            else _Client
        options: dict[str, Any] = {"context": context} if config.security == "ssl" else {}
        # made before it connects, so that a failure can tell whether it had connected
        client: _Client | _TLSClient = client_class.__new__(client_class)
        step = "connect"
        try:
            try:
                client.__init__(config.host, config.port,  # type: ignore[misc]
                                timeout=config.timeout, **options)
            except (poplib.error_proto, OSError, EOFError) as exc:
                if not client.connected:
                    raise
                step = "greeting"
                spoke = isinstance(exc, poplib.error_proto) and _text(exc) != "-ERR EOF"
                raise FetchFailure(step, "wrong_protocol" if spoke else "no_greeting",
                                   _text(exc) or "no greeting") from exc
            if config.security == "starttls":
                step = "starttls"
                if "STLS" not in client.capa():
                    raise FetchFailure(step, "no_starttls", "no STLS in the capabilities")
                client.stls(context=context)
            step = "login"
            cls._login(client, config)
            step = "list"
            numbers = cls._list(client)
        except FetchFailure:
            _quit(client)
            raise
        except poplib.error_proto as exc:
            _quit(client)
            raise FetchFailure(step, "protocol", _text(exc)) from exc
        except (OSError, EOFError) as exc:
            _quit(client)
            raise network_failure(step, exc) from exc
        return cls(config, client, numbers)

    @staticmethod
    def _login(client: poplib.POP3, config: MailboxConfig) -> None:
        try:
            client.user(config.user)
            client.pass_(config.password)
        except poplib.error_proto as exc:
            detail = _text(exc)
            kind = "login_disabled" if "plaintext" in detail.lower() else "auth_failed"
            raise FetchFailure("login", kind, detail) from exc

    @staticmethod
    def _list(client: poplib.POP3) -> dict[str, str]:
        """``{UIDL: message number}`` of the messages in the mailbox."""
        try:
            _response, lines, _octets = client.uidl()
        except poplib.error_proto as exc:
            raise FetchFailure("list", "unsupported", _text(exc)) from exc
        numbers = {}
        for line in lines:
            number, _, uidl = line.decode("ascii", "replace").partition(" ")
            if uidl.strip():
                numbers[uidl.strip()] = number
        return numbers

    # ------------------------------------------------------------------
    # the Mailbox protocol
    # ------------------------------------------------------------------
    def plan(self, handled: set[str], baseline: str | None) -> Plan:
        return Plan(keys=[uidl for uidl in self.numbers if uidl not in handled],
                    unacknowledged=[uidl for uidl in self.numbers if uidl in handled],
                    stale=sorted(handled - self.numbers.keys()))

    def fetch(self, key: str) -> bytes | None:
        try:
            _response, lines, _octets = self.client.retr(self.numbers[key])
        except poplib.error_proto as exc:
            raise FetchFailure("fetch", "protocol", _text(exc)) from exc
        except (OSError, EOFError) as exc:
            raise network_failure("fetch", exc) from exc
        return b"\r\n".join(lines) + b"\r\n"

    def acknowledge(self, key: str) -> None:
        try:
            self.client.dele(self.numbers[key])
        except poplib.error_proto as exc:
            raise FetchFailure("acknowledge", "protocol", _text(exc)) from exc
        except (OSError, EOFError) as exc:
            raise network_failure("acknowledge", exc) from exc

    def close(self) -> None:
        _quit(self.client)


def _quit(client: poplib.POP3) -> None:
    """``QUIT`` (the server deletes what was marked), or at least close; never raises."""
    try:
        client.quit()
    except Exception:
        with contextlib.suppress(Exception):
            client.close()
