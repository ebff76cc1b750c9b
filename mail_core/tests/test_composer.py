"""The Send by Email composer: comment mode (post on the document) and mass mode (one email
per document, in background batches with progress for large selections)."""

from __future__ import annotations

from typing import Any

import pytest
from mail_template_fixtures import *  # the fixtures

from postroom.exceptions import AccessError, UserError
from postroom.service.cron import CronWorker


@pytest.fixture
def template(tenv: Any) -> Any:
    """The order template of the test addon, with a file."""
    template = tenv.ref("test_mail_template.mail_template_order")
    attachment = tenv["ir.attachment"].create({"name": "terms.pdf", "raw": b"%PDF"})
    template.write({"attachment_ids": [(6, 0, attachment.ids)], "auto_delete": False,
                    "email_from": "sales@example.com"})
    return template


def composer_of(env: Any, action: dict[str, Any]) -> Any:
    assert (action["type"], action["res_model"]) == ("ir.actions.act_window",
                                                     "mail.compose.message")
    return env["mail.compose.message"].browse(action["res_id"])


# ------------------------------------------------------------------------------------
# comment mode
# ------------------------------------------------------------------------------------
def test_send_by_email_opens_the_composer_filled_from_the_template(
        tenv: Any, template: Any, make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla", amount_total=99,
                       currency_id=tenv.ref("base.EUR").id)
    composer = composer_of(tenv, order.action_send_mail())
    assert composer.composition_mode == "comment"
    assert composer.template_id == template
    assert composer.subject == "Order SO1 - Carla"
    assert "Dear Carla" in composer.body and "€99.00" in composer.body
    assert composer.partner_ids == order.partner_id
    assert composer.email_from == "sales@example.com"
    assert composer.attachment_ids == template.attachment_ids


