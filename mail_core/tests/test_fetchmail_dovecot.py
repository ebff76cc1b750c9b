"""Fetching from a real Dovecot over IMAP and POP3, with and without TLS, on committed
databases: replies thread, new mail makes records, bad mail is kept and the rest goes on,
a crash leaves the message on the server, concurrent fetches never duplicate."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from corpus import PNG, mail
from postroom.addons.mail_core.gateway import fetcher
from postroom.addons.mail_core.gateway.fetcher import FetchReport
from postroom.addons.mail_core.gateway.imap import IMAPMailbox
from postroom.addons.mail_core.gateway.mailbox import FetchFailure
from postroom.addons.mail_core.gateway.pop import POPMailbox
from postroom.addons.mail_core.models.mail_thread_gateway import MailThread as GatewayThread
from test_fetchmail_server import LOGIN, dovecot, server_values, tls_dovecot  # noqa: F401

from postroom.service.cron import CronWorker
from postroom.testing.dovecot import Dovecot
from postroom.testing.plugin import CommittedDatabase

pytestmark = pytest.mark.external


class SimulatedCrash(BaseException):
    """The worker dies in the middle of a message (not an Exception: nothing catches it)."""


class Mailroom:
    """A committed database fetching the Dovecot mailbox; res.partner is the fallback."""

    def __init__(self, db: CommittedDatabase, peer: Dovecot, protocol: str, security: str):
        self.db, self.peer, self.protocol = db, peer, protocol
        with db.env() as env:
            model = env["ir.model"]._get("res.partner")
            server = env["fetchmail.server"].create(
                server_values(peer, protocol, security, object_id=model.id))
            server.button_confirm_login()
            self.server_id = server.id

    def deliver(self, *messages: bytes, seen: bool = False) -> None:
        for raw in messages:
            self.peer.deliver(LOGIN, raw, seen=seen)

    def fetch(self, limit: int = 50) -> FetchReport:
        with self.db.env() as env:
            [report] = env["fetchmail.server"].browse(self.server_id)._fetch_mail(limit)
            return report

    def on_server(self) -> list[set[str]]:
        """The flags of the messages still on the server."""
        return [message.flags for message in self.peer.messages(LOGIN)]

    def acknowledged(self) -> bool:
        """Every message is done with: seen (IMAP) or deleted (POP)."""
        flags = self.on_server()
        return all("\\Seen" in f for f in flags) if self.protocol == "imap" else not flags

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with self.db.env() as env:
            env.cr.execute(sql, params)
            return env.cr.fetchall()

    def subjects(self) -> list[str]:
        """Subjects of the incoming messages stored, in order."""
        return [row[0] for row in self.query(
            "SELECT subject FROM mail_message WHERE message_type = 'email' ORDER BY id")]

    def failed(self) -> list[dict[str, Any]]:
        with self.db.env() as env:
            return env["mail.incoming.failed"].search([], order="id").read(
                ["failure_type", "reason", "fetchmail_server_id", "attempt_count", "raw"])


@pytest.fixture
def mailroom(committed_db: CommittedDatabase, dovecot: Dovecot  # noqa: F811
             ) -> Callable[..., Mailroom]:
    return lambda protocol="imap", security="none": Mailroom(committed_db, dovecot, protocol,
                                                              security)


def report_counts(report: FetchReport) -> tuple[int, int, int, int]:
    assert report.error is None, report.error and report.error.detail
    return report.processed, report.ignored, report.failed, report.skipped


# ----------------------------------------------------------------------------------------
# replies and new mail, over each protocol and security
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol, security", [
    ("imap", "none"), ("imap", "starttls"), ("imap", "ssl"),
    ("pop", "none"), ("pop", "starttls"), ("pop", "ssl")])
def test_reply_threads_and_new_mail_creates_a_record(
        committed_db: CommittedDatabase, tls_dovecot: Dovecot,  # noqa: F811
        protocol: str, security: str) -> None:
    room = Mailroom(committed_db, tls_dovecot, protocol, security)
    with committed_db.env() as env:
        ticket = env["res.partner"].create({"name": "Ticket 7"})
        ours = ticket.message_post(body="Fixed?", message_type="comment",
                                   subtype_xmlid="mail_core.mt_comment")
        ticket_id, our_id = ticket.id, ours.message_id
    room.deliver(mail(subject="Re: Ticket 7", body="Yes, thanks!", in_reply_to=our_id,
                      message_id="<reply-7@example.org>"),
                 mail(subject="New request", body="Please call me.",
                      message_id="<new-8@example.org>"))
    assert report_counts(room.fetch()) == (2, 0, 0, 0)
    assert room.acknowledged()
    with committed_db.env() as env:
        reply = env["mail.message"].search([("message_id", "=", "<reply-7@example.org>")])
        assert (reply.model, reply.res_id) == ("res.partner", ticket_id)
        assert "Yes, thanks!" in reply.body
        new = env["mail.message"].search([("message_id", "=", "<new-8@example.org>")])
        assert env["res.partner"].browse(new.res_id).name == "New request"
        server = env["fetchmail.server"].browse(room.server_id)
        assert server.date and not server.last_error
    assert report_counts(room.fetch()) == (0, 0, 0, 0)  # nothing comes twice


# ----------------------------------------------------------------------------------------
# failures
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", ["imap", "pop"])
def test_bad_message_is_kept_and_the_next_ones_go_on(mailroom: Callable[..., Mailroom],
                                                     protocol: str) -> None:
    room = mailroom(protocol)
    room.deliver(mail(subject="First"), PNG * 3, mail(subject="Third"))
    assert report_counts(room.fetch()) == (2, 0, 1, 0)
    assert room.subjects() == ["First", "Third"]
    assert room.acknowledged()  # kept in the database: the server may let it go
    [failed] = room.failed()
    assert failed["failure_type"] == "not_a_message" and "This is not an email" in failed["reason"]
    assert failed["fetchmail_server_id"][0] == room.server_id
    assert report_counts(room.fetch()) == (0, 0, 0, 0)  # no loop


def test_failed_messages_are_replayed_or_discarded(mailroom: Callable[..., Mailroom]) -> None:
    room = mailroom("imap")
    with room.db.env() as env:
        env["fetchmail.server"].browse(room.server_id).object_id = False  # no fallback
    room.deliver(mail(subject="Lost?", message_id="<lost@example.org>"), PNG)
    assert report_counts(room.fetch()) == (0, 0, 2, 0)
    no_route, junk = room.failed()
    assert no_route["failure_type"] == "no_route" and "fallback model" in no_route["reason"]
    with room.db.env() as env:
        failed = env["mail.incoming.failed"].browse([no_route["id"], junk["id"]])
        failed.write({"model": "res.partner"})  # as if the server had had one
        result = failed.action_replay()
        assert result["params"]["message"] == "1 of 2 messages still fail: see their reason."
    assert room.subjects() == ["Lost?"]
    [junk] = room.failed()
    assert junk["attempt_count"] == 2
    with room.db.env() as env:
        result = env["mail.incoming.failed"].browse(junk["id"]).action_discard()
        assert result["url"] == f"/web/action/{env.ref('mail_core.action_mail_incoming_failed').id}"
    assert room.failed() == []


@pytest.mark.parametrize("protocol", ["imap", "pop"])
def test_a_crash_leaves_the_message_on_the_server(mailroom: Callable[..., Mailroom],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  protocol: str) -> None:
    room = mailroom(protocol)
    room.deliver(mail(subject="Crash test"))

    def crash(*args: Any, **kwargs: Any) -> None:
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(GatewayThread, "_message_route_process", crash)
        with pytest.raises(SimulatedCrash):
            room.fetch()
    [flags] = room.on_server()  # still there; unread for IMAP (POP's RETR reads it)
    if protocol == "imap":
        assert "\\Seen" not in flags
    assert room.subjects() == [] and room.failed() == []
    assert report_counts(room.fetch()) == (1, 0, 0, 0)
    assert room.subjects() == ["Crash test"] and room.acknowledged()


def test_lost_acknowledgements_never_process_twice(mailroom: Callable[..., Mailroom],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    imap, pop = mailroom("imap"), mailroom("pop")  # the same mailbox, fetched both ways
    imap.deliver(mail(subject="Once", message_id="<once@example.org>"))

    def lost(self: Any, key: str) -> None:
        raise FetchFailure("acknowledge", "network", "connection reset")

    with monkeypatch.context() as patch:
        patch.setattr(IMAPMailbox, "acknowledge", lost)
        report = imap.fetch()
        assert report.processed == 1 and report.error.kind == "network"
    assert "\\Seen" not in imap.on_server()[0]
    assert report_counts(imap.fetch()) == (0, 0, 0, 0)
    assert imap.acknowledged()  # acknowledged again, not processed again

    with monkeypatch.context() as patch:  # POP: the QUIT that deletes never comes
        patch.setattr(POPMailbox, "close", lambda self: self.client.close())
        assert report_counts(pop.fetch()) == (0, 1, 0, 0)  # a duplicate of IMAP's: ignored
    assert len(pop.on_server()) == 1
    assert report_counts(pop.fetch()) == (0, 0, 0, 0)
    assert pop.on_server() == [] and imap.subjects() == ["Once"]


# ----------------------------------------------------------------------------------------
# what IMAP fetches
# ----------------------------------------------------------------------------------------
def test_imap_does_not_rely_on_unseen(mailroom: Callable[..., Mailroom]) -> None:
    room = mailroom("imap")
    room.deliver(mail(subject="Read before Postroom came"), seen=True)
    room.deliver(mail(subject="Unread before Postroom came"))
    assert report_counts(room.fetch()) == (1, 0, 0, 0)
    room.deliver(mail(subject="Read by another client first"), seen=True)
    room.deliver(mail(subject="Arrived later"))
    assert report_counts(room.fetch()) == (2, 0, 0, 0)
    assert room.subjects() == ["Unread before Postroom came", "Read by another client first",
                               "Arrived later"]
    assert room.acknowledged()


# ----------------------------------------------------------------------------------------
# concurrency
# ----------------------------------------------------------------------------------------
def _slow_processing(patch: pytest.MonkeyPatch) -> None:
    process = GatewayThread.message_process

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return process(self, *args, **kwargs)

    patch.setattr(GatewayThread, "message_process", slow)


def _fetch_together(room: Mailroom) -> list[FetchReport]:
    reports: list[FetchReport] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reports.append(room.fetch())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return reports


@pytest.mark.parametrize("protocol", ["imap", "pop"])
def test_concurrent_fetches_create_no_duplicate(mailroom: Callable[..., Mailroom],
                                                monkeypatch: pytest.MonkeyPatch,
                                                protocol: str) -> None:
    room = mailroom(protocol)
    room.deliver(*(mail(subject=f"Concurrent {n}") for n in range(6)))
    _slow_processing(monkeypatch)
    reports = _fetch_together(room)
    assert sorted(report.busy for report in reports) == [False, True]
    assert sum(report.processed for report in reports) == 6
    assert sorted(room.subjects()) == [f"Concurrent {n}" for n in range(6)]


def test_without_the_lock_the_handled_keys_still_prevent_duplicates(
        mailroom: Callable[..., Mailroom], monkeypatch: pytest.MonkeyPatch) -> None:
    room = mailroom("imap")
    room.deliver(*(mail(subject=f"Raced {n}") for n in range(6)))
    _slow_processing(monkeypatch)
    monkeypatch.setattr(fetcher, "_try_lock", lambda cr, server_id: True)
    reports = _fetch_together(room)
    assert not any(report.busy for report in reports)
    assert sum(report.processed for report in reports) == 6
    assert sum(report.skipped for report in reports) == 6  # each backed out of the other's
    assert sorted(room.subjects()) == [f"Raced {n}" for n in range(6)]
    assert room.acknowledged()


# ----------------------------------------------------------------------------------------
# the scheduled action
# ----------------------------------------------------------------------------------------
def test_fetchmail_service_fetches_in_batches(mailroom: Callable[..., Mailroom]) -> None:
    room = mailroom("imap")
    room.deliver(*(mail(subject=f"Batch {n}") for n in range(5)))
    with room.db.env() as env:
        cron = env.ref("mail_core.ir_cron_mail_gateway_action")
        cron.write({"args": "(3,)", "nextcall": "2000-01-01 00:00:00"})
        cron_id = cron.id
    worker = CronWorker(room.db.database, lambda: room.db.registry)
    assert worker.run_pending() >= 1
    assert len(room.subjects()) == 3  # one batch; the rest triggered the job again
    worker.run_pending()
    assert sorted(room.subjects()) == [f"Batch {n}" for n in range(5)]
    with room.db.env() as env:
        cron = env["ir.cron"].browse(cron_id)
        assert cron.failure_count == 0 and not cron.last_error


def test_fetch_now_reports_and_server_errors_are_kept(mailroom: Callable[..., Mailroom]) -> None:
    room = mailroom("imap")
    room.deliver(mail(subject="Hello"), PNG)
    with room.db.env() as env:
        result = env["fetchmail.server"].browse(room.server_id).fetch_mail()
    assert result["params"]["type"] == "success"
    assert result["params"]["message"].endswith(
        "1 processed, 0 ignored (duplicates or automatic replies), 1 kept in the failed "
        "incoming messages.")
    room.peer.stop()
    report = room.fetch()
    assert report.error.kind == "refused"
    with room.db.env() as env:
        server = env["fetchmail.server"].browse(room.server_id)
        assert "Nothing accepts connections on 127.0.0.1" in server.last_error
        assert server.error_date and server.date and server.state == "done"
