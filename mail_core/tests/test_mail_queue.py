"""The mail queue, in one transaction: what is sent, to whom, how failures end, actions."""

from __future__ import annotations

import base64
import datetime
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from postroom.addons.mail_core.mailer.sessions import SessionPool
from postroom.addons.mail_core.mailer.smtp import connect

from postroom.exceptions import ValidationError
from postroom.render.html import html_to_text
from postroom.testing.smtp import SMTPPeer

BODY = "<p>Hello <b>there</b>, see <a href='https://example.com/doc'>the document</a>.</p>"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@pytest.fixture(params=["one command at a time", "pipelining"])
def smtp_peer(request: pytest.FixtureRequest) -> Iterator[SMTPPeer]:
    """The SMTP peer, without and with PIPELINING (RFC 2920) on offer."""
    with SMTPPeer() as peer:
        if request.param == "pipelining":
            async def offer_pipelining(server: Any, session: Any, envelope: Any, hostname: str,
                                       responses: list[str]) -> list[str]:
                session.host_name = hostname  # what aiosmtpd's own EHLO does
                return [*responses[:-1], "250-PIPELINING", responses[-1]]

            peer._controller.handler.handle_EHLO = offer_pipelining  # type: ignore[union-attr]
        yield peer


@pytest.fixture
def server(env: Any, smtp_peer: SMTPPeer) -> Any:
    """The only active outgoing server: the SMTP peer, for any From."""
    env["ir.mail_server"].search([]).write({"active": False})
    return env["ir.mail_server"].create({"name": "Peer", "smtp_host": smtp_peer.host,
                                         "smtp_port": smtp_peer.port, "smtp_timeout": 5})


@pytest.fixture
def params(env: Any) -> Any:
    params = env["ir.config_parameter"]
    params.set_param("mail.mail.retry_delay", 10)
    params.set_param("mail.mail.max_attempts", 3)
    return params


@pytest.fixture
def partners(env: Any) -> list[Any]:
    return [env["res.partner"].create({"name": name, "email": email}) for name, email in (
        ("Ann Archer", "ann@example.org"), ("Bob Baker", "bob@example.org"))]


@pytest.fixture
def queue(env: Any, server: Any) -> Callable[..., Any]:
    """Queue a mail from ceo@example.com (``values`` override the defaults)."""
    def make(**values: Any) -> Any:
        return env["mail.mail"].create({"subject": "Quarterly report",
                                        "email_from": '"The CEO" <ceo@example.com>',
                                        "body_html": BODY, **values})
    return make


def _by_rcpt(peer: SMTPPeer) -> dict[str, Any]:
    return {rcpt: received for received in peer.messages for rcpt in received.rcpt_tos}


# ----------------------------------------------------------------------------------------
# what leaves
# ----------------------------------------------------------------------------------------
def test_each_partner_gets_a_copy_raw_addresses_share_one(env: Any, smtp_peer: SMTPPeer,
                                                         queue: Callable, partners: list) -> None:
    attachment = env["ir.attachment"].create({"name": "report.pdf", "raw": b"%PDF-1.4 report",
                                              "mimetype": "application/pdf"})
    mail = queue(recipient_ids=[(6, 0, [p.id for p in partners])],
                 email_to="cfo@example.net, Dee <dee@example.net>", email_cc="audit@example.net",
                 attachment_ids=[(6, 0, [attachment.id])])
    mail.send()
    assert mail.state == "sent" and not mail.failure_reason
    assert sorted(len(m.rcpt_tos) for m in smtp_peer.messages) == [1, 1, 3]
    received = _by_rcpt(smtp_peer)
    ann = received["ann@example.org"].message
    assert ann["To"] == "Ann Archer <ann@example.org>" and ann["Cc"] is None
    assert ann["From"] == "The CEO <ceo@example.com>" and ann["Subject"] == "Quarterly report"
    assert ann["Message-Id"] == mail.message_id
    raw = received["cfo@example.net"]
    assert raw is received["audit@example.net"]
    assert raw.message["To"] == "cfo@example.net, Dee <dee@example.net>"
    assert raw.message["Cc"] == "audit@example.net"
    assert raw.mail_from == "ceo@example.com"
    assert ann.get_body(("plain",)).get_content().strip() == html_to_text(BODY).strip()
    assert ann.get_body(("html",)).get_content().strip() == BODY
    [pdf] = ann.iter_attachments()
    assert pdf.get_filename() == "report.pdf" and pdf.get_content() == b"%PDF-1.4 report"
    assert not mail.recipient_results  # nothing left to track


