"""Discuss → Inbox: the in-app notifications of the user, and marking them read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_chatter import csrf_of, logged_in, texts, tree_of

from postroom.testing.http import TestClient


@pytest.fixture
def client_as(thread_registry: Any, thread_env: Any) -> Callable[[Any], TestClient]:
    return lambda user: logged_in(thread_registry, thread_env, user)


@pytest.fixture
def inbox_user(thread_env: Any, make_user: Callable[..., Any]) -> Any:
    return make_user(thread_env, "Ines Inbox", notification_type="inbox")


@pytest.fixture
def record(thread_env: Any) -> Any:
    return thread_env["res.partner"].create({"name": "Acme"})


def _send(record: Any, body: str, author: Any, **kwargs: Any) -> Any:
    return record.with_user(author).message_post(
        body=body, message_type="comment", subtype_xmlid="mail_core.mt_comment", **kwargs)


def _inbox_ids(response: Any) -> list[int]:
    return [int(item.get("id").rpartition("_")[2])
            for item in tree_of(response).xpath('//ol[contains(@class, "o_inbox_messages")]/li')]


def test_inbox_lists_only_my_unread_notifications(thread_env, client_as, inbox_user, record,
                                                  make_user):
    email_user = make_user(thread_env, "Emil Email", notification_type="email")
    other = make_user(thread_env, "Otto Other", notification_type="inbox")
    author = make_user(thread_env, "Author")
    record.message_subscribe([inbox_user.partner_id.id, email_user.partner_id.id])
    first = _send(record, "For the followers", author)
    mine = _send(record, "Only for <Ines>", author, partner_ids=inbox_user.partner_id.ids)
    _send(thread_env["res.partner"].create({"name": "Elsewhere"}), "Not for Ines", author,
          partner_ids=other.partner_id.ids)
    note = record.with_user(author).message_post(body="A note for Ines", message_type="comment",
                                                 partner_ids=inbox_user.partner_id.ids)
    first.with_user(inbox_user).mark_as_read()

    response = client_as(inbox_user).get("/mail/inbox")
    assert response.status_code == 200
    assert _inbox_ids(response) == [note.id, mine.id], "unread, mine, newest first"
    tree = tree_of(response)
    assert texts(tree, '//p[@class="o_inbox_count o_muted"]') == ["2 unread messages, newest first"]
    [note_item, mine_item] = tree.xpath('//ol[contains(@class, "o_inbox_messages")]/li')
    assert texts(note_item, './/span[@class="o_message_badge"]') == ["Note"]
    [link] = mine_item.xpath('.//a[@class="o_message_record"]')
    assert link.get("href") == f"/web/record/res.partner/{record.id}" and link.text == "Acme"
    assert texts(mine_item, './/div[contains(@class, "o_message_body")]') == ["Only for <Ines>"]
    assert texts(tree, '//nav[@class="o_navbar_inner"]/a[@class="o_app_name"]') == ["Discuss"]

    assert _inbox_ids(client_as(email_user).get("/mail/inbox")) == [], \
        "those notified by email have nothing waiting"


def test_mark_as_read_and_mark_all(thread_env, client_as, inbox_user, record, make_user):
    author = make_user(thread_env, "Author")
    record.message_subscribe([inbox_user.partner_id.id])
    messages = [_send(record, f"Message {index}", author) for index in range(3)]
    client = client_as(inbox_user)
    page = client.get("/mail/inbox")

    response = client.post("/mail/inbox/read", data={"message_id": str(messages[1].id)})
    assert response.status_code == 403, "CSRF"
    response = client.post("/mail/inbox/read", data={"message_id": str(messages[1].id),
                                                      "csrf_token": csrf_of(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/mail/inbox")
    assert _inbox_ids(client.get("/mail/inbox")) == [messages[2].id, messages[0].id]

    response = client.post("/mail/inbox/read_all", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 303
    page = client.get("/mail/inbox")
    assert _inbox_ids(page) == []
    assert texts(tree_of(page), '//div[@role="status"]') == ["2 messages marked as read."]
    assert texts(tree_of(page), '//div[@class="o_inbox_empty"]/h2') == ["All caught up"]
    assert not thread_env["mail.message"].with_user(inbox_user).search(
        [("needaction", "=", True)])


def test_marking_read_touches_only_my_notifications(thread_env, client_as, inbox_user, record,
                                                    make_user):
    colleague = make_user(thread_env, "Colleague", notification_type="inbox")
    record.message_subscribe([inbox_user.partner_id.id, colleague.partner_id.id])
    message = _send(record, "For both", make_user(thread_env, "Author"))
    client = client_as(colleague)
    client.post("/mail/inbox/read_all", data={"csrf_token": csrf_of(client.get("/mail/inbox"))})
    assert _inbox_ids(client_as(inbox_user).get("/mail/inbox")) == [message.id]


def test_inbox_pages(thread_env, client_as, inbox_user, record, make_user):
    author = make_user(thread_env, "Author")
    record.message_subscribe([inbox_user.partner_id.id])
    messages = [_send(record, f"Message {index}", author) for index in range(33)]
    client = client_as(inbox_user)
    first = client.get("/mail/inbox")
    assert _inbox_ids(first) == [m.id for m in reversed(messages[3:])]
    [older] = tree_of(first).xpath('//a[@rel="next"]/@href')
    assert _inbox_ids(client.get(older)) == [m.id for m in reversed(messages[:3])]


def test_discuss_menu_opens_the_inbox(thread_env, client_as, inbox_user):
    client = client_as(inbox_user)
    home = tree_of(client.get("/web"))
    [discuss] = home.xpath('//a[@class="o_app_tile"][normalize-space()="Discuss"]/@href')
    response = client.get(discuss)
    assert response.status_code == 303
    response = client.get(response.headers["Location"])
    action = thread_env.ref("mail_core.action_discuss_inbox")
    assert response.status_code == 303 and response.headers["Location"].endswith("/mail/inbox")
    assert client.get(f"/web/action/{action.id}").headers["Location"].endswith("/mail/inbox")


def test_the_inbox_is_for_internal_users(thread_env, client_as, make_user):
    portal = make_user(thread_env, "Pat Portal", portal=True)
    assert client_as(portal).get("/mail/inbox").status_code == 403
    assert TestClient(client_as(portal).application).get("/mail/inbox").status_code == 303, \
        "anonymous visitors log in first"
