"""Field tracking: ``tracking=True`` fields log their old and new values in the chatter."""

from __future__ import annotations

import pytest


@pytest.fixture
def ticket(thread_env):
    return thread_env["test.mail.ticket"].create({"name": "Printer jam"})


def _changes(message):
    return {v["field_name"]: (v["old_value"], v["new_value"])
            for v in message.tracking_value_ids._format_tracking_values()}


def test_creation_logs_the_tracked_values(thread_env, ticket):
    [log] = ticket.message_ids
    assert log.body == "<p>Test Ticket created</p>"
    assert _changes(log) == {"name": (False, "Printer jam"), "stage": (False, "New")}


def test_char_many2one_selection_old_to_new(thread_env, ticket):
    ann = thread_env["res.partner"].create({"name": "Ann"})
    bob = thread_env["res.partner"].create({"name": "Bob"})
    ticket.write({"name": "Printer on fire", "partner_id": ann.id, "stage": "open",
                  "description": "not tracked"})
    message = ticket.message_ids[0]
    assert message.message_type == "notification" and message.is_internal
    assert message.subtype_id == thread_env.ref("mail_core.mt_note")
    assert _changes(message) == {"name": ("Printer jam", "Printer on fire"),
                                 "partner_id": (False, "Ann"), "stage": ("New", "In Progress")}
    assert [v["field_name"] for v in message.message_format()[0]["tracking_values"]] \
        == ["name", "partner_id", "stage"], "ordered by the tracking sequence"
    by_field = {v.field_id.name: v for v in message.tracking_value_ids}
    assert by_field["partner_id"].new_value_integer == ann.id
    ticket.partner_id = bob
    values = ticket.message_ids[0].tracking_value_ids
    assert (values.old_value_integer, values.old_value_char) == (ann.id, "Ann")
    assert (values.new_value_integer, values.new_value_char) == (bob.id, "Bob")


def test_integer_and_unchanged_values(thread_env, ticket):
    count = len(ticket.message_ids)
    ticket.write({"name": "Printer jam", "priority": 0})
    assert len(ticket.message_ids) == count, "nothing changed, nothing logged"
    ticket.priority = 3
    assert _changes(ticket.message_ids[0]) == {"priority": (0, 3)}


def test_one_message_per_record_in_batch_writes(thread_env):
    tickets = thread_env["test.mail.ticket"].create([{"name": "A"}, {"name": "B"}])
    tickets.write({"stage": "open"})
    for ticket in tickets:
        assert _changes(ticket.message_ids[0]) == {"stage": ("New", "In Progress")}


def test_tracking_can_be_turned_off(thread_env, ticket):
    count = len(ticket.message_ids)
    ticket.with_context(mail_notrack=True).write({"name": "quiet"})
    ticket.with_context(tracking_disable=True).write({"name": "quieter"})
    assert len(ticket.message_ids) == count
    silent = thread_env["test.mail.ticket"].with_context(tracking_disable=True).create(
        {"name": "silent"})
    assert not silent.message_ids


def test_tracked_change_of_a_public_subtype_notifies_followers(thread_env, ticket, make_partner):
    customer = make_partner(thread_env, "Customer")
    ticket.message_subscribe([customer.id])
    ticket.stage = "open"
    assert not ticket.message_ids[0].notification_ids, "an ordinary change is a note"
    ticket.stage = "done"
    message = ticket.message_ids[0]
    assert message.subtype_id == thread_env.ref("test_mail_thread.mt_ticket_solved")
    assert not message.is_internal
    assert message.notification_ids.res_partner_id == customer
    assert _changes(message) == {"stage": ("In Progress", "Solved")}


def test_values_of_restricted_fields_are_hidden(thread_env, ticket, make_user):
    ticket.secret = "the code is 1234"
    message = ticket.message_ids[0]
    assert _changes(message) == {"secret": (False, "the code is 1234")}
    employee = make_user(thread_env, "Employee")
    [formatted] = message.with_user(employee).message_format()
    assert formatted["tracking_values"] == []


def test_portal_users_do_not_see_tracking_notes(thread_env, make_user):
    portal = make_user(thread_env, "Portal", portal=True)
    ticket = thread_env["test.mail.ticket"].create({"name": "T", "partner_id": portal.partner_id.id})
    ticket.stage = "open"
    assert ticket.with_user(portal).message_chatter_data()["messages"] == []
