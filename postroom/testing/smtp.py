"""A real SMTP server for tests of outgoing mail.

:class:`SMTPPeer` runs an aiosmtpd ``Controller`` (its own asyncio loop in a
thread) on a free loopback port. It keeps every accepted message, and can be
programmed to misbehave the way real relays do: refuse some recipients, answer
``DATA`` with temporary or permanent errors, hang up mid-transaction, or answer
slowly. It has no pytest dependency; fixtures wrap it.

Example::

    with SMTPPeer(starttls=True, auth={"bob": "secret"}) as peer:
        peer.reject_rcpt["nobody@example.com"] = "550 5.1.1 No such user"
        peer.next_replies.append("451 4.3.0 Try later")
        ...  # send through peer.host, peer.port with peer.client_context()
        [message] = peer.wait_for(1)
"""

from __future__ import annotations

import asyncio
import collections
import email
import email.policy
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from postroom.testing.net import LOOPBACK, Peer, free_port
from postroom.testing.tls import client_context_trusting, make_self_signed_cert, server_context

ACCEPTED = "250 2.0.0 OK: queued"
_START_ATTEMPTS = 3


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the peer accepted with a 2xx answer to ``DATA``.

    ``data`` is exactly what was transmitted (CRLF line ends, dots unstuffed);
    ``message`` is it parsed with ``email.policy.default`` and LF line ends.
    """

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    authenticated_as: str | None
    mail_options: list[str]



class _Controller(Controller):
    """A controller whose SMTPS sessions count as encrypted for AUTH."""

    def factory(self) -> SMTP:
        server = SMTP(self.handler, **self.SMTP_kwargs)
        if self.ssl_context is not None:
            # aiosmtpd 1.4 treats only STARTTLS as TLS; SMTPS is encrypted from
            # the first byte, so AUTH may be offered right away.
            server._auth_require_tls = False
        return server


class _Handler:
    """aiosmtpd hooks that apply the peer's programmed behaviour."""

    def __init__(self, peer: SMTPPeer) -> None:
        self._peer = peer

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Refuse the addresses listed in ``peer.reject_rcpt``, accept the others."""
        reply = self._peer._rcpt_reply(address)
        if reply is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
            return "250 2.1.5 OK"
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Wait, hang up, or answer; keep the message when the answer is 2xx."""
        peer = self._peer
        if peer.delay:
            await asyncio.sleep(peer.delay)
        assert server.transport is not None
        if peer._take_drop():
            server.transport.close()
            return "421 4.4.2 Connection dropped"  # never reaches the closed socket
        reply = peer._data_reply(envelope)
        if reply is None or reply.startswith("2"):
            peer._keep(envelope, session)
            return reply or ACCEPTED
        if reply.startswith("421"):
            # 421 means the server closes the channel (RFC 5321 3.8).
            await server.push(reply)
            server.transport.close()
        return reply