def test_an_address_listed_twice_gets_one_copy(smtp_peer: SMTPPeer, queue: Callable,
                                               partners: list) -> None:
    queue(recipient_ids=[(6, 0, [partners[0].id])],
          email_to="ANN@example.org, cfo@example.net", email_cc="cfo@example.net").send()
    assert sorted(rcpt for m in smtp_peer.messages for rcpt in m.rcpt_tos) == [
        "ann@example.org", "cfo@example.net"]


def test_header_injection_through_the_mail(env: Any, smtp_peer: SMTPPeer, queue: Callable) -> None:
    partner = env["res.partner"].create({"name": "Eve\r\nBcc: victim@example.net",
                                         "email": "eve@example.org"})
    mail = queue(subject="Hi\r\nBcc: victim@example.net", recipient_ids=[(6, 0, [partner.id])],
                 email_from='"Boss\r\nX-Injected: 1" <ceo@example.com>')
    mail.send()
    [received] = smtp_peer.messages
    assert received.rcpt_tos == ["eve@example.org"]
    assert received.message["Bcc"] is None and received.message["X-Injected"] is None
    assert received.message["Subject"] == "Hi Bcc: victim@example.net"
    with pytest.raises(ValidationError, match="line breaks"):
        queue(email_to="x@example.org", headers={"X-Note": "a\r\nBcc: victim@example.net"})


def test_extra_headers_are_sent(smtp_peer: SMTPPeer, queue: Callable) -> None:
    headers = {"Auto-Submitted": "auto-generated", "References": "<a@example.com> <b@example.com>",
               "In-Reply-To": "<b@example.com>"}
    queue(email_to="x@example.org", headers=headers).send()
    message = smtp_peer.messages[0].message
    assert {name: message[name] for name in headers} == headers


def test_unauthorised_from_is_rewritten(env: Any, smtp_peer: SMTPPeer, queue: Callable,
                                        server: Any) -> None:
    env["ir.config_parameter"].set_param("mail.default.from", "notifications")
    env["ir.config_parameter"].set_param("mail.catchall.domain", "example.com")
    server.from_filter = "example.com"
    queue(email_from='"Joe Bloggs" <joe@gmail.com>', email_to="x@example.org").send()
    [received] = smtp_peer.messages
    assert received.message["From"] == "Joe Bloggs <notifications@example.com>"
    assert received.message["Reply-To"] == "Joe Bloggs <joe@gmail.com>"
    assert received.mail_from == "notifications@example.com"


def test_the_mail_server_may_be_forced(env: Any, smtp_peer: SMTPPeer, queue: Callable) -> None:
    with SMTPPeer() as other:
        forced = env["ir.mail_server"].create({"name": "Forced", "smtp_host": other.host,
                                               "smtp_port": other.port, "sequence": 99})
        queue(email_to="x@example.org", mail_server_id=forced.id).send()
        assert len(other.messages) == 1 and smtp_peer.messages == []


def test_one_session_for_many_mails(env: Any, smtp_peer: SMTPPeer, queue: Callable) -> None:
    opened = []

    def counting(config: Any) -> Any:
        opened.append(config)
        return connect(config)

    mails = env["mail.mail"].browse()
    for number in range(5):
        mails |= queue(email_to=f"reader{number}@example.org")
    with SessionPool(counting) as sessions:
        mails._send(sessions)
    assert len(smtp_peer.messages) == 5 and len(opened) == 1


def test_a_session_that_died_while_idle_is_replaced(smtp_peer: SMTPPeer,
                                                    queue: Callable) -> None:
    first, second = queue(email_to="a@example.org"), queue(email_to="b@example.org")
    with SessionPool() as sessions:
        first._send(sessions)
        [(session, _used)] = sessions._sessions.values()
        session.client.sock.shutdown(socket.SHUT_RDWR)  # as if the server had hung up
        second._send(sessions)
    assert (second.state, second.attempt_count) == ("sent", 0)
    assert len(smtp_peer.messages) == 2


def test_scheduled_mail_waits(env: Any, smtp_peer: SMTPPeer, queue: Callable) -> None:
    later = queue(email_to="x@example.org", scheduled_date=_now() + datetime.timedelta(hours=1))
    with SessionPool() as sessions:
        later._send(sessions, due_only=True)
        assert later.state == "outgoing" and smtp_peer.messages == []
        later.scheduled_date = _now() - datetime.timedelta(seconds=1)
        later._send(sessions, due_only=True)
    assert later.state == "sent"


