"""End to end: a chatter post leaves through the queue to a real SMTP server, threaded."""

from __future__ import annotations

from typing import Any

from postroom.testing.smtp import SMTPPeer


def test_notification_reaches_the_smtp_server_threaded(env: Any, smtp_peer: SMTPPeer,
                                                       make_user: Any, make_partner: Any) -> None:
    env["ir.mail_server"].search([]).write({"active": False})
    env["ir.mail_server"].create({"name": "Peer", "smtp_host": smtp_peer.host,
                                  "smtp_port": smtp_peer.port, "smtp_timeout": 5})
    record = env["res.partner"].create({"name": "Acme"})
    customer = make_partner(env, "Carla", email="carla@example.org")
    inbox_user = make_user(env, "Ian", notification_type="inbox")
    author = make_user(env, "Agent", email="agent@example.com")
    record.message_subscribe([customer.id, inbox_user.partner_id.id])
    first = record.with_user(author).message_post(
        body="Your order shipped.", subject="Order", message_type="comment",
        subtype_xmlid="mail_core.mt_comment")
    reply = record.with_user(author).message_post(
        body="Tracking number: 42", message_type="comment",
        subtype_xmlid="mail_core.mt_comment", parent_id=first.id)

    mails = (first | reply).mapped("notification_ids.mail_mail_id")
    assert len(mails) == 2, "the inbox user gets no email"
    mails.send()

    received = {m.message["Message-Id"]: m for m in smtp_peer.messages}
    assert set(received) == {first.message_id, reply.message_id}
    sent = received[reply.message_id]
    assert sent.rcpt_tos == ["carla@example.org"]
    headers = sent.message
    root = record.message_ids[-1].message_id
    assert headers["References"].split() == [root, first.message_id]
    assert headers["In-Reply-To"] == first.message_id
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Postroom-Objects"] == f"res.partner-{record.id}"
    assert headers["Reply-To"] == "Agent <agent@example.com>"
    assert "Tracking number: 42" in headers.get_body(("html",)).get_content()
    assert received[first.message_id].message["Subject"] == "Order"
    statuses = {(n.res_partner_id.name, n.notification_type, n.notification_status)
                for n in (first | reply).mapped("notification_ids")}
    assert statuses == {("Carla", "email", "sent"), ("Ian", "inbox", "ready")}
