"""The backend screens of templates, previews, the composer, scheduled messages and
automation rules: menus, list and form views, and a QWeb body kept through the form."""

from __future__ import annotations

from typing import Any

import pytest

from postroom.testing.http import TestClient, shared_cursor_app
from tests.web.helpers import ADMIN_PASSWORD, form_values, page


@pytest.fixture
def admin_client(env: Any, postroom_registry: Any) -> TestClient:
    env.ref("base.user_admin")._set_password(ADMIN_PASSWORD)
    client = TestClient(shared_cursor_app(postroom_registry, env.cr))
    assert client.login("admin", ADMIN_PASSWORD).status_code == 303
    return client


@pytest.fixture
def template(env: Any) -> Any:
    return env["mail.template"].create({
        "name": "Welcome", "model_id": env["ir.model"]._get_id("res.partner"),
        "subject": "Welcome {{ object.name }}",
        "body_html": '<p t-if="object.name">Dear <t t-out="object.name"/></p>'})


def opened(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return response


def test_menus(env: Any) -> None:
    email = env.ref("mail_core.menu_email_technical")
    for xmlid in ("mail_core.menu_email_templates", "mail_core.menu_mail_scheduled_message"):
        assert env.ref(xmlid).parent_id == email
    assert env.ref("mail_core.menu_base_automation").parent_id == \
        env.ref("web.menu_technical_automation")


def test_template_list_and_form_keep_the_qweb_body(env: Any, admin_client: TestClient,
                                                   template: Any) -> None:
    action = env.ref("mail_core.action_mail_template")
    listing = page(opened(admin_client, f"/web/action/{action.id}"))
    assert "Welcome {{ object.name }}" in listing.text_content()
    url = f"/web/action/{action.id}/record/{template.id}"
    form = opened(admin_client, url)
    tree = page(form)
    assert tree.xpath('//textarea[@name="body_html"]/text()') == [template.body_html]
    assert "action_open_preview" in tree.xpath('//button[@name="call_method"]/@value')
    body = '<p t-foreach="[1, 2]" t-as="n">Line <t t-out="n"/></p>'
    response = admin_client.post(url, data=form_values(form, {"body_html": body}))
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    assert template.body_html == body


def test_an_invalid_body_is_shown_with_its_error(env: Any, admin_client: TestClient,
                                                 template: Any) -> None:
    action = env.ref("mail_core.action_mail_template")
    url = f"/web/action/{action.id}/record/{template.id}"
    form = opened(admin_client, url)
    response = admin_client.post(url, data=form_values(form, {"body_html": '<p t-if="">x'}))
    assert response.status_code == 422
    assert "Body: " in response.get_data(as_text=True)
    assert template.body_html.startswith("<p t-if=\"object.name\">")


def test_preview_and_composer_forms(env: Any, admin_client: TestClient,
                                    template: Any) -> None:
    admin = env.ref("base.user_admin")  # previews and composers are their creator's own
    partner = env["res.partner"].create({"name": "Zoe", "email": "zoe@example.org"})
    preview = env["mail.template.preview"].browse(
        template.with_user(admin).action_open_preview()["res_id"])
    preview.res_id = partner.id
    action = env.ref("mail_core.action_mail_template_preview")
    tree = page(opened(admin_client, f"/web/action/{action.id}/record/{preview.id}"))
    assert "Welcome Zoe" in tree.text_content()
    composer_id = partner.with_user(admin).action_send_mail()["res_id"]
    action = env.ref("mail_core.action_mail_compose_message")
    tree = page(opened(admin_client, f"/web/action/{action.id}/record/{composer_id}"))
    assert tree.xpath('//input[@name="subject"]/@value') == ["Welcome Zoe"]
    assert "action_send_mail" in tree.xpath('//button[@name="call_method"]/@value')


def test_automation_and_scheduled_message_screens(env: Any, admin_client: TestClient,
                                                  template: Any) -> None:
    rule = env["base.automation"].create({
        "name": "Welcome new contacts", "model_id": env["ir.model"]._get_id("res.partner"),
        "trigger": "on_create", "template_id": template.id})
    action = env.ref("mail_core.action_base_automation")
    assert "Welcome new contacts" in page(opened(admin_client,
                                                 f"/web/action/{action.id}")).text_content()
    tree = page(opened(admin_client, f"/web/action/{action.id}/record/{rule.id}"))
    assert tree.xpath('//input[@name="name"]/@value') == ["Welcome new contacts"]
    partner = env["res.partner"].create({"name": "Yann"})
    env["mail.scheduled.message"].with_user(env.ref("base.user_admin")).create({
        "model": "res.partner", "res_id": partner.id, "subject": "Later",
        "scheduled_date": "2030-01-01 09:00:00"})
    action = env.ref("mail_core.action_mail_scheduled_message")
    listing = page(opened(admin_client, f"/web/action/{action.id}"))
    assert "Later" in listing.text_content()
