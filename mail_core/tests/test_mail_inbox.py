"""The inbox (needaction, mark as read) and the chatter's data API."""

from __future__ import annotations

import pytest


@pytest.fixture
def customer(env):
    return env["res.partner"].create({"name": "Customer", "email": "customer@example.com"})


@pytest.fixture
def inbox_user(env, make_user):
    return make_user(env, "Inbox User", notification_type="inbox")


def _comment(record, body="Hello", **kwargs):
    return record.message_post(body=body, message_type="comment",
                               subtype_xmlid="mail_core.mt_comment", **kwargs)


def test_needaction_and_mark_as_read(env, customer, inbox_user, make_user):
    email_user = make_user(env, "Email User", notification_type="email")
    customer.message_subscribe([inbox_user.partner_id.id, email_user.partner_id.id])
    first, second = _comment(customer, "one"), _comment(customer, "two")
    Message = env["mail.message"]
    assert Message.with_user(inbox_user).search([("needaction", "=", True)]) == first | second
    assert not Message.with_user(email_user).search([("needaction", "=", True)]), \
        "users notified by email have nothing waiting in the inbox"
    assert first.with_user(inbox_user).needaction
    assert first.with_user(inbox_user).mark_as_read() == [first.id]
    assert Message.with_user(inbox_user).search([("needaction", "=", True)]) == second
    assert Message.with_user(inbox_user).search([("needaction", "=", False),
                                                 ("id", "in", [first.id, second.id])]) == first
    read = first.notification_ids.filtered(lambda n: n.res_partner_id == inbox_user.partner_id)
    assert read.is_read and read.read_date


def test_mark_all_as_read(env, customer, inbox_user):
    other = env["res.partner"].create({"name": "Other"})
    customer.message_subscribe([inbox_user.partner_id.id])
    other.message_subscribe([inbox_user.partner_id.id])
    _comment(customer), _comment(other)
    Message = env["mail.message"].with_user(inbox_user)
    done = Message.mark_all_as_read([("model", "=", "res.partner"), ("res_id", "=", other.id)])
    assert len(done) == 1
    assert Message.search([("needaction", "=", True)]).res_id == customer.id
    Message.mark_all_as_read()
    assert not Message.search([("needaction", "=", True)])


def test_mark_as_read_touches_only_my_notifications(env, customer, inbox_user, make_user):
    colleague = make_user(env, "Colleague", notification_type="inbox")
    customer.message_subscribe([inbox_user.partner_id.id, colleague.partner_id.id])
    message = _comment(customer)
    message.with_user(inbox_user).mark_as_read()
    assert env["mail.message"].with_user(colleague).search([("needaction", "=", True)]) == message


def test_inbox_fetch_pages_through_messages(env, customer, inbox_user):
    customer.message_subscribe([inbox_user.partner_id.id])
    posted = [_comment(customer, f"m{i}") for i in range(5)]
    Message = env["mail.message"].with_user(inbox_user)
    page = Message.message_fetch([("needaction", "=", True)], limit=2)
    assert [m["id"] for m in page] == [posted[4].id, posted[3].id]
    older = Message.message_fetch([("needaction", "=", True)], before=page[-1]["id"], limit=10)
    assert [m["id"] for m in older] == [posted[2].id, posted[1].id, posted[0].id]
    assert all(m["needaction"] for m in page + older)


def test_message_format(env, customer, make_partner):
    follower = make_partner(env, "Follower")
    customer.message_subscribe([follower.id])
    message = _comment(customer, attachments=[("a.txt", b"data")])
    [data] = message.message_format()
    assert data["id"] == message.id and data["body"] == "<p>Hello</p>"
    assert data["author"]["id"] == env.user.partner_id.id
    assert data["subtype"]["name"] == "Discussions" and not data["is_note"]
    assert data["record_name"] == "Customer"
    assert [a["name"] for a in data["attachments"]] == ["a.txt"]
    [notification] = data["notifications"]
    assert (notification["partner_id"], notification["notification_type"],
            notification["status"]) == (follower.id, "email", "ready")


def test_message_format_costs_a_bounded_number_of_queries(env, customer, make_partner):
    followers = [make_partner(env, f"F{i}") for i in range(3)]
    customer.message_subscribe([f.id for f in followers])

    def count(messages):
        env.invalidate_all()
        start = env.cr.sql_count
        messages.message_format()
        return env.cr.sql_count - start

    few = env["mail.message"].browse([_comment(customer, f"{i}").id for i in range(2)])
    many = env["mail.message"].browse([_comment(customer, f"{i}", attachments=[("f", b"x")]).id
                                       for i in range(20)])
    assert count(many) <= count(few) + 2


def test_chatter_data(env, customer, make_user):
    employee = make_user(env, "Employee")
    customer.message_subscribe([employee.partner_id.id])
    posted = [_comment(customer, f"m{i}") for i in range(3)]
    data = customer.with_user(employee).message_chatter_data(limit=2)
    assert [m["id"] for m in data["messages"]] == [posted[2].id, posted[1].id]
    assert data["has_more"]
    assert data["is_follower"]
    assert [f["partner_id"] for f in data["followers"]] == [employee.partner_id.id]
    rest = customer.with_user(employee).message_chatter_data(limit=5, before=posted[1].id)
    assert rest["messages"][0]["id"] == posted[0].id
    assert not rest["has_more"]
