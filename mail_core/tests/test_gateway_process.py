"""message_process: replies thread, new mail makes records, duplicates and auto-replies are
ignored, loops are stopped, files are kept; message_route is the extension point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from corpus import PNG, mail
from postroom.addons.mail_core.gateway.errors import (
    LoopDetected,
    MessageTooLarge,
    NotAMessage,
    RoutingError,
)
from postroom.addons.mail_core.gateway.parser import read_message
from postroom.addons.mail_core.models.mail_thread_gateway import MailThread as GatewayThread
from postroom.addons.mail_core.models.mail_thread_gateway import Route

from postroom.orm.environment import SUPERUSER_ID

Make = Callable[..., Any]


def process(env: Any, raw: bytes, model: str | None = "res.partner", **options: Any) -> Any:
    """Process ``raw``; the record it went to (or False)."""
    thread_id = env["mail.thread"].message_process(model, raw, **options)
    return env[model or "res.partner"].browse(thread_id) if thread_id else False


def emails(record: Any) -> Any:
    return record.message_ids.filtered(lambda message: message.message_type == "email")


@pytest.fixture
def ticket(env: Any, make_user: Make) -> Any:
    """A partner used as a ticket: an agent follows it, by email; it has one public message."""
    record = env["res.partner"].create({"name": "Ticket 42"})
    agent = make_user(env, "Agent", notification_type="email")
    record.message_subscribe([agent.partner_id.id])
    record.message_post(body="We are on it.", message_type="comment",
                        subtype_xmlid="mail_core.mt_comment")
    return record


def our_message(record: Any) -> Any:
    return record.message_ids.filtered(lambda m: m.message_type == "comment")[:1]


# ----------------------------------------------------------------------------------------
# new mail and replies
# ----------------------------------------------------------------------------------------
def test_new_mail_creates_a_record_of_the_fallback_model(env: Any) -> None:
    raw = mail(subject="Printer on fire", body="It burns.", message_id="<new-1@example.org>",
               headers={"Reply-To": "Ann's desk <desk@example.org>"})
    partner = process(env, raw)
    assert partner.name == "Printer on fire"
    [message] = partner.message_ids  # no "created" log before it
    assert message.message_type == "email" and message.message_id == "<new-1@example.org>"
    assert message.subject == "Printer on fire" and "It burns." in message.body
    assert message.email_from == "Ann Smith <ann@example.org>" and not message.author_id
    assert message.reply_to == "Ann's desk <desk@example.org>"
    assert message.subtype_id == env.ref("mail_core.mt_comment") and not message.is_internal
    assert not partner.message_partner_ids  # nobody follows: unknown sender, no admin
    assert message.create_uid.id == SUPERUSER_ID


def test_known_sender_is_the_author_and_follows(env: Any, make_partner: Make) -> None:
    ann = make_partner(env, "Ann", email="ANN@example.org")
    partner = process(env, mail(subject="Hello"))
    [message] = emails(partner)
    assert message.author_id == ann
    assert partner.message_partner_ids == ann


def test_sender_with_a_user_creates_the_record(env: Any, make_user: Make,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ivy = make_user(env, "Ivy", email="ivy@example.org")
    creators = []
    create = GatewayThread.message_new

    def spy(self: Any, msg_dict: dict[str, Any], custom_values: Any = None) -> Any:
        creators.append((self.env.uid, self.env.su))
        return create(self, msg_dict, custom_values)

    monkeypatch.setattr(GatewayThread, "message_new", spy)
    partner = process(env, mail(sender="Ivy <ivy@example.org>", subject="From a user"))
    assert creators == [(ivy.id, True)]  # as the sender's user, with the gateway's rights
    assert emails(partner).author_id == ivy.partner_id
    assert emails(partner).create_uid == ivy


def test_custom_values_fill_the_new_record(env: Any) -> None:
    partner = process(env, mail(subject="With values"), custom_values={"ref": "WEB-1"})
    assert (partner.name, partner.ref) == ("With values", "WEB-1")


def test_reply_threads_into_its_record_and_notifies_followers(env: Any, ticket: Any,
                                                             make_partner: Make) -> None:
    carl = make_partner(env, "Carl", email="carl@example.org")
    parent = our_message(ticket)
    raw = mail(sender="Carl <carl@example.org>", subject="Re: Ticket 42", body="Thanks!",
               in_reply_to=parent.message_id, references=f"<older@x> {parent.message_id}")
    assert process(env, raw) == ticket
    [reply] = emails(ticket)
    assert reply.parent_id == parent and reply.author_id == carl
    assert reply.subtype_id == env.ref("mail_core.mt_comment")
    assert carl in ticket.message_partner_ids
    agent = ticket.message_partner_ids - carl
    assert reply.notification_ids.res_partner_id == agent  # the author is not told
    assert env["res.partner"].search_count([("name", "=", "Re: Ticket 42")]) == 0


def test_reply_found_through_references_alone(env: Any, ticket: Any) -> None:
    parent = our_message(ticket)
    raw = mail(subject="Outlook dropped In-Reply-To", references=f"{parent.message_id} <x@y>")
    assert process(env, raw) == ticket


def test_reply_to_an_internal_note_stays_internal(env: Any, ticket: Any) -> None:
    note = ticket.message_post(body="Internal: customer is VIP", message_type="comment")
    reply = emails(process(env, mail(subject="Re: note", in_reply_to=note.message_id)))
    assert reply.is_internal and reply.subtype_id == env.ref("mail_core.mt_note")
    assert reply.parent_id == note


def test_reply_to_a_deleted_record_is_new_mail(env: Any, ticket: Any) -> None:
    parent_id = our_message(ticket).message_id
    ticket.unlink()
    partner = process(env, mail(subject="Re: gone", in_reply_to=parent_id))
    assert partner.exists() and partner.name == "Re: gone"


def test_duplicates_are_ignored(env: Any) -> None:
    raw = mail(subject="Twice", message_id="<twice@example.org>")
    first = process(env, raw)
    assert process(env, raw) is False
    assert env["mail.message"].search_count([("message_id", "=", "<twice@example.org>")]) == 1
    assert len(emails(first)) == 1


def test_missing_message_id_gets_one(env: Any) -> None:
    [message] = emails(process(env, mail(subject="No id")))
    assert message.message_id.startswith("<") and "postroom" in message.message_id


# ----------------------------------------------------------------------------------------
# refused and ignored mail
# ----------------------------------------------------------------------------------------
def test_without_a_route_the_message_is_refused(env: Any) -> None:
    with pytest.raises(RoutingError, match="fallback model"):
        env["mail.thread"].message_process(None, mail(to="nobody@example.com"))
    with pytest.raises(RoutingError, match="has no chatter|not a model with a chatter"):
        env["mail.thread"].message_process("res.country", mail())


def test_too_large_is_refused_with_the_limit(env: Any) -> None:
    env["ir.config_parameter"].set_param("mail.incoming.max_size", "0.01")
    with pytest.raises(MessageTooLarge, match=r"0\.02 MB, larger than the 0\.01 MB"):
        process(env, mail(body="x" * 20_000))
    assert process(env, mail(body="small"))


def test_data_without_headers_is_not_a_message(env: Any) -> None:
    with pytest.raises(NotAMessage):
        process(env, PNG)


def test_auto_reply_to_nothing_known_is_dropped(env: Any) -> None:
    count = env["res.partner"].search_count([])
    raw = mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})
    assert process(env, raw) is False
    assert env["res.partner"].search_count([]) == count


def test_automatic_mail_is_an_internal_note_never_emailed(env: Any, ticket: Any) -> None:
    raw = mail(subject="Automatic reply: Ticket 42", in_reply_to=our_message(ticket).message_id,
               headers={"Auto-Submitted": "auto-replied"})
    assert process(env, raw) == ticket
    reply = emails(ticket)
    assert reply.is_internal and reply.subtype_id == env.ref("mail_core.mt_note")
    assert not env["mail.mail"].search([("mail_message_id", "=", reply.id)])
    alert = process(env, mail(subject="Disk full on db1", headers={"Auto-Submitted":
                                                                    "auto-generated"}))
    assert alert.name == "Disk full on db1" and emails(alert).is_internal


def test_mail_from_our_notification_address_is_ignored(env: Any) -> None:
    params = env["ir.config_parameter"]
    params.set_param("mail.default.from", "notifications")
    params.set_param("mail.catchall.domain", "example.com")
    raw = mail(sender="Ann (via Postroom) <notifications@example.com>", subject="Loop?")
    assert process(env, raw) is False


def test_loop_protection_on_new_records_and_on_one_record(env: Any, ticket: Any) -> None:
    env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", "3")
    for number in range(3):
        process(env, mail(sender="robot@example.net", subject=f"Alert {number}"))
    with pytest.raises(LoopDetected, match="robot@example.net already sent 3 messages"):
        process(env, mail(sender="robot@example.net", subject="Alert 3"))
    replay = env["mail.thread"].with_context(mail_gateway_replay=True)
    assert replay.message_process("res.partner", mail(sender="robot@example.net", subject="Ok"))
    parent = our_message(ticket).message_id
    for number in range(3):
        process(env, mail(sender="echo@example.net", subject=f"Re {number}", in_reply_to=parent))
    with pytest.raises(LoopDetected, match=f"res.partner,{ticket.id}"):
        process(env, mail(sender="echo@example.net", subject="Re 3", in_reply_to=parent))


# ----------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------
def inline_image_mail() -> bytes:
    return (b"From: ann@example.org\r\nSubject: Logo\r\nContent-Type: multipart/mixed; boundary=m"
            b"\r\n\r\n--m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\n"
            b"Content-Type: text/html\r\n\r\n<p>Our logo: <img src=\"cid:logo@x\"></p>\r\n--r\r\n"
            b"Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: "
            b"base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n--m\r\nContent-Type: application/pdf; "
            b"name=quote.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--m--\r\n")


def test_attachments_and_inline_images_are_stored(env: Any) -> None:
    env["ir.config_parameter"].set_param("web.base.url", "https://crm.example.com")
    partner = process(env, inline_image_mail())
    [message] = emails(partner)
    image, pdf = message.attachment_ids.sorted("id")
    assert (pdf.name, pdf.raw, pdf.mimetype) == ("quote.pdf", b"%PDF-", "application/pdf")
    assert image.mimetype == "image/png" and image.raw.startswith(b"\x89PNG")
    assert (image.res_model, image.res_id) == ("res.partner", partner.id)
    assert f'<img src="https://crm.example.com/web/image/{image.id}">' in message.body


def test_keep_original_and_strip_attachments(env: Any) -> None:
    raw = inline_image_mail()
    original = emails(process(env, raw, save_original=True, strip_attachments=True))
    assert original.attachment_ids.mapped("name") == ["original_email.eml"]
    assert original.attachment_ids.raw == raw
    assert 'src="cid:logo@x"' in original.body


# ----------------------------------------------------------------------------------------
# routing: the extension point
# ----------------------------------------------------------------------------------------
def test_message_route_reports_where_mail_goes(env: Any, ticket: Any) -> None:
    thread = env["mail.thread"]
    reply = read_message(mail(in_reply_to=our_message(ticket).message_id))
    assert thread.message_route(reply, thread.message_parse(reply), "res.partner") == [
        Route("res.partner", ticket.id)]
    new = read_message(mail())
    assert thread.message_route(new, thread.message_parse(new), "res.partner",
                                custom_values={"ref": "X"}) == [Route("res.partner", None,
                                                                      {"ref": "X"})]


def test_routes_from_the_recipients_come_before_the_fallback(
        env: Any, ticket: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What mail_alias does: a route chosen by the recipient address."""
    def by_recipient(self: Any, message: Any, message_dict: dict[str, Any]) -> list[Route]:
        if "support@example.com" in message_dict["recipients"]:
            return [Route("res.partner", ticket.id)]
        return []

    monkeypatch.setattr(GatewayThread, "_message_route_recipients", by_recipient)
    assert process(env, mail(to="Support <support@example.com>", subject="New")) == ticket
    assert process(env, mail(to="sales@example.com", subject="Elsewhere")) != ticket