def test_send_posts_the_edited_message_in_the_chatter(tenv: Any, template: Any,
                                                      make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla")
    other = tenv["res.partner"].create({"name": "Otto", "email": "otto@example.org"})
    upload = tenv["ir.attachment"].create({"name": "extra.txt", "raw": b"extra"})
    composer = composer_of(tenv, order.action_send_mail())
    composer.write({"subject": "Your order,\nupdated", "body": "<p>Edited</p>",
                    "partner_ids": [(4, other.id)], "attachment_ids": [(4, upload.id)]})
    assert composer.action_send_mail() == {"type": "ir.actions.act_window_close"}
    message = order.message_ids.filtered(lambda m: m.message_type == "comment")
    assert message.subject == "Your order, updated"
    assert message.body == "<p>Edited</p>"
    assert message.partner_ids == order.partner_id | other
    assert sorted(message.attachment_ids.mapped("name")) == ["extra.txt", "terms.pdf"]
    assert set(message.attachment_ids.mapped("res_model")) == {"test.mail.order"}
    assert template.attachment_ids.res_model == "mail.template", "the template keeps its file"
    emailed = message.notification_ids.filtered(lambda n: n.notification_type == "email")
    assert sorted(emailed.mapped("res_partner_id.name")) == ["Carla", "Otto"]
    assert emailed.mapped("mail_mail_id.state") == ["outgoing"]
    assert composer.state == "done"
    with pytest.raises(UserError, match="sent already"):
        composer.action_send_mail()


def test_a_changed_template_refills_the_composer(tenv: Any, template: Any,
                                                 make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla")
    other = tenv["mail.template"].create({
        "name": "Reminder", "model_id": template.model_id.id,
        "subject": "Reminder {{ object.name }}", "body_html": "<p>Ping</p>"})
    composer = composer_of(tenv, order.action_send_mail())
    composer.write({"template_id": other.id, "body": "<p>Mine</p>"})
    assert composer.subject == "Reminder SO1"
    assert composer.body == "<p>Mine</p>", "what the user wrote with the change stays"


def test_a_composed_from_address_may_not_inject_headers(tenv: Any, template: Any,
                                                        make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Carla")
    composer = composer_of(tenv, order.action_send_mail())
    composer.email_from = "me@example.com\r\nBcc: victim@example.net"
    with pytest.raises(UserError, match="line break"):
        composer.action_send_mail()


# ------------------------------------------------------------------------------------
# mass mode
# ------------------------------------------------------------------------------------
def test_mass_mode_sends_one_personalised_email_per_document(tenv: Any, template: Any,
                                                             make_order: Any) -> None:
    orders = [make_order(tenv, f"SO{n}", customer=f"Customer {n}",
                         lang="fr_FR" if n == 2 else "en_US") for n in range(3)]
    records = tenv["test.mail.order"].browse([o.id for o in orders])
    composer = composer_of(tenv, records.action_send_mail())
    assert composer.composition_mode == "mass_mail"
    assert composer.subject == template.subject, "sources, rendered per document"
    assert composer.action_send_mail() == {"type": "ir.actions.act_window_close"}
    assert (composer.state, composer.progress_done, composer.progress_total) == ("done", 3, 3)
    mails = composer.sudo().mail_ids.sorted("res_id")
    assert mails.mapped("subject") == [f"Order SO{n} - Customer {n}" for n in range(3)]
    assert [m.recipient_ids.name for m in mails] == [f"Customer {n}" for n in range(3)]
    assert mails.mapped("attachment_ids") == template.attachment_ids
    for order, mail in zip(orders, mails):
        assert mail.mail_message_id in order.message_ids


def test_mass_mode_renders_edited_fields_with_the_users_rights(
        tenv: Any, template: Any, make_order: Any, new_user: Any) -> None:
    tenv["ir.config_parameter"].set_param("mail.restrict.template.rendering", "1")
    user = new_user(tenv, "Ursula")
    orders = tenv["test.mail.order"].browse([make_order(tenv, f"SO{n}").id for n in range(2)])
    composer = composer_of(tenv, orders.with_user(user).action_send_mail()).with_user(user)
    composer.subject = "About {{ object.name }}"  # plain path: fine
    composer.action_send_mail()
    assert sorted(composer.sudo().mail_ids.mapped("subject")) == ["About SO0", "About SO1"]
    composer = composer_of(tenv, orders.with_user(user).action_send_mail()).with_user(user)
    composer.subject = "{{ object.name.upper() }}"
    with pytest.raises(AccessError, match="Mail Template Editor"):
        composer.action_send_mail()
    composer.subject = "{{ object.name + }}"
    with pytest.raises(UserError, match=r"Subject: .*object\.name \+"):
        composer.action_send_mail()


def test_a_large_selection_is_sent_in_the_background_with_progress(
        tenv: Any, template: Any, make_order: Any) -> None:
    tenv["ir.config_parameter"].set_param("mail.batch_size", 2)
    orders = [make_order(tenv, f"SO{n}", customer=f"C{n}") for n in range(5)]
    composer = composer_of(tenv, tenv["test.mail.order"].browse(
        [o.id for o in orders]).action_send_mail())
    deleted = orders[3]
    deleted.unlink()  # after being selected
    action = composer.action_send_mail()
    assert action["res_id"] == composer.id, "the user sees the progress"
    assert (composer.state, composer.progress_done, composer.progress_total) == ("queued", 0, 5)
    assert not composer.sudo().mail_ids, "nothing done during the request"
    cron = tenv.ref("mail_core.ir_cron_mail_compose_mass")
    assert cron.trigger_ids
    Composer = tenv["mail.compose.message"]
    progress = []
    for _run in range(3):
        Composer._process_mass_queue()
        progress.append((composer.state, composer.progress_done, len(composer.sudo().mail_ids)))
    assert progress == [("running", 2, 2), ("running", 4, 3), ("done", 5, 4)]
    assert composer.failure_count == 1
    assert composer.failure_report == f"Document {deleted.id}: deleted"


def test_a_document_that_fails_to_render_is_reported_the_others_go(
        tenv: Any, template: Any, make_order: Any) -> None:
    template.subject = "{{ object.name }} {{ (100 // object.amount_total)|int }}"
    usd = tenv.ref("base.USD").id
    orders = tenv["test.mail.order"].browse([
        make_order(tenv, name, amount_total=amount, currency_id=usd).id
        for name, amount in (("A", 10), ("B", 0), ("C", 50))])
    composer = composer_of(tenv, orders.action_send_mail())
    composer.action_send_mail()
    assert composer.state == "done"
    assert sorted(composer.sudo().mail_ids.mapped("subject")) == ["A 10", "C 2"]
    assert composer.failure_count == 1
    assert composer.failure_report.startswith(f"Document {orders[1].id}: ")
    assert "ZeroDivisionError" in composer.failure_report


def test_mass_mode_without_template_uses_the_documents_recipients(tenv: Any,
                                                                  make_order: Any) -> None:
    orders = tenv["test.mail.order"].browse(
        [make_order(tenv, f"SO{n}", customer=f"C{n}").id for n in range(2)])
    composer = tenv["mail.compose.message"].create({
        "model": "test.mail.order", "res_ids": orders.ids, "subject": "News",
        "body": '<p>Hello <t t-out="object.partner_id.name"/></p>'})
    composer.action_send_mail()
    mails = composer.sudo().mail_ids.sorted("res_id")
    assert [m.recipient_ids.name for m in mails] == ["C0", "C1"]
    assert mails.mapped("body_html") == ["<p>Hello C0</p>", "<p>Hello C1</p>"]


def test_background_sending_through_the_cron_worker(template_db: Any, make_order: Any) -> None:
    with template_db.env() as env:
        env["ir.config_parameter"].set_param("mail.batch_size", 3)
        user = env["res.users"].create({"name": "Sam", "login": "sam@example.com",
                                        "groups_id": [(6, 0, [env.ref("base.group_user").id])]})
        ids = [make_order(env, f"SO{n}", customer=f"C{n}").id for n in range(10)]
        user_id = user.id
    with template_db.env(uid=user_id) as env:
        composer = composer_of(env, env["test.mail.order"].browse(ids).action_send_mail())
        composer.action_send_mail()
        composer_id = composer.id
    worker = CronWorker(template_db.database, lambda: template_db.registry)
    for _round in range(10):
        if not worker.run_pending():
            break
    with template_db.env() as env:
        composer = env["mail.compose.message"].browse(composer_id)
        assert (composer.state, composer.progress_done) == ("done", 10)
        assert len(composer.mail_ids) == 10
        assert composer.mail_ids.mapped("author_id") == user.with_env(env).partner_id