def test_auto_delete_keeps_the_message(env: Any, queue: Callable) -> None:
    mail = queue(email_to="x@example.org", auto_delete=True)
    message = mail.mail_message_id
    mail.send()
    assert not mail.exists() and message.exists()


# ----------------------------------------------------------------------------------------
# failures: permanent at once, temporary with backoff
# ----------------------------------------------------------------------------------------
def test_refused_recipient_does_not_fail_the_others(smtp_peer: SMTPPeer, queue: Callable,
                                                    partners: list) -> None:
    smtp_peer.reject_rcpt["bob@example.org"] = "550 5.1.1 <bob@example.org>: no such user"
    smtp_peer.reject_rcpt["dee@example.net"] = "550 5.1.1 <dee@example.net>: no such user"
    mail = queue(recipient_ids=[(6, 0, [p.id for p in partners])],
                 email_to="cfo@example.net, dee@example.net")
    mail.send()
    assert set(_by_rcpt(smtp_peer)) == {"ann@example.org", "cfo@example.net"}
    assert mail.state == "sent" and mail.failure_type == "mail_bounce"
    assert mail.failure_reason.startswith("Not delivered to 2 of 4 recipients:")
    assert "bob@example.org" in mail.failure_reason and "550 5.1.1" in mail.failure_reason
    assert mail.recipient_results["ann@example.org"] == "sent"
    assert mail.recipient_results["dee@example.net"][0] == "mail_bounce"


def test_all_recipients_refused(smtp_peer: SMTPPeer, queue: Callable) -> None:
    smtp_peer.reject_rcpt["x@example.org"] = "550 5.1.1 no such user"
    mail = queue(email_to="x@example.org")
    mail.send()
    assert mail.state == "exception" and mail.failure_type == "mail_bounce"
    assert "refused the recipient: 550 5.1.1 no such user" in mail.failure_reason


@pytest.mark.parametrize("reply, failure_type, words", [
    ("554 5.7.1 Message rejected as spam", "mail_smtp", "refused the message: 554 5.7.1"),
    ("552 5.3.4 Message too big for system", "mail_size", "too large"),
])
def test_message_refused_permanently(smtp_peer: SMTPPeer, queue: Callable, params: Any,
                                     reply: str, failure_type: str, words: str) -> None:
    smtp_peer.next_replies.append(reply)
    mail = queue(email_to="x@example.org")
    mail.send()
    assert (mail.state, mail.failure_type, mail.attempt_count) == ("exception", failure_type, 0)
    assert words in mail.failure_reason


def test_sender_refused(smtp_peer: SMTPPeer, queue: Callable) -> None:
    async def refuse(server: Any, session: Any, envelope: Any, address: str,
                     options: list[str]) -> str:
        return "553 5.7.1 Sender address rejected: not owned by user"

    smtp_peer._controller.handler.handle_MAIL = refuse  # type: ignore[union-attr]
    mail = queue(email_to="x@example.org")
    mail.send()
    assert (mail.state, mail.failure_type) == ("exception", "mail_from_invalid")
    assert "refused the sender: 553 5.7.1" in mail.failure_reason


def test_too_large_for_the_server_settings(env: Any, smtp_peer: SMTPPeer, queue: Callable,
                                           server: Any) -> None:
    server.max_email_size = 0.01
    attachment = env["ir.attachment"].create({"name": "big.bin", "raw": b"\x01" * 20_000})
    mail = queue(email_to="x@example.org", attachment_ids=[(6, 0, [attachment.id])])
    mail.send()
    assert (mail.state, mail.failure_type) == ("exception", "mail_size")
    assert "takes at most 0.0 MB" in mail.failure_reason and smtp_peer.messages == []


def test_too_large_for_the_server_itself(env: Any, queue: Callable, server: Any) -> None:
    with SMTPPeer(max_size=300) as small:
        server.smtp_port = small.port
        mail = queue(email_to="x@example.org")
        mail.send()
        assert (mail.state, mail.failure_type) == ("exception", "mail_size")
        assert "552" in mail.failure_reason and small.messages == []


