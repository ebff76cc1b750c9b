"""Who hears of a message, how (email or inbox), and the emails queued for it."""

from __future__ import annotations

import pytest

from postroom.orm.fields import Command


@pytest.fixture
def partner(env):
    return env["res.partner"].create({"name": "Customer", "email": "customer@example.com"})


def _post(record, **kwargs):
    return record.message_post(body="Hello", message_type="comment",
                               subtype_xmlid="mail_core.mt_comment", **kwargs)


def _notified(message, kind=None):
    notifications = message.notification_ids
    if kind:
        notifications = notifications.filtered(lambda n: n.notification_type == kind)
    return notifications.mapped("res_partner_id")


def test_followers_are_notified_by_their_preference(env, partner, make_user, make_partner):
    by_email = make_user(env, "Email User", notification_type="email")
    in_app = make_user(env, "Inbox User", notification_type="inbox")
    customer = make_partner(env, "No User")
    partner.message_subscribe([by_email.partner_id.id, in_app.partner_id.id, customer.id])
    message = _post(partner)
    assert _notified(message, "email") == by_email.partner_id | customer
    assert _notified(message, "inbox") == in_app.partner_id
    inbox = message.notification_ids.filtered(lambda n: n.notification_type == "inbox")
    assert not inbox.is_read and inbox.notification_status == "ready"
    emails = message.notification_ids.filtered(lambda n: n.notification_type == "email")
    assert all(emails.mapped("is_read")), "email notifications are not inbox items"
    assert set(emails.mapped("notification_status")) == {"ready"}
    mails = emails.mapped("mail_mail_id")
    assert sorted(mails.mapped(lambda m: m.recipient_ids.name)) == ["Email User", "No User"], \
        "an internal user's email differs (a link to the record): one mail each"


def test_followers_of_other_subtypes_are_not_notified(env, partner, make_partner):
    note_only = make_partner(env, "Notes only")
    partner.message_subscribe([note_only.id], [env.ref("mail_core.mt_note").id])
    assert not _post(partner).notification_ids


def test_explicit_recipients_are_notified_without_following(env, partner, make_partner):
    recipient = make_partner(env, "Recipient")
    message = _post(partner, partner_ids=[recipient.id])
    assert _notified(message) == recipient
    assert recipient not in partner.message_partner_ids


def test_author_is_not_notified_unless_asked(env, partner, make_user):
    author = make_user(env, "Author")
    partner.message_subscribe([author.partner_id.id])
    assert not _post(partner.with_user(author)).notification_ids
    message = _post(partner.with_user(author).with_context(mail_notify_author=True))
    assert _notified(message) == author.partner_id


def test_inactive_partners_are_not_notified(env, partner, make_partner):
    gone = make_partner(env, "Gone")
    partner.message_subscribe([gone.id])
    gone.active = False
    assert not _post(partner).notification_ids


def test_notes_reach_internal_users_in_their_inbox_only(env, partner, make_user, make_partner):
    employee = make_user(env, "Employee", notification_type="email")
    portal = make_user(env, "Portal", portal=True)
    customer = make_partner(env, "Customer 2")
    note = env.ref("mail_core.mt_note")
    partner.message_subscribe([employee.partner_id.id, portal.partner_id.id, customer.id],
                              [note.id])
    mails_before = env["mail.mail"].search_count([])
    message = partner.message_post(body="internal", message_type="comment",
                                   partner_ids=[customer.id, portal.partner_id.id])
    assert _notified(message) == employee.partner_id
    assert message.notification_ids.notification_type == "inbox"
    assert env["mail.mail"].search_count([]) == mails_before, "a note never sends email"


def test_recipient_without_valid_address_gets_a_failed_notification(env, partner, make_partner):
    missing = make_partner(env, "Missing", email=False)
    invalid = make_partner(env, "Invalid", email="not an address")
    message = _post(partner, partner_ids=[missing.id, invalid.id])
    by_partner = {n.res_partner_id: n for n in message.notification_ids}
    assert by_partner[missing].notification_status == "exception"
    assert by_partner[missing].failure_type == "mail_email_missing"
    assert by_partner[invalid].failure_type == "mail_email_invalid"
    assert "not an address" in by_partner[invalid].failure_reason
    assert not message.notification_ids.mapped("mail_mail_id")


