"""gateway.intake.receive: one message, one committed transaction, on a committed database."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg2
import pytest
from corpus import mail
from postroom.addons.mail_core.gateway.errors import MessageTooLarge
from postroom.addons.mail_core.gateway.intake import Outcome, Source, receive
from postroom.addons.mail_core.models.mail_thread_gateway import MailThread as GatewayThread

from postroom.testing.plugin import CommittedDatabase

PARTNERS = Source(model="res.partner")


def count(db: CommittedDatabase, sql: str, *params: Any) -> int:
    with db.env() as env:
        env.cr.execute(sql, params)
        return env.cr.fetchone()[0]


def test_processed_and_failed_messages_are_committed(committed_db: CommittedDatabase) -> None:
    done = receive(committed_db.registry, mail(subject="Hello"), PARTNERS)
    assert done.status == "processed" and done.thread_id
    kept = receive(committed_db.registry, mail(subject="Nowhere"), Source(server_id=None))
    assert kept.status == "failed" and "Nothing says where this message goes" in kept.reason
    with committed_db.env() as env:
        assert env["res.partner"].browse(done.thread_id).name == "Hello"
        failed = env["mail.incoming.failed"].browse(kept.failed_id)
        assert failed.failure_type == "no_route" and failed.subject == "Nowhere"


def test_oversized_mail_is_kept_or_refused(committed_db: CommittedDatabase) -> None:
    with committed_db.env() as env:
        env["ir.config_parameter"].set_param("mail.incoming.max_size", "0.01")
    big = mail(body="x" * 20_000)
    assert receive(committed_db.registry, big, PARTNERS).status == "failed"
    with pytest.raises(MessageTooLarge):
        receive(committed_db.registry, big, PARTNERS, keep_oversized=False)
    assert count(committed_db, "SELECT count(*) FROM mail_incoming_failed") == 1


@pytest.mark.parametrize("error", [psycopg2.OperationalError("server closed the connection"),
                                   KeyboardInterrupt()])
def test_database_failures_and_interruptions_store_nothing(
        committed_db: CommittedDatabase, monkeypatch: pytest.MonkeyPatch,
        error: BaseException) -> None:
    def fail(self: Any, *args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(GatewayThread, "message_new", fail)
    with pytest.raises(type(error)):
        receive(committed_db.registry, mail(subject="Not now"), PARTNERS)
    assert count(committed_db, "SELECT count(*) FROM mail_incoming_failed") == 0
    assert count(committed_db, "SELECT count(*) FROM res_partner WHERE name = 'Not now'") == 0


def test_concurrent_deliveries_of_one_message_take_turns(committed_db: CommittedDatabase,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The same message from two sources at once (a fetch and the MTA pipe) is stored once."""
    new = GatewayThread.message_new

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return new(self, *args, **kwargs)

    monkeypatch.setattr(GatewayThread, "message_new", slow)
    raw = mail(subject="Twice at once", message_id="<twice-at-once@example.org>")
    outcomes: list[Outcome] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        outcomes.append(receive(committed_db.registry, raw, PARTNERS))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcome.status for outcome in outcomes) == ["ignored", "processed"]
    assert count(committed_db, "SELECT count(*) FROM mail_message WHERE message_id = %s",
                 "<twice-at-once@example.org>") == 1
