"""A worker's SMTP sessions: one per outgoing server, reused from message to message.

Opening a session (TCP, TLS, EHLO, AUTH) costs more than sending a message, so a
:class:`SessionPool` keeps each server's session open while mail keeps coming:

- a session is replaced when the server's settings changed, after ``max_transactions``
  messages, or when it sat idle longer than ``idle_timeout`` (servers hang up on idle
  clients; :meth:`SessionPool.close_idle` closes those first);
- a reused session that turns out to be closed (the server hung up while idle, or said 421)
  is reopened once and the message sent again, which is safe because the body had not been
  transmitted; a connection lost after the body was sent is reported, never replayed here;
- a server that could not be reached is not tried again for the rest of the round
  (:meth:`SessionPool.new_round` forgets): the queue fails its other mails at once instead
  of waiting for the same timeout once per mail.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from typing import Self

from .smtp import ServerConfig, Session, SessionLost, SMTPFailure, Transaction, connect

__all__ = ["SessionPool"]

#: seconds a session may sit unused before it is closed
IDLE_TIMEOUT = 30.0
#: messages sent over one session before it is replaced
MAX_TRANSACTIONS = 1000


class SessionPool:
    """Open sessions by key (usually the server's id); see the module docstring."""

    def __init__(self, connector: Callable[[ServerConfig], Session] = connect, *,
                 idle_timeout: float = IDLE_TIMEOUT, max_transactions: int = MAX_TRANSACTIONS):
        self.connector = connector
        self.idle_timeout = idle_timeout
        self.max_transactions = max_transactions
        self._sessions: dict[Hashable, tuple[Session, float]] = {}
        self._failures: dict[Hashable, SMTPFailure] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, key: Hashable, config: ServerConfig, sender: str, recipients: Sequence[str],
             data: bytes, smtputf8: bool = False) -> Transaction:
        """Send one message through ``key``'s session; SMTPFailure if the session fails."""
        session, reused = self._session(key, config)
        try:
            try:
                return session.send(sender, recipients, data, smtputf8)
            except SessionLost as exc:
                self._drop(key)
                if exc.transmitted or not reused:
                    raise
            session, _ = self._session(key, config)  # the body never left: replay once
            return session.send(sender, recipients, data, smtputf8)
        except SessionLost as exc:
            self._drop(key)
            raise SMTPFailure("data" if exc.transmitted else "mail", "disconnected", str(exc),
                              temporary=True) from exc
        finally:
            self._release(key)

    def _session(self, key: Hashable, config: ServerConfig) -> tuple[Session, bool]:
        """``key``'s open session, or a new one; and whether it is a reused one."""
        failure = self._failures.get(key)
        if failure is not None:
            raise failure.with_traceback(None)
        entry = self._sessions.get(key)
        if entry is not None:
            session, last_used = entry
            if (session.alive and session.config == config
                    and session.transactions < self.max_transactions
                    and time.monotonic() - last_used < self.idle_timeout):
                return session, True
            self._drop(key)
        try:
            session = self.connector(config)
        except SMTPFailure as failure:
            self._failures[key] = failure
            raise
        self._sessions[key] = (session, time.monotonic())
        return session, False

    def _release(self, key: Hashable) -> None:
        entry = self._sessions.get(key)
        if entry is None:
            return
        if entry[0].alive:
            self._sessions[key] = (entry[0], time.monotonic())
        else:
            self._drop(key)

    def _drop(self, key: Hashable) -> None:
        entry = self._sessions.pop(key, None)
        if entry is not None:
            entry[0].close()

    def new_round(self) -> None:
        """Forget the servers that failed: try them again."""
        self._failures.clear()

    def close_idle(self) -> None:
        """Close the sessions unused for ``idle_timeout`` seconds."""
        now = time.monotonic()
        for key, (_session, used) in list(self._sessions.items()):
            if now - used >= self.idle_timeout:
                self._drop(key)

    def close(self) -> None:
        """Close every session."""
        for key in list(self._sessions):
            self._drop(key)
        self._failures.clear()
