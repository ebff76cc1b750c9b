"""Sending templates: send_mail, send_mail_batch, posting in the chatter, attachments, and a
rendered header injection stopped before the MIME layer (through to a real SMTP server)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from mail_template_fixtures import *  # the fixtures
from mail_template_fixtures import mail_server_for

from postroom.testing.smtp import SMTPPeer


@pytest.fixture
def template(tenv: Any) -> Any:
    attachment = tenv["ir.attachment"].create({"name": "terms.pdf", "raw": b"%PDF terms"})
    return tenv["mail.template"].create({
        "name": "Order confirmation", "model_id": tenv["ir.model"]._get_id("test.mail.order"),
        "subject": "Order {{ object.name }}", "email_from": "sales@example.com",
        "partner_to": "{{ object.partner_id.id }}", "email_cc": "boss@example.com",
        "body_html": '<p>Dear <t t-out="object.partner_id.name"/></p>',
        "attachment_ids": [(6, 0, attachment.ids)], "auto_delete": False,
    })


def test_send_mail_queues_one_mail_linked_to_the_document(tenv: Any, template: Any,
                                                          make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla")
    mail = tenv["mail.mail"].browse(template.send_mail(order.id))
    assert mail.state == "outgoing"
    assert (mail.subject, mail.email_from, mail.email_cc) == \
        ("Order SO1", "sales@example.com", "boss@example.com")
    assert mail.recipient_ids == order.partner_id
    assert mail.body_html == "<p>Dear Carla</p>"
    assert (mail.model, mail.res_id, mail.record_name) == ("test.mail.order", order.id, "SO1")
    assert mail.attachment_ids == template.attachment_ids
    assert not mail.auto_delete and not mail.scheduled_date
    assert mail.mail_message_id in order.message_ids


def test_the_template_owns_its_uploaded_files(tenv: Any, template: Any) -> None:
    assert (template.attachment_ids.res_model, template.attachment_ids.res_id) == \
        ("mail.template", template.id)


def test_send_mail_batch_personalises_each_mail(tenv: Any, template: Any,
                                                make_order: Any) -> None:
    orders = [make_order(tenv, f"SO{n}", customer=f"Customer {n}") for n in range(3)]
    mails = template.send_mail_batch([o.id for o in orders])
    assert mails.mapped("subject") == ["Order SO0", "Order SO1", "Order SO2"]
    assert [m.recipient_ids.name for m in mails] == ["Customer 0", "Customer 1", "Customer 2"]


def test_default_recipients_and_the_users_address(tenv: Any, make_order: Any) -> None:
    template = tenv["mail.template"].create({
        "name": "Default", "model_id": tenv["ir.model"]._get_id("test.mail.order"),
        "subject": "Hi", "use_default_to": True, "email_to": "ignored@example.com"})
    order = make_order(tenv, "SO1", customer="Dora")
    user = tenv["res.users"].create({"name": "Sam Seller", "login": "sam@example.com",
                                     "groups_id": [(6, 0, [tenv.ref("base.group_user").id])]})
    mail = template.with_user(user).send_mail_batch([order.id]).sudo()
    assert mail.recipient_ids == order.partner_id and not mail.email_to
    assert mail.email_from == "Sam Seller <sam@example.com>"
    assert mail.author_id == user.partner_id


def test_email_values_override_and_force_send(tenv: Any, template: Any, make_order: Any,
                                              smtp_peer: SMTPPeer) -> None:
    mail_server_for(tenv, smtp_peer)
    order = make_order(tenv, "SO1", customer="Carla")
    mail = tenv["mail.mail"].browse(template.send_mail(
        order.id, force_send=True, email_values={"subject": "Overridden"}))
    assert mail.state == "sent"
    received = smtp_peer.messages  # a copy for the customer, one for the Cc
    assert sorted(rcpt for copy in received for rcpt in copy.rcpt_tos) == \
        ["boss@example.com", "carla@example.org"]
    for copy in received:
        assert copy.message["Subject"] == "Overridden"
        assert [part.get_filename() for part in copy.message.iter_attachments()] == \
            ["terms.pdf"]


def test_a_rendered_injection_never_reaches_the_smtp_server(
        tenv: Any, make_order: Any, smtp_peer: SMTPPeer) -> None:
    mail_server_for(tenv, smtp_peer)
    order = make_order(tenv, "SO1", customer="Eve\r\nBcc: victim@example.net\r\nX-Evil: 1",
                       email="eve@example.org")
    template = tenv["mail.template"].create({
        "name": "Injected", "model_id": tenv["ir.model"]._get_id("test.mail.order"),
        "subject": "Hello {{ object.partner_id.name }}", "email_from": "shop@example.com",
        "partner_to": "{{ object.partner_id.id }}"})
    mail = tenv["mail.mail"].browse(template.send_mail(order.id, force_send=True))
    assert not mail.exists(), "sent, then deleted (auto_delete)"
    [received] = smtp_peer.messages
    assert received.rcpt_tos == ["eve@example.org"]
    headers = received.message
    assert headers["Subject"] == "Hello Eve Bcc: victim@example.net X-Evil: 1"
    assert headers["Bcc"] is None and headers["X-Evil"] is None
    head = received.data.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\r\nX-Evil:" not in head


def test_a_template_schedules_its_mails(tenv: Any, template: Any, make_order: Any) -> None:
    template.scheduled_date = "{{ (object.date_deadline - timedelta(days=1)).isoformat() }}"
    order = make_order(tenv, "SO1", customer="Carla",
                       date_deadline=datetime.datetime(2031, 5, 2, 9, 0))
    mail = tenv["mail.mail"].browse(template.send_mail(order.id))
    assert mail.scheduled_date == datetime.datetime(2031, 5, 1, 9, 0)


def test_message_post_with_template_posts_in_the_chatter(tenv: Any, template: Any,
                                                         make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla")
    [message] = order.message_post_with_template(template.id)
    assert message.subject == "Order SO1"
    assert message.body == "<p>Dear Carla</p>"
    assert message.subtype_id == tenv.ref("mail_core.mt_comment")
    # the Cc address became a contact; both are notified by email
    assert sorted(message.partner_ids.mapped("email")) == ["boss@example.com",
                                                           "carla@example.org"]
    assert sorted(message.notification_ids.mapped("res_partner_id.email")) == \
        ["boss@example.com", "carla@example.org"]
    # the document owns a copy of the template's file
    [copy] = message.attachment_ids
    assert (copy.name, copy.raw) == ("terms.pdf", b"%PDF terms")
    assert (copy.res_model, copy.res_id) == ("test.mail.order", order.id)
    assert copy != template.attachment_ids


def test_message_post_with_template_as_a_note(tenv: Any, template: Any,
                                              make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla")
    [message] = order.message_post_with_template(template.id,
                                                 subtype_xmlid="mail_core.mt_note")
    assert message.is_internal
    assert not message.notification_ids.filtered(lambda n: n.notification_type == "email")
