"""What the fetching clients share: settings, failures and the :class:`Mailbox` protocol.

A mailbox session (:func:`open_mailbox`) is connected, secured, logged in and, for
IMAP, inside its folder. The caller keeps, per server, the keys of the messages it has
*handled* (processed, or kept in the failed list) in its own transactions, and asks the
session for a :class:`Plan`: which messages to fetch, which handled ones still wait for
their acknowledgement, which handled keys it may forget. A message is acknowledged
(IMAP ``\\Seen``, POP ``DELE``) only after the transaction that handled it committed, so
a crash at any moment leaves every message either handled or still waiting.

Keys are strings, unique within a *scope*: for IMAP the folder and its UIDVALIDITY
(when it changes, the UIDs mean other messages), for POP the mailbox itself (UIDLs).
Whatever goes wrong raises :class:`FetchFailure`, with the step that failed and a
``kind`` that :mod:`.diagnosis` explains in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..mailer.smtp import ServerConfig

__all__ = ["DEFAULT_PORTS", "FetchFailure", "Mailbox", "MailboxConfig", "Plan", "open_mailbox"]

PROTOCOLS = ("imap", "pop")
#: the usual port of each protocol and connection security
DEFAULT_PORTS = {("imap", "ssl"): 993, ("imap", "starttls"): 143, ("imap", "none"): 143,
                 ("pop", "ssl"): 995, ("pop", "starttls"): 110, ("pop", "none"): 110}


@dataclass(frozen=True)
class MailboxConfig(ServerConfig):
    """Where the mailbox is: ``protocol`` is ``imap`` or ``pop``; ``folder`` is IMAP's."""

    protocol: str = "imap"
    folder: str = "INBOX"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {PROTOCOLS}, not {self.protocol!r}")

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class FetchFailure(Exception):
    """A session could not be opened, or broke.

    ``step``: ``connect`` (TCP, or the TLS handshake of ``ssl``), ``greeting``,
    ``starttls``, ``login``, ``folder``, ``list`` (UIDL), ``fetch`` or ``acknowledge``.
    ``kind``: ``unknown_host``, ``refused``, ``timeout``, ``network``, ``certificate``,
    ``tls``, ``no_greeting``, ``wrong_protocol``, ``no_starttls``, ``login_disabled``,
    ``auth_failed``, ``no_folder``, ``unsupported`` or ``protocol``. ``folders`` lists the
    server's folders when the configured one does not exist.
    """

    def __init__(self, step: str, kind: str, detail: str, *, folders: list[str] | None = None):
        super().__init__(detail)
        self.step, self.kind, self.detail = step, kind, detail
        self.folders = folders or []


@dataclass
class Plan:
    """What to do with a mailbox, given the keys already handled.

    ``keys``: the messages to fetch and process, in order. ``unacknowledged``: handled
    messages the server still shows (the acknowledgement was lost): acknowledge them
    again. ``stale``: handled keys no longer needed. ``baseline``: a key to record as
    handled before anything else (IMAP, first fetch: the last UID that was already there).
    """

    keys: list[str]
    unacknowledged: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    baseline: str | None = None


class Mailbox(Protocol):
    """An open mailbox session; see the module docstring."""

    scope: str

    def plan(self, handled: set[str], baseline: str | None) -> Plan:
        """What to fetch, given the keys ``handled`` in this scope and its ``baseline``."""

    def fetch(self, key: str) -> bytes | None:
        """The raw message of ``key``, or None if it is gone (deleted by another client)."""

    def acknowledge(self, key: str) -> None:
        """Tell the server ``key`` is done with (IMAP ``\\Seen``, POP ``DELE``)."""

    def close(self) -> None:
        """End the session (POP: deletions take effect now); never raises."""


def open_mailbox(config: MailboxConfig) -> Mailbox:
    """A connected, logged-in session on ``config``'s mailbox, or FetchFailure."""
    if config.protocol == "imap":
        from .imap import IMAPMailbox
        return IMAPMailbox.open(config)
    from .pop import POPMailbox
    return POPMailbox.open(config)