def test_invalid_and_missing_addresses(env: Any, smtp_peer: SMTPPeer, queue: Callable) -> None:
    nameless = env["res.partner"].create({"name": "No Mail"})
    mail = queue(email_to="nobody, ok@example.org, bad@exa_mple.org",
                 recipient_ids=[(6, 0, [nameless.id])])
    mail.send()
    assert list(_by_rcpt(smtp_peer)) == ["ok@example.org"]
    assert mail.state == "sent"
    results = mail.recipient_results
    assert results["nobody"][0] == "mail_email_invalid"
    assert results["bad@exa_mple.org"][0] == "mail_email_invalid"
    assert results[f"partner-{nameless.id}"] == ["mail_email_missing",
                                                 "No Mail has no email address."]


def test_no_recipient_at_all(queue: Callable) -> None:
    mail = queue()
    mail.send()
    assert (mail.state, mail.failure_type) == ("exception", "mail_email_missing")


def test_no_sender(env: Any, queue: Callable) -> None:
    mail = queue(email_from=False, email_to="x@example.org")
    mail.send()
    assert (mail.state, mail.failure_type) == ("exception", "mail_from_missing")
    assert "mail.default.from" in mail.failure_reason


def test_temporary_failure_is_retried_with_backoff(smtp_peer: SMTPPeer, queue: Callable,
                                                   params: Any) -> None:
    smtp_peer.next_replies.extend(["451 4.3.0 Try again later", "452 4.3.1 Out of space"])
    mail = queue(email_to="x@example.org")
    before = _now()
    mail.send()
    assert (mail.state, mail.attempt_count, mail.failure_type) == ("outgoing", 1, "mail_smtp")
    assert "Attempt 1 of 3 failed" in mail.failure_reason and "451 4.3.0" in mail.failure_reason
    assert datetime.timedelta(seconds=9) < mail.next_attempt - before < datetime.timedelta(
        seconds=12)
    before = _now()
    mail.send()
    assert mail.attempt_count == 2 and "452 4.3.1" in mail.failure_reason
    assert datetime.timedelta(seconds=19) < mail.next_attempt - before < datetime.timedelta(
        seconds=22)
    mail.send()
    assert (mail.state, mail.attempt_count, mail.next_attempt) == ("sent", 2, False)
    assert not mail.failure_reason and len(smtp_peer.messages) == 1


def test_gives_up_after_the_last_attempt(smtp_peer: SMTPPeer, queue: Callable,
                                         params: Any) -> None:
    smtp_peer.next_replies.extend(["451 4.3.0 Try again later"] * 3)
    mail = queue(email_to="x@example.org")
    for _attempt in range(3):
        mail.send()
    assert (mail.state, mail.attempt_count, mail.failure_type) == ("exception", 3, "mail_smtp")
    assert "given up after 3 attempts" in mail.failure_reason


def test_retry_goes_only_to_recipients_not_reached(smtp_peer: SMTPPeer, queue: Callable,
                                                   partners: list, params: Any) -> None:
    smtp_peer.reject_rcpt["bob@example.org"] = "450 4.2.1 Mailbox busy"
    mail = queue(recipient_ids=[(6, 0, [p.id for p in partners])], email_to="cfo@example.net")
    mail.send()
    assert mail.state == "outgoing" and mail.attempt_count == 1
    assert set(_by_rcpt(smtp_peer)) == {"ann@example.org", "cfo@example.net"}
    smtp_peer.reset()
    mail.send()
    assert mail.state == "sent" and list(_by_rcpt(smtp_peer)) == ["bob@example.org"]


@pytest.mark.parametrize("trouble", ["421", "drop"])
def test_lost_connection_is_temporary(smtp_peer: SMTPPeer, queue: Callable, params: Any,
                                      trouble: str) -> None:
    if trouble == "421":
        smtp_peer.next_replies.append("421 4.3.2 Shutting down")
    else:
        smtp_peer.drop_connection_next = 1
    mail = queue(email_to="x@example.org")
    second = queue(email_to="y@example.org")
    with SessionPool() as sessions:
        (mail | second)._send(sessions)
    assert (mail.state, mail.attempt_count) == ("outgoing", 1)
    assert second.state == "sent"  # a new session took over
    mail.send()
    assert mail.state == "sent" and len(smtp_peer.messages) == 2