class SMTPPeer(Peer):
    """An SMTP server on ``127.0.0.1`` that records what it receives.

    ``starttls`` requires STARTTLS before mail; ``implicit_tls`` serves SMTPS
    (TLS from the first byte). Both use a fresh self-signed certificate, which
    :meth:`client_context` trusts. ``auth`` maps logins to passwords and makes
    authentication (PLAIN and LOGIN) mandatory; it is offered only over TLS
    unless ``auth_require_tls`` is false. ``max_size`` is advertised as ESMTP
    ``SIZE`` and larger messages get ``552``.

    Behaviour, changeable from any thread while the peer runs:

    * ``reject_rcpt[address] = "550 5.1.1 No such user"`` refuses that
      recipient (address compared case-insensitively); the others are accepted.

    Then, on each ``DATA``, in this order:

    * ``delay`` seconds pass before anything else;
    * ``drop_connection_next = n`` closes the connection, unanswered, on the
      next ``n`` ``DATA`` commands;
    * ``next_replies`` is a queue: the next reply in it, if any, is the answer;
    * otherwise ``on_data(envelope)`` is asked; ``None`` means accept.

    A 2xx answer keeps the message, any other answer refuses it, and a ``421``
    answer also closes the connection, as a real server does. :meth:`reset`
    restores the defaults.
    """

    def __init__(
        self,
        *,
        starttls: bool = False,
        implicit_tls: bool = False,
        auth: dict[str, str] | None = None,
        auth_require_tls: bool = True,
        max_size: int | None = None,
        smtputf8: bool = True,
    ) -> None:
        if starttls and implicit_tls:
            raise ValueError("choose either starttls or implicit_tls")
        if auth is not None and auth_require_tls and not (starttls or implicit_tls):
            raise ValueError(
                "auth over TLS needs starttls or implicit_tls (or auth_require_tls=False)"
            )
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.auth = auth
        self.auth_require_tls = auth_require_tls
        self.max_size = max_size
        self.smtputf8 = smtputf8
        self.host = LOOPBACK
        self.port = 0
        self.cert_path: Path | None = None
        self.reject_rcpt: dict[str, str] = {}
        self.next_replies: collections.deque[str] = collections.deque()
        self.on_data: Callable[[Envelope], str | None] | None = None
        self.drop_connection_next = 0
        self.delay = 0.0
        self._messages: list[ReceivedMessage] = []
        self._changed = threading.Condition()
        self._controller: _Controller | None = None
        self._tmpdir: str | None = None

    # -- life cycle ---------------------------------------------------------

    def start(self) -> Self:
        """Start serving; returns ``self``. Takes a few milliseconds."""
        if self._controller is not None:
            raise RuntimeError("SMTPPeer is already running")
        tls: ssl.SSLContext | None = None
        if self.starttls or self.implicit_tls:
            self._tmpdir = tempfile.mkdtemp(prefix="postroom-smtp-")
            self.cert_path, key_path = make_self_signed_cert(self._tmpdir)
            tls = server_context(self.cert_path, key_path)
        options: dict[str, Any] = {
            "server_hostname": "localhost",  # no slow getfqdn() per connection
            "enable_SMTPUTF8": self.smtputf8,
            "ready_timeout": 5.0,
        }
        if self.max_size is not None:
            options["data_size_limit"] = self.max_size
        if self.starttls:
            options.update(tls_context=tls, require_starttls=True)
        if self.implicit_tls:
            options["ssl_context"] = tls
        if self.auth is not None:
            options.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.auth_require_tls,
            )
        try:
            self._controller = self._start_controller(options)
        except BaseException:
            self._remove_tmpdir()
            raise
        self.port = self._controller.port
        return self

    def _start_controller(self, options: dict[str, Any]) -> _Controller:
        """Start a controller on a free port, trying again if the port was taken."""
        attempts_left = _START_ATTEMPTS
        while True:
            controller = _Controller(
                _Handler(self), hostname=LOOPBACK, port=free_port(), **options
            )
            try:
                controller.start()
                return controller
            except OSError:  # another process took the port in between
                controller.stop(no_assert=True)
                attempts_left -= 1
                if not attempts_left:
                    raise

    def stop(self) -> None:
        """Stop serving and remove the certificate; received mail is kept."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._remove_tmpdir()


    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # -- for tests ----------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts this peer's certificate."""
        if self.cert_path is None:
            raise RuntimeError("this SMTPPeer runs without TLS")
        return client_context_trusting(self.cert_path)

    @property
    def messages(self) -> list[ReceivedMessage]:
        """A snapshot of the accepted messages, oldest first."""
        with self._changed:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Wait until at least ``count`` messages arrived; return them all.

        Raises ``TimeoutError`` when they did not arrive within ``timeout`` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(
                    f"SMTPPeer expected {count} message(s) within {timeout}s, "
                    f"got {len(self._messages)}"
                )
            return list(self._messages)

    def clear(self) -> None:
        """Forget the received messages."""
        with self._changed:
            self._messages.clear()

    def reset(self) -> None:
        """Forget received messages and all programmed behaviour."""
        self.clear()
        self.reject_rcpt.clear()
        self.next_replies.clear()
        self.on_data = None
        with self._changed:
            self.drop_connection_next = 0
        self.delay = 0.0

    # -- called by the handler in the server thread -------------------------

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        """Check a login and password against ``auth``."""
        assert self.auth is not None
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if login in self.auth and self.auth[login] == password:
            return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    def _rcpt_reply(self, address: str) -> str | None:
        """The refusal programmed for ``address``, if any."""
        wanted = address.lower()
        for rejected, reply in list(self.reject_rcpt.items()):
            if rejected.lower() == wanted:
                return reply
        return None

    def _take_drop(self) -> bool:
        """Whether to hang up on this ``DATA``; counts it down."""
        with self._changed:
            if self.drop_connection_next > 0:
                self.drop_connection_next -= 1
                return True
            return False

    def _data_reply(self, envelope: Envelope) -> str | None:
        """The programmed answer to this ``DATA``, or ``None`` for the default."""
        try:
            return self.next_replies.popleft()
        except IndexError:
            pass
        if self.on_data is not None:
            return self.on_data(envelope)
        return None

    def _keep(self, envelope: Envelope, session: Session) -> None:
        """Record an accepted message and wake up :meth:`wait_for`."""
        data = envelope.original_content or b""
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=data,
            message=email.message_from_bytes(
                data.replace(b"\r\n", b"\n"), policy=email.policy.default
            ),
            authenticated_as=session.auth_data if session.authenticated else None,
            mail_options=list(envelope.mail_options),
        )
        with self._changed:
            self._messages.append(received)
            self._changed.notify_all()


__all__ = ["ReceivedMessage", "SMTPPeer"]
