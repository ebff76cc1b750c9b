"""Opening a mailbox session, with every failure on the way as a :class:`FetchFailure`.

What the IMAP and POP3 clients share. :meth:`MailboxSession.open` connects (with TLS from
the first byte for ``ssl``), switches to TLS for ``starttls``, logs in and enters the
mailbox; whatever goes wrong, then or in a later command (:meth:`~MailboxSession.failing_at`),
becomes a FetchFailure that names the step, for :mod:`.diagnosis` to explain. A server
that accepts the connection but does not greet in the protocol is told from one that
cannot be reached. :mod:`.imap` and :mod:`.pop` name their library's clients and error,
and write the steps in which the protocols differ.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator
from typing import Any, ClassVar, Generic, Self, TypeVar

from ..mailer.smtp import tls_context
from .mailbox import FetchFailure, MailboxConfig

__all__ = ["Connecting", "MailboxSession", "end_quietly", "error_text", "network_failure"]

#: what the standard library raises when the connection breaks (TLS errors included)
NETWORK_ERRORS = (OSError, EOFError)

ClientT = TypeVar("ClientT")


class Connecting:
    """Mixin for :mod:`imaplib` and :mod:`poplib` clients: notes when the connection is made
    (with implicit TLS: the handshake done), so that a server that connects but stays
    silent is told from one that cannot be reached. Create the client with ``__new__``,
    then call ``__init__`` (which connects), to read ``connected`` after a failure."""

    connected = False

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = super()._create_socket(timeout)  # type: ignore[misc]
        self.connected = True
        return sock


class MailboxSession(ABC, Generic[ClientT]):
    """A logged-in session on a standard-library client; see the module docstring."""

    #: the library's client classes, plain and with TLS from the first byte
    client_class: ClassVar[type[Connecting]]
    tls_client_class: ClassVar[type[Connecting]]
    #: the keyword argument of the TLS client's SSL context
    context_keyword: ClassVar[str]
    #: what the library raises for an answer it did not expect
    protocol_error: ClassVar[type[Exception]]
    #: the capability a server that offers STARTTLS lists
    starttls_capability: ClassVar[str]
    #: the step after logging in: ``folder`` (IMAP) or ``list`` (POP)
    entry_step: ClassVar[str]

    def __init__(self, config: MailboxConfig, client: ClientT) -> None:
        self.config = config
        self.client = client

    @classmethod
    def open(cls, config: MailboxConfig) -> Self:
        """A connected, secured, logged-in session on ``config``'s mailbox, or FetchFailure."""
        context = tls_context(config.verify) if config.security != "none" else None
        implicit = config.security == "ssl"
        client_class = cls.tls_client_class if implicit else cls.client_class
        # made before it connects, so that a failure can tell whether it had connected
        client: Any = client_class.__new__(client_class)
        try:
            with cls.failing_at("connect"):
                cls._connect(client, config, {cls.context_keyword: context} if implicit else {})
            if config.security == "starttls":
                with cls.failing_at("starttls"):
                    if cls.starttls_capability not in cls._capabilities(client):
                        raise FetchFailure("starttls", "no_starttls",
                                           f"no {cls.starttls_capability} in the capabilities")
                    cls._starttls(client, context)
            with cls.failing_at("login"):
                cls._login(client, config)
            with cls.failing_at(cls.entry_step):
                session = cls._enter(client, config)
        except FetchFailure:
            cls._end(client)
            raise
        return session

    @classmethod
    def _connect(cls, client: Any, config: MailboxConfig, options: dict[str, Any]) -> None:
        """Connect and read the greeting; a server that connects but does not greet is
        a FetchFailure at the ``greeting`` step."""
        try:
            client.__init__(config.host, config.port, timeout=config.timeout, **options)
        except (cls.protocol_error, *NETWORK_ERRORS) as exc:
            if not client.connected:
                raise
            spoke, detail = cls._greeting_fault(exc)
            raise FetchFailure("greeting", "wrong_protocol" if spoke else "no_greeting",
                               detail) from exc

    @classmethod
    @contextlib.contextmanager
    def failing_at(cls, step: str) -> Iterator[None]:
        """Raise the library's and the network's errors in the block as FetchFailure at
        ``step``; a FetchFailure goes through as it is."""
        try:
            yield
        except cls.protocol_error as exc:
            raise FetchFailure(step, "protocol", error_text(exc)) from exc
        except NETWORK_ERRORS as exc:
            raise network_failure(step, exc) from exc

    def close(self) -> None:
        """End the session (POP: deletions take effect now); never raises."""
        self._end(self.client)

    # ------------------------------------------------------------------
    # what each protocol does its own way
    # ------------------------------------------------------------------
    @staticmethod
    @abstractmethod
    def _greeting_fault(exc: Exception) -> tuple[bool, str]:
        """For a connection whose greeting failed with ``exc``: whether the server spoke
        (another protocol), and the detail to show."""

    @staticmethod
    @abstractmethod
    def _capabilities(client: ClientT) -> Collection[str]:
        """The capabilities the server lists before logging in."""

    @staticmethod
    @abstractmethod
    def _starttls(client: ClientT, context: ssl.SSLContext | None) -> None:
        """Switch the connection to TLS."""

    @staticmethod
    @abstractmethod
    def _login(client: ClientT, config: MailboxConfig) -> None:
        """Log in; a refusal is a FetchFailure of kind ``auth_failed`` or ``login_disabled``."""

    @classmethod
    @abstractmethod
    def _enter(cls, client: ClientT, config: MailboxConfig) -> Self:
        """The session, once the client is logged in (IMAP: the folder selected)."""

    @staticmethod
    @abstractmethod
    def _end(client: ClientT) -> None:
        """End the session politely, or at least close the connection; never raises."""


def end_quietly(goodbye: Callable[[], object], hang_up: Callable[[], object]) -> None:
    """``goodbye()`` (IMAP ``LOGOUT``, POP ``QUIT``), or else ``hang_up()``; never raises."""
    try:
        goodbye()
    except Exception:
        with contextlib.suppress(Exception):
            hang_up()


def error_text(exc: BaseException) -> str:
    """The detail of a library error, as one line of text (imaplib may raise its error
    with ``None``: no detail)."""
    parts = [arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
             for arg in exc.args if arg is not None]
    return " ".join(" ".join(parts).split())


def network_failure(step: str, exc: BaseException) -> FetchFailure:
    """The FetchFailure of a socket or TLS error raised at ``step``."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, socket.gaierror):
        return FetchFailure(step, "unknown_host", detail)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return FetchFailure(step, "certificate", exc.verify_message or detail)
    if isinstance(exc, ssl.SSLError):
        return FetchFailure(step, "tls", exc.reason or detail)
    if isinstance(exc, TimeoutError):
        return FetchFailure(step, "timeout", detail)
    if isinstance(exc, ConnectionRefusedError):
        return FetchFailure(step, "refused", detail)
    return FetchFailure(step, "network", detail)
