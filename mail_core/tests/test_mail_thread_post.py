"""message_post, message_notify and _message_log: what a message holds once posted."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from postroom.exceptions import AccessError


@pytest.fixture
def partner(env):
    return env["res.partner"].create({"name": "Customer", "email": "customer@example.com"})


def test_post_message(env, partner):
    message = partner.message_post(body="Hello", subject="Greetings", message_type="comment",
                                   subtype_xmlid="mail_core.mt_comment")
    assert message.model == "res.partner" and message.res_id == partner.id
    assert message.record_name == "Customer"
    assert message.subject == "Greetings"
    assert message.body == "<p>Hello</p>"
    assert message.message_type == "comment"
    assert message.subtype_id == env.ref("mail_core.mt_comment")
    assert not message.is_internal
    assert message.author_id == env.user.partner_id
    assert message in partner.message_ids


def test_note_is_the_default_and_internal(env, partner):
    message = partner.message_post(body="Called him", message_type="comment")
    assert message.subtype_id == env.ref("mail_core.mt_note")
    assert message.is_internal


def test_text_body_is_escaped_markup_is_sanitized(env, partner):
    text = partner.message_post(body="<b>5 > 3</b>\nsecond line")
    assert text.body == "<p>&lt;b&gt;5 &gt; 3&lt;/b&gt;<br>second line</p>"
    html = partner.message_post(body=Markup('<p>Hi <b>there</b><script>alert(1)</script>'
                                            '<a href="javascript:x()">x</a></p>'))
    assert "<b>there</b>" in html.body
    assert "script" not in html.body and "javascript" not in html.body


@pytest.mark.parametrize("key", ["model", "res_id", "subtype"])
def test_post_refuses_record_and_subtype_kwargs(partner, key):
    with pytest.raises(ValueError, match=key):
        partner.message_post(body="x", **{key: "res.partner" if key == "model" else 1})


def test_post_refuses_unknown_values_and_user_notifications(partner):
    with pytest.raises(TypeError, match="nonsense"):
        partner.message_post(body="x", nonsense=1)
    with pytest.raises(ValueError, match="message_notify"):
        partner.message_post(body="x", message_type="user_notification")


def test_message_ids_are_unique_and_name_the_record(env, partner):
    env["ir.config_parameter"].set_param("mail.catchall.domain", "mail.example.org")
    first = partner.message_post(body="one", message_type="comment")
    second = partner.message_post(body="two", message_type="comment")
    assert first.message_id != second.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith(
        f"-postroom-res.partner-{partner.id}@mail.example.org>")


def test_message_id_host_falls_back_to_the_site(env):
    env["ir.config_parameter"].set_param("web.base.url", "https://crm.example.com:8443/")
    assert env["mail.message"]._generate_message_id().endswith("-postroom@crm.example.com>")


def test_author_from_user_and_from_address(env, partner, make_user):
    user = make_user(env, "Agent Smith")
    message = partner.with_user(user).message_post(body="hi", message_type="comment")
    assert message.author_id == user.partner_id
    assert message.email_from == user.partner_id.email_formatted
    by_address = partner.message_post(body="reply", message_type="email",
                                      email_from="Customer <CUSTOMER@example.com>")
    assert by_address.author_id == partner
    assert by_address.email_from == "Customer <CUSTOMER@example.com>"
    unknown = partner.message_post(body="?", message_type="email",
                                   email_from="stranger@example.net")
    assert not unknown.author_id and unknown.email_from == "stranger@example.net"
    env["res.partner"].create({"name": "Underscore", "email": "a_b@example.net"})
    lookalike = partner.message_post(body="?", message_type="email", email_from="axb@example.net")
    assert not lookalike.author_id, "the address is not a LIKE pattern"


def test_author_without_address_sends_from_the_notification_address(env, partner):
    params = env["ir.config_parameter"]
    params.set_param("mail.catchall.domain", "example.org")
    params.set_param("mail.default.from", "notifications")
    message = partner.message_post(body="system says", message_type="comment")
    assert message.author_id == env.user.partner_id  # the system partner, without address
    assert message.email_from == "System <notifications@example.org>"


def test_author_follows_except_for_notifications(env, partner, make_user):
    user = make_user(env, "Writer")
    record = partner.with_user(user)
    record.message_post(body="automatic", message_type="notification")
    assert user.partner_id not in partner.message_partner_ids
    record.message_post(body="by hand", message_type="comment")
    assert user.partner_id in partner.message_partner_ids


def test_autofollow_recipients_on_request(env, partner, make_partner):
    other = make_partner(env, "Other")
    partner.with_context(mail_post_autofollow=True).message_post(
        body="x", message_type="comment", partner_ids=[other.id])
    assert other in partner.message_partner_ids


def test_post_needs_the_post_access(env, partner, make_user):
    portal = make_user(env, "Portal", portal=True)
    portal.partner_id.parent_id = partner  # the portal user may read the customer
    with pytest.raises(AccessError):
        partner.with_user(portal).message_post(body="hi", message_type="comment")


def test_post_with_attachments(env, partner):
    upload = env["ir.attachment"].create({"name": "upload.txt", "raw": b"uploaded"})
    message = partner.message_post(body="files", attachments=[("note.txt", b"hello")],
                                   attachment_ids=[upload.id])
    assert sorted(message.attachment_ids.mapped("name")) == ["note.txt", "upload.txt"]
    assert set(message.attachment_ids.mapped("res_model")) == {"res.partner"}
    assert set(message.attachment_ids.mapped("res_id")) == {partner.id}
    assert message.attachment_ids.filtered(lambda a: a.name == "note.txt").raw == b"hello"


def test_cannot_attach_the_files_of_others(env, partner, make_user):
    first, second = make_user(env, "First"), make_user(env, "Second")
    upload = env["ir.attachment"].with_user(first).create({"name": "mine.txt", "raw": b"x"})
    with pytest.raises(AccessError):
        partner.with_user(second).message_post(body="steal", attachment_ids=[upload.id])


def test_message_notify(env, partner, make_partner):
    target = make_partner(env, "Target")
    message = partner.message_notify(partner_ids=[target.id], body="For you", subject="Notice")
    assert message.message_type == "user_notification"
    assert message.model == "res.partner" and message.res_id == partner.id
    assert message.notification_ids.res_partner_id == target
    assert not partner.message_follower_ids.filtered(lambda f: f.partner_id == target)
    assert message.id not in [m["id"] for m in partner.message_chatter_data()["messages"]]


def test_message_notify_without_record(env, make_partner):
    target = make_partner(env, "Target")
    message = env["res.partner"].message_notify(partner_ids=[target.id], body="Hello")
    assert not message.model and not message.res_id
    assert message.notification_ids.res_partner_id == target
    assert message.notification_ids.mail_mail_id


def test_message_log_notifies_nobody(env, partner, make_partner):
    follower = make_partner(env, "Follower")
    partner.message_subscribe([follower.id], [env.ref("mail_core.mt_note").id])
    message = partner._message_log(body="Logged")
    assert message.subtype_id == env.ref("mail_core.mt_note")
    assert not message.notification_ids


def test_creation_is_logged(env):
    partner = env["res.partner"].create({"name": "New"})
    [log] = partner.message_ids
    assert log.body == "<p>Contact created</p>"
    assert log.message_type == "notification" and log.is_internal
    quiet = env["res.partner"].with_context(mail_create_nolog=True).create({"name": "Quiet"})
    assert not quiet.message_ids


def test_unlink_removes_messages_and_followers(env, partner, make_partner):
    partner.message_subscribe([make_partner(env, "F").id])
    message = partner.message_post(body="bye", message_type="comment")
    partner.unlink()
    assert not message.exists()
    assert not env["mail.followers"].search([("res_model", "=", "res.partner"),
                                             ("res_id", "=", partner.id)])