def test_server_unreachable_is_temporary(env: Any, queue: Callable, server: Any,
                                         params: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        server.smtp_port = probe.getsockname()[1]
    mails = queue(email_to="x@example.org") | queue(email_to="y@example.org")
    mails.send()
    for mail in mails:
        assert (mail.state, mail.attempt_count) == ("outgoing", 1)
        assert "Nothing accepts connections" in mail.failure_reason


def test_no_server_is_temporary(env: Any, queue: Callable, server: Any, params: Any) -> None:
    server.active = False
    mail = queue(email_to="x@example.org")
    mail.send()
    assert (mail.state, mail.attempt_count) == ("outgoing", 1)
    assert "No outgoing mail server" in mail.failure_reason


def test_sending_limit_postpones_without_counting_an_attempt(smtp_peer: SMTPPeer,
                                                             queue: Callable, server: Any) -> None:
    server.write({"warmup_start_date": datetime.date.today(), "warmup_first_day_limit": 2})
    mails = [queue(email_to=f"r{n}@example.org") for n in range(3)]
    for mail in mails:
        mail.send()
    assert [m.state for m in mails] == ["sent", "sent", "outgoing"]
    assert len(smtp_peer.messages) == 2 and server.sent_today == 2
    assert mails[2].attempt_count == 0 and "sending limits of Peer" in mails[2].failure_reason
    tomorrow = datetime.datetime.combine(datetime.date.today() + datetime.timedelta(days=1),
                                         datetime.time())
    assert mails[2].next_attempt == tomorrow


# ----------------------------------------------------------------------------------------
# actions and notifications
# ----------------------------------------------------------------------------------------
def test_cancel_retry_and_send_now(smtp_peer: SMTPPeer, queue: Callable, params: Any) -> None:
    mail = queue(email_to="x@example.org", scheduled_date=_now() + datetime.timedelta(days=1))
    mail.cancel()
    assert mail.state == "cancel"
    mail.action_retry()
    assert mail.state == "outgoing"
    mail.action_send()  # whatever the schedule
    assert mail.state == "sent" and len(smtp_peer.messages) == 1
    mail.cancel()
    assert mail.state == "sent"  # too late


def test_retry_after_exception(smtp_peer: SMTPPeer, queue: Callable) -> None:
    smtp_peer.reject_rcpt["x@example.org"] = "550 5.1.1 no such user"
    mail = queue(email_to="x@example.org, y@example.org")
    mail.send()
    assert mail.state == "sent" and mail.failure_type == "mail_bounce"
    smtp_peer.reset()
    mail.write({"state": "exception"})
    mail.action_retry()
    assert (mail.state, mail.failure_reason, mail.attempt_count) == ("outgoing", False, 0)
    mail.send()
    assert list(_by_rcpt(smtp_peer)) == ["x@example.org"]  # not y again


def test_notifications_follow_delivery(env: Any, smtp_peer: SMTPPeer, server: Any,
                                       partners: list) -> None:
    smtp_peer.reject_rcpt["bob@example.org"] = "550 5.1.1 no such user"
    document = env["res.partner"].create({"name": "Acme", "email": "acme@example.com"})
    message = document.message_post(body="Ping", partner_ids=[p.id for p in partners],
                                    subtype_xmlid="mail_core.mt_comment",
                                    email_from="ceo@example.com")
    mails = env["mail.mail"].search([("mail_message_id", "=", message.id)])
    assert mails
    mails.send()
    status = {n.res_partner_id.email: (n.notification_status, n.failure_type)
              for n in message.notification_ids}
    assert status["ann@example.org"] == ("sent", False)
    assert status["bob@example.org"] == ("bounce", "mail_bounce")
    received = _by_rcpt(smtp_peer)["ann@example.org"].message
    assert received["Auto-Submitted"] == "auto-generated"


def test_cancel_cancels_notifications(env: Any, server: Any, partners: list) -> None:
    document = env["res.partner"].create({"name": "Acme"})
    message = document.message_post(body="Ping", partner_ids=[partners[0].id],
                                    subtype_xmlid="mail_core.mt_comment",
                                    email_from="ceo@example.com")
    env["mail.mail"].search([("mail_message_id", "=", message.id)]).cancel()
    assert message.notification_ids.mapped("notification_status") == ["canceled"]


def test_attachments_from_base64(env: Any, smtp_peer: SMTPPeer, queue: Callable) -> None:
    attachment = env["ir.attachment"].create({"name": "a.txt",
                                              "datas": base64.b64encode(b"content")})
    queue(email_to="x@example.org", attachment_ids=[(6, 0, [attachment.id])]).send()
    [part] = smtp_peer.messages[0].message.iter_attachments()
    assert part.get_payload(decode=True) == b"content"
