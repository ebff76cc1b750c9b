"""SMTP client sessions: connect, secure, authenticate, then one transaction per message.

:func:`connect` opens a :class:`Session` to a :class:`ServerConfig`: TCP (or TLS from the
first byte for ``ssl``), the greeting, ``EHLO``, ``STARTTLS`` and a second ``EHLO`` for
``starttls``, then ``AUTH`` when a user is set. Certificates are verified against the system
store (``SSL_CERT_FILE`` names another bundle) unless ``verify`` is off. Whatever goes wrong
raises :class:`SMTPFailure`, which records the step that failed, whether retrying later may
help, and the server's reply; :mod:`.diagnosis` explains it in plain words.

:meth:`Session.send` runs one mail transaction and reports each recipient's fate in a
:class:`Transaction`: a recipient refused among several does not stop the others. Replies are
classified by their code, as an MTA does: 2xx accepted, 4xx temporary, 5xx permanent. A
connection lost in the middle raises :class:`SessionLost`, saying whether the message body
had been transmitted (if not, the transaction can safely be replayed on a new session).
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "Reply",
    "SMTPFailure",
    "ServerConfig",
    "Session",
    "SessionLost",
    "Transaction",
    "connect",
    "probe",
    "tls_context",
]

SECURITY_MODES = ("none", "starttls", "ssl")
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class ServerConfig:
    """Where and how to connect; ``security`` is ``none``, ``starttls`` or ``ssl``."""

    host: str
    port: int = 25
    security: str = "none"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 60.0
    verify: bool = True

    def __post_init__(self) -> None:
        if self.security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {self.security!r}")


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: ``code`` and its text (multi-line replies joined by spaces)."""

    code: int
    text: str = ""

    @classmethod
    def of(cls, code: int, message: bytes | str) -> Reply:
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        return cls(code, " ".join(message.split()))

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400

    @property
    def temporary(self) -> bool:
        """A 4xx reply (or no reply at all, code 0): trying again later may succeed."""
        return self.code < 200 or 400 <= self.code < 500

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip() if self.code else self.text


class SMTPFailure(Exception):
    """A session could not be opened or went wrong as a whole.

    ``step`` is where: ``connect`` (TCP or the TLS handshake of ``ssl``), ``greeting``,
    ``ehlo``, ``starttls``, ``auth``, ``mail`` (the sender refused), ``rcpt`` or ``size``.
    ``kind`` narrows it down for explanations (``unknown_host``, ``refused``, ``timeout``,
    ``certificate``, ``tls``, ``no_starttls``, ``no_auth``, ``auth_failed``, ``reply``,
    ``disconnected``…). ``temporary`` says whether trying again later may help.
    """

    def __init__(self, step: str, kind: str, detail: str, *, temporary: bool,
                 reply: Reply | None = None):
        super().__init__(detail)
        self.step, self.kind, self.detail = step, kind, detail
        self.temporary, self.reply = temporary, reply


class SessionLost(Exception):
    """The connection dropped during a transaction; ``transmitted`` if the body had been sent."""

    def __init__(self, detail: str, transmitted: bool):
        super().__init__(detail)
        self.transmitted = transmitted


@dataclass
class Transaction:
    """What became of one message: the recipients it was accepted for, and the refusals.

    ``refused`` maps recipients to the reply that refused them; when the sender or the
    message itself was refused, every recipient carries that reply and ``stage`` says
    ``mail`` or ``data`` (else ``rcpt``).
    """

    accepted: list[str] = field(default_factory=list)
    refused: dict[str, Reply] = field(default_factory=dict)
    stage: str = "rcpt"


@functools.cache
def _local_hostname() -> str:
    """The name this host gives in EHLO (looked up once: getfqdn may be slow)."""
    return socket.getfqdn()


