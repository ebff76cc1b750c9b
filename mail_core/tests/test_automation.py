"""Automation rules: each trigger (creation, update, field changes and values, date-based,
scheduled), each action, the rights they run with, failures logged without breaking the
save, and no recursion."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
from mail_template_fixtures import *  # the fixtures

from postroom import fields
from postroom.exceptions import ValidationError
from postroom.orm.environment import SUPERUSER_ID
from postroom.service.cron import CronWorker

NOW = datetime.datetime(2030, 6, 3, 12, 0)  # a Monday


@pytest.fixture
def template(tenv: Any) -> Any:
    return tenv["mail.template"].create({
        "name": "Confirmation", "model_id": tenv["ir.model"]._get_id("test.mail.order"),
        "subject": "Confirmed: {{ object.name }}", "email_from": "sales@example.com",
        "partner_to": "{{ object.partner_id.id }}", "body_html": "<p>Thanks!</p>",
        "auto_delete": False})


@pytest.fixture
def make_rule(tenv: Any, template: Any) -> Any:
    def make(env: Any = None, **values: Any) -> Any:
        env = env or tenv
        return env["base.automation"].create({
            "name": "Rule", "model_id": env["ir.model"]._get_id("test.mail.order"),
            "template_id": template.id, **values})
    return make


def mails_of(env: Any, order: Any) -> Any:
    return env["mail.mail"].search([("model", "=", "test.mail.order"), ("res_id", "=", order.id)])


def field_id(env: Any, name: str) -> int:
    return env["ir.model.fields"].search([("model", "=", "test.mail.order"),
                                          ("name", "=", name)]).id


# ------------------------------------------------------------------------------------
# creation and update
# ------------------------------------------------------------------------------------
def test_on_create_sends_the_template_to_matching_documents(tenv: Any, make_rule: Any,
                                                            make_order: Any) -> None:
    make_rule(trigger="on_create", filter_domain="[('amount_total', '>', 100)]")
    big = make_order(tenv, "BIG", customer="Carla", amount_total=500)
    small = make_order(tenv, "SMALL", customer="Dan", amount_total=5)
    [mail] = mails_of(tenv, big)
    assert (mail.subject, mail.recipient_ids) == ("Confirmed: BIG", big.partner_id)
    assert not mails_of(tenv, small)
    big.write({"note": "updated"})
    assert len(mails_of(tenv, big)) == 1, "creation only"


def test_on_update_when_a_field_takes_a_value(tenv: Any, make_rule: Any,
                                              make_order: Any) -> None:
    make_rule(trigger="on_write", trigger_field_ids=[(6, 0, [field_id(tenv, "state")])],
              filter_domain="[('state', '=', 'sale')]")
    order = make_order(tenv, "SO1", customer="Carla")
    assert not mails_of(tenv, order)
    order.write({"note": "no state change"})
    order.write({"state": "sent"})
    assert not mails_of(tenv, order)
    order.write({"state": "sale"})
    assert len(mails_of(tenv, order)) == 1
    order.write({"state": "sale", "note": "still sale"})
    assert len(mails_of(tenv, order)) == 1, "only when the state changes to sale"


def test_on_update_with_a_domain_before_the_change(tenv: Any, make_rule: Any,
                                                   make_order: Any) -> None:
    make_rule(trigger="on_create_or_write", filter_pre_domain="[('state', '=', 'draft')]",
              filter_domain="[('state', '=', 'cancel')]", action_type="message_post",
              message_subtype="note")
    drafted = make_order(tenv, "D", state="draft")
    sold = make_order(tenv, "S", state="sale")
    (drafted | sold).write({"state": "cancel"})
    assert "Confirmed: D" in drafted.message_ids.mapped("subject")
    assert "Confirmed: S" not in sold.message_ids.mapped("subject")


def test_add_followers_given_and_from_a_field(tenv: Any, make_rule: Any, make_order: Any,
                                              new_user: Any) -> None:
    watcher = tenv["res.partner"].create({"name": "Watcher"})
    seller = new_user(tenv, "Seller")
    make_rule(trigger="on_create", action_type="followers", template_id=False,
              partner_ids=[(6, 0, watcher.ids)], followers_field="partner_id")
    make_rule(trigger="on_write", action_type="followers", template_id=False,
              trigger_field_ids=[(6, 0, [field_id(tenv, "user_id")])],
              followers_field="user_id")
    order = make_order(tenv, "SO1", customer="Carla")
    assert watcher in order.message_partner_ids
    assert order.partner_id in order.message_partner_ids
    order.user_id = seller
    assert seller.partner_id in order.message_partner_ids


def test_post_a_message_as_the_user_it_runs_as(tenv: Any, make_rule: Any, make_order: Any,
                                               new_user: Any) -> None:
    bot = new_user(tenv, "Order Bot")
    make_rule(trigger="on_create", action_type="message_post", run_as_user_id=bot.id)
    order = make_order(tenv, "SO1", customer="Carla")
    message = order.message_ids.filtered(lambda m: m.subject == "Confirmed: SO1")
    assert message.author_id == bot.partner_id
    assert message.subtype_id == tenv.ref("mail_core.mt_comment")
    assert message.notification_ids.res_partner_id == order.partner_id


def test_an_action_that_writes_the_document_does_not_run_the_rule_again(
        tenv: Any, make_rule: Any, make_order: Any) -> None:
    """Posting bumps ``posted_count`` (a write): the rule must not post forever."""
    rule = make_rule(trigger="on_create_or_write", action_type="message_post",
                     message_subtype="note")
    order = make_order(tenv, "SO1")
    assert order.posted_count == 1
    order.write({"note": "again"})
    assert order.posted_count == 2
    assert rule.failure_count == 0


# ------------------------------------------------------------------------------------
# failures and rights
# ------------------------------------------------------------------------------------
def test_a_failing_action_is_logged_and_the_save_goes_on(tenv: Any, make_rule: Any,
                                                         template: Any,
                                                         make_order: Any) -> None:
    template.subject = "{{ object.partner_id.name.upper() }}"  # no customer: no name
    rule = make_rule(trigger="on_create_or_write")
    order = make_order(tenv, "SO1", note="saved")
    assert order.exists() and order.note == "saved"
    assert rule.failure_count == 1
    assert "object.partner_id.name.upper()" in rule.last_error
    assert f"test.mail.order [{order.id}]" in rule.last_error
    assert rule.last_failure_date
    order.write({"note": "saved again"})
    assert order.note == "saved again" and rule.failure_count == 2
    assert not mails_of(tenv, order), "the failed action left nothing behind"


def test_actions_never_exceed_the_owners_rights(tenv: Any, make_rule: Any, make_order: Any,
                                                new_user: Any) -> None:
    """Orders may be changed by their salesperson only (a record rule): an owner who may
    not post on an order cannot have the superuser post for them."""
    owner = new_user(tenv, "Owner", groups=("base.group_system",))
    rule = make_rule(tenv(user=owner.id), trigger="on_write", action_type="message_post",
                     message_subtype="note", run_as_user_id=SUPERUSER_ID)
    assert rule.user_id == owner
    someone = new_user(tenv, "Someone")
    theirs = make_order(tenv, "THEIRS", user_id=someone.id)
    mine = make_order(tenv, "MINE", user_id=owner.id)
    (theirs | mine).write({"note": "go"})
    assert "Confirmed: MINE" in mine.message_ids.mapped("subject")
    assert "Confirmed: THEIRS" not in theirs.message_ids.mapped("subject")
    assert rule.failure_count == 1 and "not allowed" in rule.last_error


def test_actions_run_with_the_rights_of_the_user_they_run_as(
        tenv: Any, make_rule: Any, make_order: Any, new_user: Any) -> None:
    clerk = new_user(tenv, "Clerk")
    rule = make_rule(trigger="on_write", action_type="message_post", message_subtype="note",
                     run_as_user_id=clerk.id)
    order = make_order(tenv, "SO1", user_id=new_user(tenv, "Seller").id)
    order.write({"note": "go"})
    assert "Confirmed: SO1" not in order.message_ids.mapped("subject")
    assert rule.failure_count == 1


def test_the_owner_is_who_last_changed_the_rule(tenv: Any, make_rule: Any,
                                               new_user: Any) -> None:
    first = new_user(tenv, "First", groups=("base.group_system",))
    second = new_user(tenv, "Second", groups=("base.group_system",))
    rule = make_rule(tenv(user=first.id), trigger="on_create")
    assert rule.user_id == first
    rule.with_user(second).write({"name": "Renamed"})
    assert rule.user_id == second
    rule.sudo().write({"failure_count": 3})
    assert rule.user_id == second


@pytest.mark.parametrize(("values", "message"), [
    ({"model_id": "ir.model"}, "has no chatter"),
    ({"trigger": "on_time"}, "choose the date"),
    ({"filter_domain": "[('no_such_field', '=', 1)]"}, "invalid domain"),
    ({"filter_domain": "'not a domain'"}, "not a domain"),
    ({"action_type": "followers", "template_id": False}, "which followers"),
    ({"action_type": "followers", "followers_field": "name"}, "not a path"),
    ({"template_id": "other"}, "choose a template of test.mail.order"),
])
def test_invalid_rules_are_refused(tenv: Any, make_rule: Any, values: dict[str, Any],
                                   message: str) -> None:
    if values.get("model_id"):
        values["model_id"] = tenv["ir.model"]._get_id(values["model_id"])
    if values.get("template_id") == "other":
        values["template_id"] = tenv["mail.template"].create({
            "name": "Contact", "model_id": tenv["ir.model"]._get_id("res.partner")}).id
    with pytest.raises(ValidationError, match=message):
        make_rule(**values)


# ------------------------------------------------------------------------------------
# time-based rules
# ------------------------------------------------------------------------------------
def test_based_on_a_date_fires_once_per_date(tenv: Any, make_rule: Any, make_order: Any) -> None:
    """Three days before the deadline, checked by the time-based action."""
    now = fields.Datetime.now()
    rule = make_rule(trigger="on_time", trg_date_id=field_id(tenv, "date_deadline"),
                     trg_date_range=-3, trg_date_range_type="days",
                     filter_domain="[('state', '!=', 'cancel')]")
    rule.last_run = now - datetime.timedelta(hours=1)
    due = make_order(tenv, "DUE", customer="A",
                     date_deadline=now + datetime.timedelta(days=3, minutes=-30))
    later = make_order(tenv, "LATER", customer="B",
                       date_deadline=now + datetime.timedelta(days=3, hours=2))
    long_ago = make_order(tenv, "OLD", customer="C",
                          date_deadline=now - datetime.timedelta(days=10))
    cancelled = make_order(tenv, "CANCEL", customer="D", state="cancel",
                           date_deadline=now + datetime.timedelta(days=3, minutes=-10))
    Automation = tenv["base.automation"]
    Automation._cron_process_time_based()
    assert len(mails_of(tenv, due)) == 1
    assert not (mails_of(tenv, later) | mails_of(tenv, long_ago) | mails_of(tenv, cancelled))
    Automation._cron_process_time_based()
    assert len(mails_of(tenv, due)) == 1, "never twice for the same date"
    # the action is woken when the next order comes due, not at its next periodic run
    cron = tenv.ref("mail_core.ir_cron_base_automation")
    expected = later.date_deadline - datetime.timedelta(days=3)
    assert expected in cron.trigger_ids.mapped("call_at")


def test_a_new_date_rule_ignores_dates_already_past(tenv: Any, make_rule: Any,
                                                    make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="A",
                       date_deadline=fields.Datetime.now() - datetime.timedelta(days=1))
    make_rule(trigger="on_time", trg_date_id=field_id(tenv, "date_deadline"),
              trg_date_range=2, trg_date_range_type="hours")
    tenv["base.automation"]._cron_process_time_based()
    assert not mails_of(tenv, order)


def test_a_date_rule_on_a_date_field(tenv: Any, make_rule: Any, make_order: Any) -> None:
    today = datetime.date.today()
    rule = make_rule(trigger="on_time", trg_date_id=field_id(tenv, "date_order"),
                     trg_date_range=1, trg_date_range_type="days")
    rule.last_run = fields.Datetime.now() - datetime.timedelta(days=2)
    yesterday = make_order(tenv, "Y", customer="A", date_order=today - datetime.timedelta(days=1))
    today_order = make_order(tenv, "T", customer="B", date_order=today)
    tenv["base.automation"]._cron_process_time_based()
    assert mails_of(tenv, yesterday) and not mails_of(tenv, today_order)


def test_changing_a_date_wakes_the_action_in_time(tenv: Any, make_rule: Any,
                                                  make_order: Any) -> None:
    make_rule(trigger="on_time", trg_date_id=field_id(tenv, "date_deadline"),
              trg_date_range=-30, trg_date_range_type="minutes")
    deadline = fields.Datetime.now() + datetime.timedelta(hours=5)
    make_order(tenv, "SO1", customer="A", date_deadline=deadline)
    cron = tenv.ref("mail_core.ir_cron_base_automation")
    assert deadline - datetime.timedelta(minutes=30) in cron.trigger_ids.mapped("call_at")


def test_scheduled_runs_every_interval_on_matching_documents(tenv: Any, make_rule: Any,
                                                             make_order: Any) -> None:
    """A weekly summary every Monday at 8:00."""
    monday_8am = datetime.datetime(2024, 1, 1, 8, 0)
    rule = make_rule(trigger="on_schedule", interval_number=1, interval_type="weeks",
                     next_run=monday_8am, filter_domain="[('state', '=', 'sale')]")
    sold = make_order(tenv, "SOLD", customer="A", state="sale")
    draft = make_order(tenv, "DRAFT", customer="B")
    tenv["base.automation"]._cron_process_time_based()
    assert len(mails_of(tenv, sold)) == 1 and not mails_of(tenv, draft)
    now = fields.Datetime.now()
    assert rule.last_run >= now - datetime.timedelta(minutes=1)
    assert rule.next_run.weekday() == 0 and rule.next_run.time() == datetime.time(8, 0)
    assert now < rule.next_run <= now + datetime.timedelta(weeks=1)
    tenv["base.automation"]._cron_process_time_based()
    assert len(mails_of(tenv, sold)) == 1, "not before next Monday"
    cron = tenv.ref("mail_core.ir_cron_base_automation")
    assert rule.next_run in cron.trigger_ids.mapped("call_at")


def test_next_schedule_skips_missed_runs(tenv: Any, make_rule: Any) -> None:
    rule = make_rule(trigger="on_schedule", interval_number=2, interval_type="hours",
                     next_run=datetime.datetime(2030, 6, 1, 0, 30))
    assert rule._next_schedule(NOW) == datetime.datetime(2030, 6, 3, 12, 30)
    rule.write({"interval_number": 1, "interval_type": "months"})
    assert rule._next_schedule(NOW) == datetime.datetime(2030, 7, 1, 0, 30)


def test_the_time_based_action_wakes_when_a_date_comes(template_db: Any,
                                                       make_order: Any) -> None:
    """Through the cron worker: no polling, each date wakes the action at its time."""
    with template_db.env() as env:
        template = env["mail.template"].create({
            "name": "Due", "model_id": env["ir.model"]._get_id("test.mail.order"),
            "subject": "Due: {{ object.name }}", "email_from": "sales@example.com",
            "partner_to": "{{ object.partner_id.id }}"})
        env["base.automation"].create({
            "name": "At the deadline", "model_id": env["ir.model"]._get_id("test.mail.order"),
            "trigger": "on_time", "trg_date_id": field_id(env, "date_deadline"),
            "trg_date_range": 0, "trg_date_range_type": "minutes", "template_id": template.id})
        now = fields.Datetime.now()
        first = make_order(env, "FIRST", customer="A",
                           date_deadline=now + datetime.timedelta(seconds=2)).id
        second_deadline = now + datetime.timedelta(minutes=10)
        second = make_order(env, "SECOND", customer="B", date_deadline=second_deadline).id
    worker = CronWorker(template_db.database, lambda: template_db.registry)
    worker.run_pending()
    time.sleep(2.2)
    assert worker.run_pending() == 1
    with template_db.env() as env:
        assert mails_of(env, env["test.mail.order"].browse(first)).subject == "Due: FIRST"
        assert not mails_of(env, env["test.mail.order"].browse(second))
        cron = env.ref("mail_core.ir_cron_base_automation")
        assert cron.trigger_ids.mapped("call_at") == [second_deadline], "woken again then"
