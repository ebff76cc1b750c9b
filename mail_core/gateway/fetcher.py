"""Fetching one incoming mail server: a batch of messages, each in its own transaction.

:func:`fetch` is what Fetch Now and the "Mail: Fetchmail Service" scheduled action do for
each server:

1. Take the server's fetch lock, a transaction-level advisory lock held on a connection
   of its own for the whole fetch: a second fetch of the same server (another worker, a
   click on Fetch Now) finds it taken and returns at once.
2. Open the mailbox and plan (:class:`~.mailbox.Plan`) from the keys handled so far,
   kept in ``fetchmail_server_uid``: record the baseline, forget stale keys, acknowledge
   again what was handled but not acknowledged.
3. For each message of the batch: fetch it, then :func:`~.intake.receive` it, recording
   its key in the same transaction (``INSERT … ON CONFLICT DO NOTHING``: if the key is
   there already, a concurrent fetch handled the message and this one backs out), then,
   once committed, acknowledge it on the server.

A failure of the server (connection lost…) ends the batch with a
:class:`~.mailbox.FetchFailure`; what was committed stays committed, and the rest waits
for the next fetch. The server's settings and bookkeeping are written by the caller: the
fetch itself never touches the ``fetchmail_server`` row, which the caller's transaction
may hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from postroom.orm.environment import Environment
from postroom.orm.registry import Registry
from postroom.service.db import Cursor

from .intake import Source, receive
from .mailbox import FetchFailure, Mailbox, MailboxConfig, open_mailbox

__all__ = ["FetchReport", "fetch"]

_logger = logging.getLogger(__name__)

#: advisory lock space of the fetch locks, one lock per server ("fetc")
FETCH_LOCK_SPACE = 0x66657463
MESSAGE, BASELINE = "message", "baseline"


class AlreadyHandled(Exception):
    """The message's key was recorded meanwhile, by a concurrent fetch."""


@dataclass
class FetchReport:
    """What a fetch did: messages ``processed``, ``ignored`` (duplicates, automatic
    replies…), ``failed`` (kept in the failed list), ``skipped`` (handled by another fetch
    meanwhile), ``remaining`` beyond the batch; ``busy`` when another fetch of the server
    was running; ``error`` when the server failed."""

    processed: int = 0
    ignored: int = 0
    failed: int = 0
    skipped: int = 0
    remaining: int = 0
    busy: bool = False
    error: FetchFailure | None = None


def fetch(registry: Registry, config: MailboxConfig, source: Source, limit: int) -> FetchReport:
    """Fetch and process up to ``limit`` messages of the server ``source.server_id``."""
    lock = registry.cursor()
    try:
        if not _try_lock(lock, source.server_id):
            return FetchReport(busy=True)
        report = FetchReport()
        try:
            mailbox = open_mailbox(config)
        except FetchFailure as failure:
            report.error = failure
            return report
        try:
            _fetch_batch(registry, mailbox, source, limit, report)
        except FetchFailure as failure:
            report.error = failure
        finally:
            mailbox.close()
        return report
    finally:
        lock.close()  # rolls back: the lock is released


def _try_lock(cr: Cursor, server_id: int | None) -> bool:
    """Take the fetch lock of the server until ``cr``'s transaction ends; False if taken."""
    cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (FETCH_LOCK_SPACE, server_id))
    row = cr.fetchone()
    return bool(row and row[0])


def _fetch_batch(registry: Registry, mailbox: Mailbox, source: Source, limit: int,
                 report: FetchReport) -> None:
    server_id, scope = source.server_id, mailbox.scope
    with registry.cursor() as cr:
        cr.execute("DELETE FROM fetchmail_server_uid WHERE server_id = %s AND scope != %s",
                   (server_id, scope))
        cr.execute("SELECT kind, uid FROM fetchmail_server_uid WHERE server_id = %s"
                   " AND scope = %s", (server_id, scope))
        rows = cr.fetchall()
    handled = {uid for kind, uid in rows if kind == MESSAGE}
    baseline = next((uid for kind, uid in rows if kind == BASELINE), None)
    plan = mailbox.plan(handled, baseline)
    with registry.cursor() as cr:
        if plan.baseline is not None:
            _record(cr, server_id, scope, BASELINE, plan.baseline)
        cr.execute("DELETE FROM fetchmail_server_uid WHERE server_id = %s AND scope = %s"
                   " AND kind = %s AND uid = ANY(%s)", (server_id, scope, MESSAGE, plan.stale))
    for key in plan.unacknowledged:
        mailbox.acknowledge(key)
    report.remaining = max(0, len(plan.keys) - limit)
    for key in plan.keys[:limit]:
        raw = mailbox.fetch(key)
        if raw is None:  # expunged by another client since the plan
            continue

        def mark(env: Environment, key: str = key) -> None:
            if not _record(env.cr, server_id, scope, MESSAGE, key):
                raise AlreadyHandled(key)

        try:
            outcome = receive(registry, raw, source, before_processing=mark)
        except AlreadyHandled:
            report.skipped += 1
            continue
        setattr(report, outcome.status, getattr(report, outcome.status) + 1)
        mailbox.acknowledge(key)


def _record(cr: Cursor, server_id: int | None, scope: str, kind: str, uid: str) -> bool:
    """Record a handled key; False if it was there already."""
    cr.execute("INSERT INTO fetchmail_server_uid (server_id, scope, kind, uid)"
               " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
               (server_id, scope, kind, uid))
    return cr.fetchone() is not None