def tls_context(verify: bool = True) -> ssl.SSLContext:
    """A client TLS context; ``verify=False`` accepts any certificate (self-signed servers)."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _Connecting:
    """An smtplib client that names the host for TLS and notes when the connection is made
    (for SMTP_SSL: the TLS handshake done), so that a silent server is told from a missing one."""

    connected = False

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self._host = host  # smtplib checks certificates against it (SNI and STARTTLS too)
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self.connected = True
        # every write is a whole group of commands or a whole body: Nagle would only delay
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


class _Client(_Connecting, smtplib.SMTP):
    pass


class _TLSClient(_Connecting, smtplib.SMTP_SSL):
    pass


def _failure(step: str, exc: BaseException) -> SMTPFailure:
    """The SMTPFailure for an exception raised at ``step`` while opening a session."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = Reply.of(exc.smtp_code, exc.smtp_error)
        kind = "auth_failed" if isinstance(exc, smtplib.SMTPAuthenticationError) else "reply"
        return SMTPFailure(step, kind, str(reply), temporary=reply.temporary, reply=reply)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SMTPFailure(step, "no_starttls" if step == "starttls" else "no_auth", detail,
                           temporary=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SMTPFailure(step, "disconnected", detail, temporary=True)
    if isinstance(exc, smtplib.SMTPException):  # e.g. no common authentication mechanism
        return SMTPFailure(step, "no_auth" if step == "auth" else "protocol", detail,
                           temporary=False)
    if isinstance(exc, socket.gaierror):
        return SMTPFailure(step, "unknown_host", detail, temporary=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SMTPFailure(step, "certificate", exc.verify_message or detail, temporary=False)
    if isinstance(exc, ssl.SSLError):
        return SMTPFailure(step, "tls", exc.reason or detail, temporary=False)
    if isinstance(exc, TimeoutError):
        return SMTPFailure(step, "timeout", detail, temporary=True)
    if isinstance(exc, ConnectionRefusedError):
        return SMTPFailure(step, "refused", detail, temporary=True)
    return SMTPFailure(step, "network", detail, temporary=True)  # reset, unreachable…


def connect(config: ServerConfig) -> Session:
    """A ready :class:`Session` (greeted, secured, authenticated), or SMTPFailure."""
    context = tls_context(config.verify) if config.security != "none" else None
    options = {"timeout": config.timeout, "local_hostname": _local_hostname()}
    client: _Client | _TLSClient = (_TLSClient(context=context, **options)
                                    if config.security == "ssl" else _Client(**options))
    step = "connect"
    try:
        try:
            client.connect(config.host, config.port)
        except (smtplib.SMTPException, OSError):
            if client.connected:  # the server is there, but did not greet
                step = "greeting"
            raise
        step = "ehlo"
        client.ehlo()
        if config.security == "starttls":
            step = "starttls"
            client.starttls(context=context)
            client.ehlo()
        if config.user:
            step = "auth"
            client.login(config.user, config.password)
    except (smtplib.SMTPException, OSError) as exc:
        _close(client)
        raise _failure(step, exc) from exc
    return Session(config, client)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _dot_stuffed(data: bytes) -> bytes:
    """``data`` ready for ``DATA``: a dot doubled at the start of lines, a final CRLF."""
    if data.startswith(b".") or b"\n." in data:
        data = _LEADING_DOT.sub(b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class Session:
    """An open, ready SMTP session; see the module docstring."""

    def __init__(self, config: ServerConfig, client: smtplib.SMTP):
        self.config = config
        self.client = client
        self.alive = True
        self.transactions = 0

    def __repr__(self) -> str:
        return f"<Session {self.config.host}:{self.config.port}>"

    @property
    def max_size(self) -> int | None:
        """The largest message the server accepts (ESMTP SIZE), if it says."""
        size = self.client.esmtp_features.get("size", "").strip()
        return int(size) if size.isdigit() and int(size) > 0 else None

    @property
    def smtputf8(self) -> bool:
        """Whether the server takes non-ASCII addresses (RFC 6531)."""
        return self.client.has_extn("smtputf8")

    def _lost(self, exc: BaseException, transmitted: bool) -> SessionLost:
        self.alive = False
        return SessionLost(" ".join(str(exc).split()) or "connection lost", transmitted)

    def _write(self, data: str | bytes, transmitted: bool = False) -> None:
        """Send ``data`` in one write; SessionLost if the connection is gone."""
        try:
            self.client.send(data)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise self._lost(exc, transmitted) from exc

    def _replies(self, count: int, transmitted: bool = False) -> list[Reply]:
        """The next ``count`` replies. After a 421 the server hangs up: the rest are that 421."""
        replies: list[Reply] = []
        while len(replies) < count:
            try:
                reply = Reply.of(*self.client.getreply())
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise self._lost(exc, transmitted) from exc
            if reply.code == 421:  # the server is closing the connection (RFC 5321 3.8)
                self.alive = False
                return replies + [reply] * (count - len(replies))
            replies.append(reply)
        return replies

    def _command(self, line: str) -> Reply:
        self._write(f"{line}\r\n")
        return self._replies(1)[0]

    def send(self, sender: str, recipients: Sequence[str], data: bytes,
             smtputf8: bool = False) -> Transaction:
        """Run one transaction: ``MAIL FROM``, ``RCPT TO`` each recipient, ``DATA``.

        ``sender`` and ``recipients`` are bare addresses, already checked (see
        :mod:`.addresses`); ``data`` is the message with CRLF line ends.

        With a server that offers PIPELINING (RFC 2920), as most do, the commands up to
        ``DATA`` go in one write and the body in a second: two round trips, whatever the
        number of recipients.
        """
        self.transactions += 1
        if smtputf8 and not self.smtputf8:
            return Transaction(refused=dict.fromkeys(recipients, Reply(
                553, "5.6.7 the server does not offer SMTPUTF8, which non-ASCII addresses need")),
                stage="mail")
        options = [f"SIZE={len(data)}"] if self.client.has_extn("size") else []
        if smtputf8:
            options.append("SMTPUTF8")
            self.client.command_encoding = "utf-8"
        commands = [f"mail FROM:<{sender}> {' '.join(options)}".strip(),
                    *(f"rcpt TO:<{recipient}>" for recipient in recipients)]
        if self.client.has_extn("pipelining"):
            self._write("".join(f"{command}\r\n" for command in [*commands, "data"]))
            replies = self._replies(len(commands) + 1)
        else:
            replies = self._step_by_step(commands)
        mail_reply, rcpt_replies, data_reply = replies[0], replies[1:-1], replies[-1]
        result = Transaction()
        if not mail_reply.ok:
            result.refused, result.stage = dict.fromkeys(recipients, mail_reply), "mail"
        else:
            for recipient, reply in zip(recipients, rcpt_replies):
                if reply.ok:
                    result.accepted.append(recipient)
                else:
                    result.refused[recipient] = reply
        if data_reply.code == 354:  # the body, or just its end when no recipient is left
            body = _dot_stuffed(data) if result.accepted else b""
            self._write(body + b".\r\n", transmitted=bool(result.accepted))
            data_reply = self._replies(1, transmitted=bool(result.accepted))[0]
        if result.accepted and not data_reply.ok:  # the message refused, or a 421
            result.refused.update(dict.fromkeys(result.accepted, data_reply))
            result.accepted, result.stage = [], "data"
        if not data_reply.ok:
            self._reset()
        return result

    def _step_by_step(self, commands: list[str]) -> list[Reply]:
        """The replies to ``commands`` then ``DATA``, each command waiting for the previous
        reply; a command that cannot go (the sender or every recipient refused, the server
        gone) gets the reply that stopped the transaction."""
        replies = [self._command(commands[0])]
        if not replies[0].ok:
            return replies * (len(commands) + 1)
        for command in commands[1:]:
            replies.append(self._command(command) if self.alive else replies[-1])
        accepted = any(reply.ok for reply in replies[1:])
        replies.append(self._command("data") if self.alive and accepted else replies[-1])
        return replies

    def _reset(self) -> None:
        """RSET after a failed transaction, so the next one starts clean."""
        if self.alive:
            with contextlib.suppress(SessionLost):
                self._command("rset")

    def close(self) -> None:
        """QUIT (politely if the server still listens)."""
        if self.alive:
            _close(self.client)
        else:
            self.client.close()
        self.alive = False


def probe(config: ServerConfig, sender: str, recipient: str) -> int | None:
    """Connect, then try ``MAIL FROM`` and ``RCPT TO`` without sending anything (``RSET``).

    Returns the largest message size the server announces, if it does. Raises SMTPFailure
    (step ``mail`` or ``rcpt`` when the server refuses the sender or the recipient).
    """
    session = connect(config)
    max_size = session.max_size
    try:
        for step, command in (("mail", f"mail FROM:<{sender}>"),
                              ("rcpt", f"rcpt TO:<{recipient}>")):
            try:
                reply = session._command(command)
            except SessionLost as exc:
                raise SMTPFailure(step, "disconnected", str(exc), temporary=True) from exc
            if not reply.ok:
                raise SMTPFailure(step, "reply", str(reply), temporary=reply.temporary,
                                  reply=reply)
        session._reset()
    finally:
        session.close()
    return max_size
