"""Posting costs a bounded number of queries, whatever the number of followers."""

from __future__ import annotations

import pytest


@pytest.fixture
def count_post(env, make_user, make_partner):
    """``count_post(n)``: the queries of a "Send message" on a record with ``n`` followers
    (half of them users notified by email or in the app, half contacts without user)."""
    def count(followers: int) -> tuple[int, object]:
        record = env["res.partner"].create({"name": f"Record {followers}"})
        partners = []
        for index in range(followers):
            if index % 2:
                partners.append(make_partner(env, f"Contact {index}").id)
            else:
                user = make_user(env, f"User {index}",
                                 notification_type="inbox" if index % 4 else "email")
                partners.append(user.partner_id.id)
        record.message_subscribe(partners)
        author = make_user(env, f"Author {followers}")
        as_author = record.with_user(author)
        as_author.message_post(body="warm-up", message_type="comment")  # caches, subscription
        env.invalidate_all()
        start = env.cr.sql_count
        message = as_author.message_post(body="Hello everyone", message_type="comment",
                                         subtype_xmlid="mail_core.mt_comment")
        return env.cr.sql_count - start, message
    return count


def test_post_queries_do_not_grow_with_followers(count_post):
    count_post(2)  # first render of the layout, first rule checks
    few, few_message = count_post(10)
    many, many_message = count_post(100)
    assert len(few_message.notification_ids) == 10
    assert len(many_message.notification_ids) == 100
    # one more mail.mail (and its recipients) per 50 email recipients: a small constant
    assert many - few <= 4, (few, many)
    assert few <= 30, few
