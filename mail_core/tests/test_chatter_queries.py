"""Showing the chatter costs a bounded number of queries, whatever the number of messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_chatter import logged_in, tree_of

from postroom.orm.fields import Command


@pytest.fixture
def reader(thread_env: Any, thread_registry: Any, make_user: Callable[..., Any]) -> Any:
    user = make_user(thread_env, "Reader")
    return user, logged_in(thread_registry, thread_env, user)


@pytest.fixture
def open_ticket(thread_env: Any, reader: Any, make_partner: Callable[..., Any]
                ) -> Callable[[int], tuple[int, Any]]:
    """``open_ticket(n)``: the queries of opening the form of a ticket with ``n`` messages,
    each by one of several authors, with a tracked change, a file, and one sent and one
    failed email; returns them and the page."""
    env = thread_env
    user, client = reader
    action = env["ir.actions.act_window"].create({"name": "Tickets",
                                                  "res_model": "test.mail.ticket"})
    authors = [make_partner(env, f"Author {index}") for index in range(5)]
    stage = env["ir.model.fields"].search([("model", "=", "test.mail.ticket"),
                                           ("name", "=", "stage")])
    comment = env.ref("mail_core.mt_comment")

    def open_form(count: int) -> tuple[int, Any]:
        ticket = env["test.mail.ticket"].create({"name": f"{count} messages"})
        ticket.message_subscribe(user.partner_id.ids)
        files = env["ir.attachment"].create([
            {"name": f"file{index}.txt", "raw": b"data", "res_model": ticket._name,
             "res_id": ticket.id} for index in range(count)])
        env["mail.message"].create([{
            "model": ticket._name, "res_id": ticket.id, "message_type": "comment",
            "subtype_id": comment.id, "body": f"<p>Message {index}</p>",
            "author_id": authors[index % len(authors)].id,
            "attachment_ids": [Command.set(files[index].ids)],
            "tracking_value_ids": [Command.create({"field_id": stage.id, "old_value_char": "New",
                                                   "new_value_char": "Solved"})],
            "notification_ids": [
                Command.create({"res_partner_id": authors[0].id, "notification_type": "email",
                                "notification_status": "sent"}),
                Command.create({"res_partner_id": authors[1].id, "notification_type": "email",
                                "notification_status": "exception", "failure_type": "mail_smtp",
                                "failure_reason": "Connection refused"}),
            ],
        } for index in range(count)])
        env.invalidate_all()
        start = env.cr.sql_count
        response = client.get(f"/web/action/{action.id}/record/{ticket.id}")
        assert response.status_code == 200
        return env.cr.sql_count - start, tree_of(response)

    open_form(3)  # warm-up: templates, access rights, menus
    return open_form


def test_a_long_history_costs_what_a_short_one_does(open_ticket):
    few, few_page = open_ticket(20)
    many, many_page = open_ticket(500)
    assert len(few_page.xpath('//ol[@class="o_chatter_messages"]/li')) == 21  # and the creation
    assert len(many_page.xpath('//ol[@class="o_chatter_messages"]/li')) == 30
    assert many_page.xpath("//button[@data-chatter-more]")
    assert many - few <= 2, (few, many)


def test_no_query_per_message_shown(open_ticket, monkeypatch):
    from postroom.addons.mail_core.chatter import view
    monkeypatch.setattr(view, "CHATTER_PAGE", 1000)  # show every message
    few, _page = open_ticket(10)
    many, many_page = open_ticket(60)
    shown = many_page.xpath('//ol[@class="o_chatter_messages"]/li')
    assert len(shown) == 61
    assert len(many_page.xpath('//li[contains(@class, "o_delivery_error")]')) == 60
    assert len(many_page.xpath('//a[@class="o_attachment"]')) == 60
    assert len(many_page.xpath('//ul[@class="o_message_tracking"]/li')) == 60 + 2  # creation
    assert many - few <= 2, (few, many)

