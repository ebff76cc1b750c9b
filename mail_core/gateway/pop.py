"""The POP3 client of the gateway (RFC 1939), on the standard library's :mod:`poplib`.

A POP mailbox is a queue: every message in it is to be processed, known by its UIDL
(a server that has no UIDL is refused: without it, a message could be processed twice).
``DELE`` is sent once the message's transaction committed (:meth:`POPMailbox.acknowledge`),
and the server deletes at ``QUIT`` (:meth:`POPMailbox.close`). A session that ends without
``QUIT`` deletes nothing; the handled UIDLs are remembered, so those messages are not
processed again, and the next session deletes them (``Plan.unacknowledged``).
"""

from __future__ import annotations

import poplib
import ssl
from collections.abc import Collection
from typing import Any, Self

from .mailbox import FetchFailure, MailboxConfig, Plan
from .session import Connecting, MailboxSession, end_quietly, error_text

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


class POPMailbox(MailboxSession[poplib.POP3]):
    """A logged-in POP3 session and its message list; see the module docstring."""

    client_class, tls_client_class = _Client, _TLSClient
    context_keyword = "context"
    protocol_error = poplib.error_proto
    starttls_capability = "STLS"
    entry_step = "list"
    scope = "pop3"

    def __init__(self, config: MailboxConfig, client: poplib.POP3, numbers: dict[str, str]):
        super().__init__(config, client)
        self.numbers = numbers  # UIDL: message number in this session

    @staticmethod
    def _greeting_fault(exc: Exception) -> tuple[bool, str]:
        detail = error_text(exc)
        return isinstance(exc, poplib.error_proto) and detail != "-ERR EOF", detail or "no greeting"

    @staticmethod
    def _capabilities(client: poplib.POP3) -> Collection[str]:
        return client.capa()

    @staticmethod
    def _starttls(client: poplib.POP3, context: ssl.SSLContext | None) -> None:
        client.stls(context=context)

    @staticmethod
    def _login(client: poplib.POP3, config: MailboxConfig) -> None:
        try:
            client.user(config.user)
            client.pass_(config.password)
        except poplib.error_proto as exc:
            detail = error_text(exc)
            kind = "login_disabled" if "plaintext" in detail.lower() else "auth_failed"
            raise FetchFailure("login", kind, detail) from exc

    @classmethod
    def _enter(cls, client: poplib.POP3, config: MailboxConfig) -> Self:
        """List the messages: the session knows them by UIDL."""
        try:
            _response, lines, _octets = client.uidl()
        except poplib.error_proto as exc:
            raise FetchFailure("list", "unsupported", error_text(exc)) from exc
        numbers = {}
        for line in lines:
            number, _, uidl = line.decode("ascii", "replace").partition(" ")
            if uidl.strip():
                numbers[uidl.strip()] = number
        return cls(config, client, numbers)

    @staticmethod
    def _end(client: poplib.POP3) -> None:
        """``QUIT`` (the server deletes what was marked), or at least close; never raises."""
        end_quietly(client.quit, client.close)

    # ------------------------------------------------------------------
    # the Mailbox protocol
    # ------------------------------------------------------------------
    def plan(self, handled: set[str], baseline: str | None) -> Plan:
        return Plan(keys=[uidl for uidl in self.numbers if uidl not in handled],
                    unacknowledged=[uidl for uidl in self.numbers if uidl in handled],
                    stale=sorted(handled - self.numbers.keys()))

    def fetch(self, key: str) -> bytes | None:
        with self.failing_at("fetch"):
            _response, lines, _octets = self.client.retr(self.numbers[key])
        return b"\r\n".join(lines) + b"\r\n"

    def acknowledge(self, key: str) -> None:
        with self.failing_at("acknowledge"):
            self.client.dele(self.numbers[key])
