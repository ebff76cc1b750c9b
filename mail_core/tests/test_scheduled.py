"""Scheduled emails: a template send, a composer message and a mass sending can wait for a
given time; the queue (or the posting action) acts at that time, and each can be cancelled
before."""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

import pytest
from mail_template_fixtures import *  # the fixtures
from mail_template_fixtures import mail_server_for
from postroom.addons.mail_core.mailer.worker import QueueWorker

from postroom import fields
from postroom.service.cron import CronWorker
from postroom.testing.smtp import SMTPPeer

TOMORROW_9AM = (datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
                + datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def template(tenv: Any) -> Any:
    return tenv.ref("test_mail_template.mail_template_order")


def composer_for(env: Any, records: Any) -> Any:
    return env["mail.compose.message"].browse(records.action_send_mail()["res_id"])


def test_a_template_send_waits_for_its_time_and_can_be_cancelled(
        tenv: Any, template: Any, make_order: Any, smtp_peer: SMTPPeer) -> None:
    mail_server_for(tenv, smtp_peer)
    order = make_order(tenv, "SO1", customer="Carla")
    mail = tenv["mail.mail"].browse(template.send_mail(
        order.id, email_values={"scheduled_date": TOMORROW_9AM}))
    assert (mail.state, mail.scheduled_date) == ("outgoing", TOMORROW_9AM)
    assert tenv["mail.mail"]._next_due() == TOMORROW_9AM, "the workers sleep until then"
    assert not tenv["mail.mail"]._claim_due(10), "not due before its time"
    mail.cancel()
    assert mail.state == "cancel"


def test_a_scheduled_comment_is_posted_at_its_time(tenv: Any, template: Any,
                                                   make_order: Any, new_user: Any) -> None:
    user = new_user(tenv, "Sam")
    order = make_order(tenv, "SO1", customer="Carla")
    composer = composer_for(tenv, order.with_user(user)).with_user(user)
    upload = tenv["ir.attachment"].with_user(user).create({"name": "a.txt", "raw": b"a"})
    composer.write({"scheduled_date": TOMORROW_9AM, "attachment_ids": [(4, upload.id)]})
    posted_before = len(order.message_ids)
    composer.action_send_mail()
    assert len(order.message_ids) == posted_before, "nothing posted yet"
    scheduled = tenv["mail.scheduled.message"].search([("res_id", "=", order.id)])
    assert (scheduled.model, scheduled.scheduled_date) == ("test.mail.order", TOMORROW_9AM)
    assert scheduled.subject == "Order SO1 - Carla"
    assert scheduled.partner_ids == order.partner_id
    cron = tenv.ref("mail_core.ir_cron_post_scheduled_message")
    assert TOMORROW_9AM in cron.trigger_ids.mapped("call_at"), "woken at that time"
    Scheduled = tenv["mail.scheduled.message"]
    Scheduled._post_due()
    assert scheduled.exists(), "not due yet"
    scheduled.scheduled_date = fields.Datetime.now() - datetime.timedelta(seconds=1)
    Scheduled._post_due()
    assert not scheduled.exists()
    message = order.message_ids.filtered(lambda m: m.subject == "Order SO1 - Carla")
    assert message.author_id == user.partner_id, "posted as its author"
    assert sorted(message.attachment_ids.mapped("name")) == ["a.txt"]
    assert message.attachment_ids.res_id == order.id
    assert message.notification_ids.mapped("mail_mail_id.state") == ["outgoing"]


def test_a_scheduled_comment_can_be_cancelled(tenv: Any, make_order: Any, new_user: Any,
                                              template: Any) -> None:
    user = new_user(tenv, "Sam")
    order = make_order(tenv, "SO1", customer="Carla")
    composer = composer_for(tenv, order.with_user(user)).with_user(user)
    upload = tenv["ir.attachment"].with_user(user).create({"name": "a.txt", "raw": b"a"})
    composer.write({"scheduled_date": TOMORROW_9AM, "attachment_ids": [(4, upload.id)]})
    composer.action_send_mail()
    scheduled = tenv["mail.scheduled.message"].with_user(user).search([])
    assert len(scheduled) == 1
    scheduled.action_cancel()
    assert not scheduled.exists() and not upload.exists()


def test_a_scheduled_comment_that_cannot_be_posted_tells_its_author(
        tenv: Any, make_order: Any, new_user: Any, template: Any) -> None:
    user = new_user(tenv, "Sam")
    order = make_order(tenv, "SO1", customer="Carla")
    composer = composer_for(tenv, order.with_user(user)).with_user(user)
    composer.scheduled_date = TOMORROW_9AM
    composer.action_send_mail()
    scheduled = tenv["mail.scheduled.message"].search([("res_id", "=", order.id)])
    order.user_id = new_user(tenv, "Someone Else")  # Sam may no longer change the order
    scheduled.action_post_now()
    assert scheduled.state == "failed"
    assert "not allowed" in scheduled.failure_reason
    notice = tenv["mail.message"].search([("partner_ids", "in", user.partner_id.ids),
                                          ("message_type", "=", "user_notification")])
    assert "could not be posted" in notice.body


def test_a_scheduled_mass_sending_can_be_cancelled(tenv: Any, template: Any,
                                                   make_order: Any) -> None:
    orders = tenv["test.mail.order"].browse(
        [make_order(tenv, f"SO{n}", customer=f"C{n}").id for n in range(3)])
    composer = composer_for(tenv, orders)
    composer.scheduled_date = TOMORROW_9AM
    composer.action_send_mail()
    mails = composer.mail_ids
    assert mails.mapped("scheduled_date") == [TOMORROW_9AM] * 3
    assert set(mails.mapped("state")) == {"outgoing"}
    composer.action_cancel()
    assert set(mails.mapped("state")) == {"cancel"}
    assert composer.state == "cancel"


def test_the_queue_sends_a_scheduled_mail_at_its_time(template_db: Any, smtp_peer: SMTPPeer,
                                                      make_order: Any) -> None:
    """Not at the next periodic run: the worker sleeps until the mail is due."""
    with template_db.env() as env:
        mail_server_for(env, smtp_peer)
        order = make_order(env, "SO1", customer="Carla")
        due = fields.Datetime.now() + datetime.timedelta(seconds=2)
        template = env.ref("test_mail_template.mail_template_order")
        template.send_mail(order.id, email_values={"scheduled_date": due,
                                                   "email_from": "shop@example.com"})
    worker = QueueWorker(template_db.database, lambda: template_db.registry, poll_interval=60)
    stop = threading.Event()
    thread = threading.Thread(target=worker.serve_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(1)
        assert not smtp_peer.messages, "not before its time"
        [received] = smtp_peer.wait_for(1, timeout=5)
        sent_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        assert due <= sent_at < due + datetime.timedelta(seconds=3)
        assert received.message["Subject"] == "Order SO1 - Carla"
    finally:
        stop.set()
        thread.join(10)


def test_the_posting_action_runs_at_the_scheduled_time(template_db: Any,
                                                       make_order: Any) -> None:
    with template_db.env() as env:
        order = make_order(env, "SO1", customer="Carla")
        order_id = order.id
        composer = composer_for(env, order)
        composer.scheduled_date = fields.Datetime.now() + datetime.timedelta(seconds=1)
        composer.action_send_mail()
    worker = CronWorker(template_db.database, lambda: template_db.registry)
    worker.run_pending()
    time.sleep(1.2)
    worker.run_pending()  # the trigger at the scheduled time makes the action due
    with template_db.env() as env:
        assert not env["mail.scheduled.message"].search([])
        subjects = env["test.mail.order"].browse(order_id).message_ids.mapped("subject")
        assert "Order SO1 - Carla" in subjects
