"""mail.template.preview: every field rendered for a chosen record in a chosen language, or
the error of each field that fails, with its expression."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from mail_template_fixtures import *  # the fixtures

from postroom.exceptions import AccessError


@pytest.fixture
def template(tenv: Any) -> Any:
    return tenv["mail.template"].create({
        "name": "Quote", "model_id": tenv["ir.model"]._get_id("test.mail.order"),
        "subject": "Quote {{ object.name }}", "lang": "{{ object.partner_id.lang }}",
        "email_from": "{{ object.user_id.email ||| sales@example.com }}",
        "partner_to": "{{ object.partner_id.id }}",
        "scheduled_date": "{{ object.date_deadline }}",
        "body_html": '<p t-out="format_amount(object.amount_total, object.currency_id)"/>'})


def test_preview_renders_every_field_for_the_record(tenv: Any, template: Any,
                                                    make_order: Any) -> None:
    order = make_order(tenv, "SO7", customer="Fanny", lang="fr_FR", amount_total=1500,
                       currency_id=tenv.ref("base.USD").id,
                       date_deadline=datetime.datetime(2030, 1, 2, 3, 4, 5))
    action = template.action_open_preview()
    preview = tenv["mail.template.preview"].browse(action["res_id"])
    assert (action["res_model"], action["target"]) == ("mail.template.preview", "new")
    preview.res_id = order.id
    assert preview.record_name == "SO7"
    assert preview.subject == "Quote SO7"
    assert preview.email_from == "sales@example.com"
    assert preview.partner_ids == order.partner_id
    assert preview.scheduled_date == "2030-01-02 03:04:05"
    assert preview.rendered_lang == "fr_FR"
    assert preview.body_html == "<p>1\u202f500,00\xa0$US</p>"
    assert not preview.error_msg
    preview.lang = "en_US"  # the language chosen wins over the template's
    assert preview.body_html == "<p>$1,500.00</p>"


def test_preview_starts_on_a_record_of_the_model(tenv: Any, template: Any,
                                                 make_order: Any) -> None:
    make_order(tenv, "SO1")
    preview = tenv["mail.template.preview"].create({"mail_template_id": template.id})
    assert preview.res_id and preview.subject.startswith("Quote ")


def test_preview_shows_each_failing_field_with_its_expression(tenv: Any, template: Any,
                                                              make_order: Any) -> None:
    template.write({"subject": "{{ object.nope }}",
                    "scheduled_date": "{{ object.name }}"})
    order = make_order(tenv, "SO8", customer="Ann", currency_id=tenv.ref("base.EUR").id)
    preview = tenv["mail.template.preview"].create({"mail_template_id": template.id,
                                                    "res_id": order.id})
    errors = preview.error_msg.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("Subject: ") and "object.nope" in errors[0]
    assert errors[1].startswith("Scheduled Date: ") and "'SO8' is not a date" in errors[1]
    assert not preview.subject
    assert preview.partner_ids == order.partner_id  # the other fields still render


def test_preview_without_a_record(tenv: Any, template: Any) -> None:
    tenv["test.mail.order"].search([]).unlink()
    preview = tenv["mail.template.preview"].create({"mail_template_id": template.id})
    assert "Choose a record" in preview.error_msg


def test_preview_only_of_readable_records(tenv: Any, template: Any, make_order: Any,
                                          new_user: Any) -> None:
    portal = new_user(tenv, "Pat", groups=("base.group_portal",))
    order = make_order(tenv, "SO9")
    with pytest.raises(AccessError):
        tenv["mail.template.preview"].with_user(portal).create(
            {"mail_template_id": template.id, "res_id": order.id})
