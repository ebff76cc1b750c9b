"""Who may read, write and delete messages."""

from __future__ import annotations

import pytest

from postroom.exceptions import AccessError


@pytest.fixture
def customer(env):
    return env["res.partner"].create({"name": "Customer", "email": "customer@example.com"})


@pytest.fixture
def portal(env, customer, make_user):
    user = make_user(env, "Portal", portal=True)
    user.partner_id.parent_id = customer  # so the portal user reads the customer's record
    return user


@pytest.fixture
def messages(customer):
    comment = customer.message_post(body="public", message_type="comment",
                                    subtype_xmlid="mail_core.mt_comment")
    note = customer.message_post(body="internal", message_type="comment")
    return comment, note


def _visible(env, user, domain):
    return env["mail.message"].with_user(user).search(domain)


def test_internal_users_see_notes_portal_users_never(env, customer, portal, messages, make_user):
    comment, note = messages
    employee = make_user(env, "Employee")
    domain = [("model", "=", "res.partner"), ("res_id", "=", customer.id)]
    assert comment | note <= _visible(env, employee, domain)
    seen_by_portal = _visible(env, portal, domain)
    assert comment in seen_by_portal and note not in seen_by_portal
    assert env["mail.message"].with_user(portal).search_count(domain) == len(seen_by_portal)
    with pytest.raises(AccessError):
        note.with_user(portal).read(["body"])
    assert comment.with_user(portal).read(["body"])[0]["body"] == "<p>public</p>"
    chatter = customer.with_user(portal).message_chatter_data()["messages"]
    assert [m["id"] for m in chatter] == [comment.id], "no note and no creation log"


def test_read_access_follows_the_document(env, customer, portal, messages):
    comment, _note = messages
    other = env["res.partner"].create({"name": "Other company"})
    hidden = other.message_post(body="not yours", message_type="comment",
                                subtype_xmlid="mail_core.mt_comment")
    found = _visible(env, portal, [("id", "in", [comment.id, hidden.id])])
    assert found == comment
    with pytest.raises(AccessError):
        hidden.with_user(portal).read(["body"])
    with pytest.raises(AccessError):
        hidden.with_user(portal).message_format()


def test_recipients_read_what_they_were_sent(env, portal):
    other = env["res.partner"].create({"name": "Other company"})
    message = other.message_post(body="for you", message_type="comment",
                                 subtype_xmlid="mail_core.mt_comment",
                                 partner_ids=[portal.partner_id.id])
    assert _visible(env, portal, [("id", "=", message.id)]) == message


def test_user_notifications_are_for_their_recipients(env, customer, make_user):
    reader, target = make_user(env, "Reader"), make_user(env, "Target")
    message = customer.message_notify(partner_ids=[target.partner_id.id], body="you only")
    assert _visible(env, target, [("id", "=", message.id)]) == message
    assert not _visible(env, reader, [("id", "=", message.id)])


def test_limits_and_order_are_exact_after_filtering(env, customer, portal):
    other = env["res.partner"].create({"name": "Other company"})
    visible = []
    for index in range(5):
        visible.append(customer.message_post(body=f"c{index}", message_type="comment",
                                             subtype_xmlid="mail_core.mt_comment"))
        other.message_post(body=f"o{index}", message_type="comment",
                           subtype_xmlid="mail_core.mt_comment")
    found = env["mail.message"].with_user(portal).search(
        [("message_type", "=", "comment")], limit=3)
    assert found.ids == [m.id for m in reversed(visible)][:3]


def test_posting_as_portal_where_readers_may_post(thread_env, make_user):
    env = thread_env
    portal = make_user(env, "Portal", portal=True)
    mine = env["test.mail.ticket.portal"].create({"name": "Mine", "partner_id": portal.partner_id.id})
    theirs = env["test.mail.ticket.portal"].create({"name": "Theirs"})
    message = mine.with_user(portal).message_post(body="question", message_type="comment",
                                                  subtype_xmlid="mail_core.mt_comment")
    assert message.author_id == portal.partner_id
    with pytest.raises(AccessError):
        theirs.with_user(portal).message_post(body="intrusion", message_type="comment")
    Message = env["mail.message"].with_user(portal)
    assert Message.create({"model": mine._name, "res_id": mine.id, "body": "direct"})
    with pytest.raises(AccessError):
        Message.create({"model": theirs._name, "res_id": theirs.id, "body": "direct"})


def test_write_and_unlink_author_or_document_writer(env, customer, make_user):
    author, writer, portal = make_user(env, "Author"), make_user(env, "Writer"), \
        make_user(env, "Portal", portal=True)
    message = customer.with_user(author).message_post(body="mine", message_type="comment")
    message.with_user(author).write({"body": "<p>edited</p>"})
    message.with_user(writer).write({"body": "<p>fixed</p>"})  # writers of the customer
    lone = env["mail.message"].create({"body": "no document", "author_id": author.partner_id.id})
    with pytest.raises(AccessError):
        lone.with_user(writer).unlink()
    lone.with_user(author).unlink()
    with pytest.raises(AccessError):
        message.with_user(portal).unlink()


def test_create_on_a_document_needs_the_post_access(env, customer, make_user):
    portal = make_user(env, "Portal", portal=True)
    portal.partner_id.parent_id = customer
    with pytest.raises(AccessError):
        env["mail.message"].with_user(portal).create({
            "model": "res.partner", "res_id": customer.id, "body": "sneaky"})
