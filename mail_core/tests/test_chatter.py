"""The chatter beside forms, and its routes: post, notes, followers, older messages, files.

The requests run inside the test's transaction, on the database that has the test
thread models (``test.mail.ticket``: posting needs write access;
``test.mail.ticket.portal``: readers, portal users too, may post).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from lxml import html
from markupsafe import Markup

from postroom.testing.http import TestClient, shared_cursor_app

PASSWORD = "chatter-secret-1"


# -- helpers shared with the inbox tests ------------------------------------------------------
def logged_in(registry: Any, env: Any, user: Any) -> TestClient:
    """A client logged in as ``user`` whose requests run in the test's transaction."""
    user._set_password(PASSWORD)
    client = TestClient(shared_cursor_app(registry, env.cr))
    response = client.login(user.login, PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


def tree_of(response: Any) -> Any:
    return html.fromstring(response.get_data(as_text=True))


def texts(tree: Any, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]


def csrf_of(response: Any) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no form"
    return match.group(1)


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def agent(thread_env: Any, make_user: Callable[..., Any]) -> Any:
    return make_user(thread_env, "Agent Smith", email="agent@example.com")


@pytest.fixture
def client_as(thread_registry: Any, thread_env: Any) -> Callable[[Any], TestClient]:
    return lambda user: logged_in(thread_registry, thread_env, user)


@pytest.fixture
def ticket_action(thread_env: Any) -> Any:
    return thread_env["ir.actions.act_window"].create({"name": "Tickets",
                                                       "res_model": "test.mail.ticket"})


@pytest.fixture
def ticket(thread_env: Any, agent: Any, ticket_action: Any) -> Any:
    return thread_env["test.mail.ticket"].with_user(agent).create({"name": "Printer on fire"})


def form_url(action: Any, record: Any) -> str:
    return f"/web/action/{action.id}/record/{record.id}"


def post(client: TestClient, record: Any, page: Any, **data: Any) -> Any:
    """Post a chatter form of ``page`` (a response showing the chatter) to its route."""
    action = data.pop("route", "post")
    return client.post(f"/mail/chatter/{record._name}/{record.id}/{action}",
                       data={"csrf_token": csrf_of(page), **data})


# -- the widget -----------------------------------------------------------------------------
def test_form_shows_the_chatter_beside_the_sheet(thread_env, client_as, agent, ticket,
                                                 ticket_action, make_partner):
    carla = make_partner(thread_env, "Carla", email="carla@example.org")
    ticket.message_subscribe([carla.id])
    as_agent = ticket.with_user(agent)
    as_agent.message_post(body="Replacement shipped.", message_type="comment",
                          subtype_xmlid="mail_core.mt_comment",
                          attachments=[("label.pdf", b"%PDF-1.4 label")])
    as_agent.message_post(body="Customer sounded upset.", message_type="comment")
    as_agent.write({"stage": "open"})

    tree = tree_of(client_as(agent).get(form_url(ticket_action, ticket)))
    [chatter] = tree.xpath('//aside[@class="o_form_sidebar"]/section[@id="o_chatter"]')
    assert not tree.xpath('//form[@id="o_form"]//section[@id="o_chatter"]'), "outside the form"
    assert tree.xpath('//link[@href="/mail_core/static/src/css/chatter.css"]')
    assert tree.xpath('//script[@type="module"][@src="/mail_core/static/src/js/chatter.js"]')

    # newest first: the stage change, the note, the message, the creation
    messages = chatter.xpath('.//ol[@class="o_chatter_messages"]/li')
    assert [m.get("class") for m in messages] == [
        "o_message o_message_log", "o_message o_message_note", "o_message o_message_message",
        "o_message o_message_log"]
    stage, note, sent, created = messages
    assert texts(stage, './/ul[@class="o_message_tracking"]/li') == \
        ["Stage: New → changed to In Progress"]
    assert texts(note, './/span[@class="o_message_badge"]') == ["Note"]
    assert texts(note, './/div[contains(@class, "o_message_body")]') == ["Customer sounded upset."]
    assert texts(sent, './/span[@class="o_message_author"]') == ["Agent Smith"]
    assert sent.xpath('.//time[@class="o_message_date"]/@datetime')[0].endswith("Z")
    [link] = sent.xpath('.//a[@class="o_attachment"]')
    assert link.get("href").startswith("/mail/attachment/") and "label.pdf" in link.text_content()
    assert texts(created, './/div[contains(@class, "o_message_body")]') == ["Test Ticket created"]

    # composers: who a message reaches; a note reaches no one by email
    assert texts(chatter, './/form[@id="o_chatter_message"]//span[@class="o_recipients_followers"]') \
        == ["Followers: Carla"]
    for kind, label in (("message", "Send message"), ("note", "Log note")):
        [form] = chatter.xpath(f'.//form[@id="o_chatter_{kind}"]')
        assert form.get("action") == f"/mail/chatter/test.mail.ticket/{ticket.id}/post"
        assert form.xpath(f'.//label[@for="o_chatter_{kind}_body"]/text()') == [label]
        assert form.xpath('.//input[@name="redirect"]/@value') == [form_url(ticket_action, ticket)]
    assert texts(chatter, './/button[@data-composer-toggle]') == ["Send message", "Log note"]
    # followers: the agent (creator) and Carla, with their addresses
    assert texts(chatter, './/li[@class="o_follower"]//span[@class="o_follower_name"]') == \
        ["Agent Smith agent@example.com", "Carla carla@example.org"]
    assert texts(chatter, './/form[contains(@action, "/unfollow")]/button') == ["Following"]


def test_new_record_shows_where_the_chatter_will_be(client_as, agent, ticket_action):
    tree = tree_of(client_as(agent).get(f"/web/action/{ticket_action.id}/new"))
    assert texts(tree, '//section[@id="o_chatter"]/p') == \
        ["Messages, notes and followers appear here once the record is saved."]
    assert not tree.xpath('//section[@id="o_chatter"]//form')


def test_readers_see_no_composer(thread_env, client_as, make_user, ticket, ticket_action):
    reader = make_user(thread_env, "Reader")
    thread_env["ir.rule"].create({  # internal users may read tickets, not write them
        "name": "Tickets are read-only",
        "model_id": thread_env["ir.model"].search([("model", "=", "test.mail.ticket")]).id,
        "groups": [(4, thread_env.ref("base.group_user").id)], "perm_read": False,
        "domain_force": "[('id', '=', 0)]"})
    tree = tree_of(client_as(reader).get(form_url(ticket_action, ticket)))
    assert tree.xpath('//section[@id="o_chatter"]//ol[@class="o_chatter_messages"]/li')
    assert not tree.xpath('//form[@data-composer]'), "no post right, no composer"
    assert texts(tree, '//section[@id="o_chatter"]//form[contains(@action, "/follow")]/button') \
        == ["Follow"], "reading is enough to follow"
    assert not tree.xpath('//form[contains(@action, "/followers/add")]')


# -- posting ----------------------------------------------------------------------------------
def test_send_message_and_log_note_through_the_routes(thread_env, client_as, agent, ticket,
                                                      ticket_action, make_partner):
    carla = make_partner(thread_env, "Carla", email="carla@example.org")
    dave = make_partner(thread_env, "Dave Extra", email="dave@example.org")
    ticket.message_subscribe([carla.id])
    client = client_as(agent)
    page = client.get(form_url(ticket_action, ticket))
    back = form_url(ticket_action, ticket)

    response = client.post(f"/mail/chatter/test.mail.ticket/{ticket.id}/post", data={
        "csrf_token": csrf_of(page), "kind": "message", "body": "Hello <b>Carla</b>",
        "partner_ids": [str(dave.id)], "redirect": back,
        "attachments": [(io.BytesIO(b"invoice"), "invoice.txt")]})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{back}#o_chatter")
    message = ticket.message_ids[0]
    assert message.subtype_id == thread_env.ref("mail_core.mt_comment")
    assert message.message_type == "comment" and message.author_id == agent.partner_id
    assert "Hello &lt;b&gt;Carla&lt;/b&gt;" in message.body, "the composer posts text"
    assert message.partner_ids == dave
    assert message.attachment_ids.mapped("name") == ["invoice.txt"]
    assert message.attachment_ids.raw == b"invoice"
    emailed = message.notification_ids.filtered(lambda n: n.notification_type == "email")
    assert emailed.mapped("res_partner_id") == carla | dave

    response = post(client, ticket, page, kind="note", body="Internal: VIP customer",
                    partner_ids=str(dave.id), redirect=back)
    assert response.status_code == 303
    note = ticket.message_ids[0]
    assert note.subtype_id == thread_env.ref("mail_core.mt_note") and note.is_internal
    assert not note.partner_ids, "a note takes no recipients"
    assert not note.notification_ids.mapped("mail_mail_id"), "a note is never emailed"
    shown = tree_of(client.get(back))
    assert texts(shown, '//div[@role="status"]') == ["Note logged."]


def test_an_empty_message_is_not_posted(client_as, agent, ticket, ticket_action):
    client = client_as(agent)
    page = client.get(form_url(ticket_action, ticket))
    count = len(ticket.message_ids)
    response = post(client, ticket, page, kind="message", body="   ")
    assert response.status_code == 303
    assert len(ticket.message_ids) == count
    assert texts(tree_of(client.get(form_url(ticket_action, ticket))), '//div[@role="status"]') \
        == ["Write something or attach a file first."]


def test_a_typed_recipient_is_resolved_or_refused(thread_env, client_as, agent, ticket,
                                                   ticket_action, make_partner):
    make_partner(thread_env, "Zoe Unique", email="zoe@example.org")
    make_partner(thread_env, "Twin A"), make_partner(thread_env, "Twin B")
    client = client_as(agent)
    page = client.get(form_url(ticket_action, ticket))
    post(client, ticket, page, body="For Zoe", **{"partner_ids.add.text": "Zoe Unique"})
    assert ticket.message_ids[0].partner_ids.mapped("name") == ["Zoe Unique"]
    count = len(ticket.message_ids)
    post(client, ticket, page, body="For a twin", **{"partner_ids.add.text": "Twin"})
    assert len(ticket.message_ids) == count, "an ambiguous recipient stops the post"


def test_posting_needs_the_csrf_token(client_as, agent, ticket):
    client = client_as(agent)
    count = len(ticket.message_ids)
    response = client.post(f"/mail/chatter/test.mail.ticket/{ticket.id}/post",
                           data={"body": "forged", "kind": "message"})
    assert response.status_code == 403
    response = client.post(f"/mail/chatter/test.mail.ticket/{ticket.id}/post",
                           data={"body": "forged", "kind": "message", "csrf_token": "0" * 64})
    assert response.status_code == 403
    assert len(ticket.message_ids) == count


def test_posting_needs_the_post_right(thread_env, client_as, make_user, ticket, ticket_action):
    portal = make_user(thread_env, "Pat Portal", portal=True)
    ticket.partner_id = portal.partner_id  # they read it; posting needs write access
    client = client_as(portal)
    token = client.csrf_token("/web/login")
    count = len(ticket.message_ids)
    for kind in ("message", "note"):
        response = client.post(f"/mail/chatter/test.mail.ticket/{ticket.id}/post",
                               data={"csrf_token": token, "kind": kind, "body": "Hi"})
        assert response.status_code == 403, kind
    assert len(ticket.message_ids) == count
    response = client.post("/mail/chatter/res.users/1/post",
                           data={"csrf_token": token, "kind": "message", "body": "Hi"})
    assert response.status_code == 404, "not a thread model"


def test_portal_users_post_messages_but_not_internal_notes(thread_env, client_as, make_user):
    portal = make_user(thread_env, "Pat Portal", portal=True)
    record = thread_env["test.mail.ticket.portal"].create({"name": "Shared",
                                                           "partner_id": portal.partner_id.id})
    client = client_as(portal)
    token = client.csrf_token("/web/login")
    url = f"/mail/chatter/test.mail.ticket.portal/{record.id}/post"
    response = client.post(url, data={"csrf_token": token, "kind": "note", "body": "secret"})
    assert response.status_code == 403
    assert not record.message_ids.filtered(lambda m: m.is_internal and "secret" in m.body)
    response = client.post(url, data={"csrf_token": token, "kind": "message", "body": "Thanks"})
    assert response.status_code == 303
    assert record.message_ids[0].author_id == portal.partner_id
    assert not record.message_ids[0].is_internal


# -- followers --------------------------------------------------------------------------------
def test_follow_and_unfollow(thread_env, client_as, make_user, ticket, ticket_action):
    colleague = make_user(thread_env, "Colleague")
    client = client_as(colleague)
    page = client.get(form_url(ticket_action, ticket))
    assert post(client, ticket, page, route="follow").status_code == 303
    assert colleague.partner_id in ticket.message_partner_ids
    page = client.get(form_url(ticket_action, ticket))
    assert texts(tree_of(page), '//form[contains(@action, "/unfollow")]/button') == ["Following"]
    assert post(client, ticket, page, route="unfollow").status_code == 303
    assert colleague.partner_id not in ticket.message_partner_ids


def test_add_and_remove_followers(thread_env, client_as, agent, make_user, make_partner, ticket,
                                  ticket_action):
    carla = make_partner(thread_env, "Carla", email="carla@example.org")
    dave = make_partner(thread_env, "Dave Typed", email="dave@example.org")
    client = client_as(agent)
    page = client.get(form_url(ticket_action, ticket))
    response = post(client, ticket, page, route="followers/add", partner_ids=str(carla.id),
                    **{"partner_ids.add.text": "Dave Typed"})
    assert response.status_code == 303
    assert carla | dave <= ticket.message_partner_ids
    page = client.get(form_url(ticket_action, ticket))
    assert "Carla" in texts(tree_of(page), '//li[@class="o_follower"]//span[@class="o_follower_name"]')[1]
    post(client, ticket, page, route="followers/remove", partner_id=str(carla.id))
    assert carla not in ticket.message_partner_ids and dave in ticket.message_partner_ids

    # adding or removing others needs the right to write the record
    outsider = make_user(thread_env, "Outsider", portal=True)
    portal_client = client_as(outsider)
    token = portal_client.csrf_token("/web/login")
    for route, data in (("followers/add", {"partner_ids": str(carla.id)}),
                        ("followers/remove", {"partner_id": str(dave.id)})):
        response = portal_client.post(f"/mail/chatter/test.mail.ticket/{ticket.id}/{route}",
                                      data={"csrf_token": token, **data})
        assert response.status_code == 403, route
    assert carla not in ticket.message_partner_ids and dave in ticket.message_partner_ids


# -- what a message shows -------------------------------------------------------------------
def test_delivery_status_of_each_email(thread_env, client_as, agent, make_partner, ticket,
                                       ticket_action):
    names = ["Waiting Wanda", "Sent Sam", "Failed Fred", "Bounced Bea"]
    partners = [make_partner(thread_env, name) for name in names]
    message = ticket.with_user(agent).message_post(
        body="Status check", message_type="comment", subtype_xmlid="mail_core.mt_comment",
        partner_ids=[p.id for p in partners])
    by_name = {n.res_partner_id.name: n for n in message.notification_ids}
    by_name["Sent Sam"]._set_delivery_status("sent")
    by_name["Failed Fred"]._set_delivery_status(
        "exception", "mail_smtp", "550 5.1.1 <fred@example.com>: mailbox unavailable")
    by_name["Bounced Bea"]._set_delivery_status("bounce", "mail_bounce")

    tree = tree_of(client_as(agent).get(form_url(ticket_action, ticket)))
    [delivery] = tree.xpath(f'//li[@id="o_message_{message.id}"]//details')
    assert delivery.get("class") == "o_message_delivery o_delivery_error"
    assert delivery.get("open") is not None, "failures are shown unfolded"
    assert texts(delivery, "./summary") == ["Not delivered to 2 of 4 recipients"]
    rows = {texts(item, './span[@class="o_delivery_name"]')[0]: (
        item.get("class").split()[-1], texts(item, './span[@class="o_delivery_status"]')[0],
        texts(item, './span[@class="o_delivery_reason"]'))
        for item in delivery.xpath('.//li')}
    assert rows == {
        "Waiting Wanda": ("o_delivery_waiting", "Waiting", []),
        "Sent Sam": ("o_delivery_sent", "Sent", []),
        "Failed Fred": ("o_delivery_error", "Error",
                        ["550 5.1.1 <fred@example.com>: mailbox unavailable"]),
        "Bounced Bea": ("o_delivery_error", "Bounced", ["Bounced"]),
    }


@pytest.mark.parametrize(("statuses", "summary", "kind"), [
    (["ready"], "Waiting to be sent to P0", "waiting"),
    (["sent", "ready"], "Waiting to be sent to 1 of 2 recipients", "waiting"),
    (["sent", "sent"], "Sent to 2 recipients", "sent"),
    (["exception"], "Not delivered to P0", "error"),
])
def test_delivery_summary(thread_env, client_as, agent, make_partner, ticket, ticket_action,
                          statuses, summary, kind):
    partners = [make_partner(thread_env, f"P{index}") for index in range(len(statuses))]
    message = ticket.with_user(agent).message_post(
        body="Summary", message_type="comment", subtype_xmlid="mail_core.mt_comment",
        partner_ids=[p.id for p in partners])
    for partner, status in zip(partners, statuses):
        notification = message.notification_ids.filtered(lambda n, p=partner: n.res_partner_id == p)
        if status != "ready":
            notification._set_delivery_status(status, "mail_smtp" if status != "sent" else False,
                                              "Connection refused" if status != "sent" else False)
    tree = tree_of(client_as(agent).get(form_url(ticket_action, ticket)))
    [delivery] = tree.xpath(f'//li[@id="o_message_{message.id}"]//details')
    assert texts(delivery, "./summary") == [summary]
    assert delivery.get("class") == f"o_message_delivery o_delivery_{kind}"
    assert (delivery.get("open") is not None) == (kind == "error")


def test_bodies_and_names_are_escaped_or_sanitized(thread_env, client_as, agent, make_partner,
                                                  ticket, ticket_action):
    attacker = make_partner(thread_env, '<script>alert("name")</script>Mallory',
                            email="mallory@example.org")
    ticket.message_subscribe([attacker.id])
    ticket.message_post(
        body=Markup('<p>Hi<script>alert(1)</script><img src="x" onerror="alert(2)">'
                    '<a href="javascript:alert(3)">link</a></p>'),
        message_type="email", author_id=attacker.id,
        attachments=[('<img src=x onerror=alert(4)>.txt', b"x")], subject="<b>Subject</b>")
    client = client_as(agent)
    page = client.get(form_url(ticket_action, ticket))
    post(client, ticket, page, body='<img src=x onerror="alert(5)">plain')
    tree = tree_of(client.get(form_url(ticket_action, ticket)))
    assert not tree.xpath("//script[not(@src)]"), "no inline script"
    assert not tree.xpath("//*[@onerror]")
    assert not tree.xpath('//a[starts-with(normalize-space(@href), "javascript")]')
    [email, posted] = tree.xpath('//ol[@class="o_chatter_messages"]/li')[1::-1]
    assert texts(email, './/span[@class="o_message_author"]') == \
        ['<script>alert("name")</script>Mallory']
    assert texts(email, './/p[@class="o_message_subject"]') == ["<b>Subject</b>"]
    assert texts(email, './/div[contains(@class, "o_message_body")]') == ["Hilink"]
    assert texts(email, './/span[@class="o_attachment_name"]') == ["<img src=x onerror=alert(4)>.txt"]
    assert texts(posted, './/div[contains(@class, "o_message_body")]') == \
        ['<img src=x onerror="alert(5)">plain']
    assert '<script>alert("name")</script>Mallory' in texts(
        tree, '//li[@class="o_follower"]//span[@class="o_follower_name"]')[1]


# -- older messages, files, links -------------------------------------------------------------
def test_older_messages_load_by_pages(thread_env, client_as, agent, ticket, ticket_action):
    for index in range(40):
        ticket._message_log(body=f"Log {index}")
    client = client_as(agent)
    tree = tree_of(client.get(form_url(ticket_action, ticket)))
    shown = tree.xpath('//ol[@class="o_chatter_messages"]/li')
    assert len(shown) == 30
    [more] = tree.xpath("//button[@data-chatter-more]")
    oldest_shown = int(shown[-1].get("id").rpartition("_")[2])
    assert more.get("data-chatter-more") == \
        f"/mail/chatter/test.mail.ticket/{ticket.id}/messages?before={oldest_shown}"

    response = client.get(more.get("data-chatter-more"))
    assert response.status_code == 200 and response.headers["X-Chatter-More"] == ""
    items = html.fragments_fromstring(response.get_data(as_text=True))
    assert len(items) == 11, "the 10 oldest logs and the creation"
    assert all(int(item.get("id").rpartition("_")[2]) < oldest_shown for item in items)
    assert "Test Ticket created" in items[-1].text_content()


def test_attachments_download_for_those_who_read_the_message(thread_env, client_as, agent,
                                                             make_user):
    portal = make_user(thread_env, "Pat Portal", portal=True)
    record = thread_env["test.mail.ticket.portal"].create({"name": "Shared",
                                                           "partner_id": portal.partner_id.id})
    public = record.message_post(body="Public", message_type="comment",
                                 subtype_xmlid="mail_core.mt_comment",
                                 attachments=[("notice.txt", b"for everyone")])
    note = record.message_post(body="Internal", message_type="comment",
                               attachments=[("secret.txt", b"for staff")])
    public_file, secret_file = public.attachment_ids, note.attachment_ids

    response = client_as(agent).get(f"/mail/attachment/{secret_file.id}")
    assert response.status_code == 200 and response.get_data() == b"for staff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    portal_client = client_as(portal)
    assert portal_client.get(f"/mail/attachment/{public_file.id}").get_data() == b"for everyone"
    assert portal_client.get(f"/mail/attachment/{secret_file.id}").status_code == 404


def test_record_links_open_the_form(thread_env, client_as, agent, ticket, ticket_action):
    assert ticket._notify_get_record_url().endswith(f"/web/record/test.mail.ticket/{ticket.id}")
    client = client_as(agent)
    response = client.get(f"/web/record/test.mail.ticket/{ticket.id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(form_url(ticket_action, ticket))
    assert client.get("/web/record/test.mail.ticket.portal/1").status_code == 404, "no action"