def test_one_mail_per_language_and_rendering_in_batches(env, partner, make_user, make_partner):
    env["ir.config_parameter"].set_param("mail.batch_size", 2)
    english = [make_partner(env, f"EN {i}") for i in range(3)]
    french = [make_partner(env, f"FR {i}", lang="fr_FR") for i in range(2)]
    employee = make_user(env, "Employee")
    everyone = [p.id for p in english + french] + [employee.partner_id.id]
    message = _post(partner, partner_ids=everyone)
    mails = message.notification_ids.mapped("mail_mail_id")
    groups = sorted(sorted(mail.recipient_ids.mapped("name")) for mail in mails)
    assert groups == [["EN 0", "EN 1"], ["EN 2"], ["Employee"], ["FR 0", "FR 1"]]
    employee_mail = mails.filtered(lambda m: m.recipient_ids == employee.partner_id)
    customer_mail = mails.filtered(lambda m: m.recipient_ids == french[0] | french[1])
    link = f"/web/record/res.partner/{partner.id}"
    assert link in employee_mail.body_html, "internal users get a link to the record"
    assert link not in customer_mail.body_html
    for mail in mails:
        assert "<p>Hello</p>" in mail.body_html
        assert mail.state == "outgoing" and mail.is_notification and mail.auto_delete
        assert mail.mail_message_id == message
        linked = message.notification_ids.filtered(lambda n, mail=mail: n.mail_mail_id == mail)
        assert linked.mapped("res_partner_id") == mail.recipient_ids


def test_headers_thread_the_replies(env, partner, make_partner):
    partner.message_subscribe([make_partner(env, "Follower").id])
    root = partner.message_ids[-1]  # "Contact created"
    first = _post(partner)
    reply = _post(partner, parent_id=first.id)
    answer = _post(partner, parent_id=reply.id)
    mail_of = {m: m.notification_ids.mapped("mail_mail_id") for m in (first, reply, answer)}
    assert len({first.message_id, reply.message_id, answer.message_id, root.message_id}) == 4

    headers = mail_of[first].headers
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Postroom-Objects"] == f"res.partner-{partner.id}"
    assert headers["References"] == root.message_id
    assert headers["In-Reply-To"] == root.message_id

    headers = mail_of[answer].headers
    assert headers["References"].split() == [root.message_id, first.message_id, reply.message_id]
    assert headers["In-Reply-To"] == reply.message_id
    assert mail_of[answer].message_id == answer.message_id, "the queue sends the message's id"


def test_references_keep_the_root_and_the_latest(env, partner, make_partner):
    partner.message_subscribe([make_partner(env, "Follower").id])
    parent = None
    for _index in range(25):
        parent = _post(partner, parent_id=parent.id if parent else False)
    references = parent.notification_ids.mail_mail_id.headers["References"].split()
    assert len(references) == 20
    assert references[0] == partner.message_ids[-1].message_id
    assert references[-1] == parent.parent_id.message_id


def test_reply_to_is_the_author_unless_a_hook_says_otherwise(env, partner, make_user,
                                                              make_partner, monkeypatch):
    author = make_user(env, "Author")
    partner.message_subscribe([make_partner(env, "Follower").id])
    message = _post(partner.with_user(author))
    mail = message.notification_ids.mail_mail_id
    assert mail.reply_to == author.partner_id.email_formatted
    assert mail.email_from == author.partner_id.email_formatted

    registry_class = type(env["res.partner"])
    monkeypatch.setattr(registry_class, "_notify_get_reply_to",
                        lambda self, default=False: dict.fromkeys(
                            self.ids, "Catchall <catchall@example.org>"))
    assert _post(partner).reply_to == "Catchall <catchall@example.org>"
    assert _post(partner, reply_to="desk@example.org").reply_to == "desk@example.org"


def test_delivery_status_reported_by_the_queue(env, partner, make_partner):
    partner.message_subscribe([make_partner(env, "A").id, make_partner(env, "B").id])
    notifications = _post(partner).notification_ids
    notifications[0]._set_delivery_status("sent")
    notifications[1]._set_delivery_status("exception", "mail_smtp", "451 try later")
    assert notifications[0].notification_status == "sent" and not notifications[0].failure_type
    assert (notifications[1].notification_status, notifications[1].failure_type,
            notifications[1].failure_reason) == ("exception", "mail_smtp", "451 try later")
    notifications[1]._set_delivery_status("bounce", "something_new", "550 no such user")
    assert notifications[1].failure_type == "unknown"
    assert notifications[1].failure_reason == "550 no such user"
    notifications[1]._set_delivery_status("sent")
    assert not notifications[1].failure_type and not notifications[1].failure_reason
    with pytest.raises(ValueError):
        notifications._set_delivery_status("delivered")


def test_tracked_message_of_a_public_subtype_notifies(env, partner, make_partner):
    follower = make_partner(env, "Follower")
    partner.message_subscribe([follower.id])
    message = partner.message_post(body="", subtype_xmlid="mail_core.mt_comment",
                                   tracking_value_ids=[Command.create({
                                       "field_id": env["ir.model.fields"].search([
                                           ("model", "=", "res.partner"),
                                           ("name", "=", "name")]).id,
                                       "old_value_char": "a", "new_value_char": "b"})])
    assert _notified(message) == follower
    assert message.tracking_value_ids.new_value_char == "b"
