"""One incoming message, one transaction: processed, or kept in the failed list.

:func:`receive` is what the incoming mail servers and the MTA pipe do with each message:
``message_process`` runs in a savepoint of a transaction of its own; if it raises, the
work is undone and the message is kept in ``mail.incoming.failed`` with the reason,
in the same transaction. Either way the transaction commits before :func:`receive`
returns, so the source may then acknowledge the message (IMAP ``\\Seen``, POP ``DELE``,
exit status 0): nothing is lost, and a bad message is never retried in a loop.

Errors of the database itself (connection lost, serialization failure) are not the
message's fault: they propagate, nothing is committed, and the source keeps the message
for the next try. So does an exception that is not an ``Exception`` (the process being
stopped). ``before_processing`` runs first in the transaction; the fetch records there
that the message was handled, so that it is recorded if and only if the work is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import psycopg2

from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.registry import Registry
from postroom.service.db import ServiceError

from .errors import MessageTooLarge

__all__ = ["TEMPORARY_ERRORS", "Outcome", "Source", "receive"]

_logger = logging.getLogger(__name__)

#: failures of the database, not of the message: the message is kept for another try
TEMPORARY_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError, ServiceError)


@dataclass(frozen=True)
class Source:
    """Where a message comes from, and how it is processed.

    ``server_id``: the ``fetchmail.server`` (None: the MTA pipe); ``model``: the fallback
    model; ``save_original`` and ``strip_attachments`` as in ``message_process``.
    """

    server_id: int | None = None
    model: str | None = None
    save_original: bool = False
    strip_attachments: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of a message: ``processed`` (posted on ``thread_id``), ``ignored``
    (a duplicate, an automatic reply…) or ``failed`` (kept as ``failed_id``, ``reason``)."""

    status: str
    thread_id: int | None = None
    failed_id: int | None = None
    reason: str = ""


def receive(registry: Registry, raw: bytes, source: Source, *,
            before_processing: Callable[[Environment], None] | None = None,
            keep_oversized: bool = True) -> Outcome:
    """Process ``raw`` in a transaction of its own, committed when this returns.

    With ``keep_oversized=False`` a message over the size limit is not kept: the
    MessageTooLarge propagates (the MTA pipe refuses it, so the sender is told).
    """
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
        if before_processing is not None:
            before_processing(env)
        try:
            with cr.savepoint():
                thread_id = env["mail.thread"].message_process(
                    source.model, raw, save_original=source.save_original,
                    strip_attachments=source.strip_attachments)
        except TEMPORARY_ERRORS:
            raise
        except Exception as exc:
            if isinstance(exc, MessageTooLarge) and not keep_oversized:
                raise
            failed = env["mail.incoming.failed"]._record_failure(raw, source, exc)
            _logger.warning("Incoming message kept in the failed list (mail.incoming.failed "
                            "%s): %s", failed.id, failed.reason)
            return Outcome("failed", failed_id=failed.id, reason=failed.reason)
        return Outcome("processed" if thread_id else "ignored", thread_id=thread_id or None)
