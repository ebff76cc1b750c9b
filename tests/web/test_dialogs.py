"""What buttons return: forms opened as pages or dialogs, dialogs closed, the model's own
forms (``/web/model/<model>``); the composer opened by *Send by Email* on a contact."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.helpers import USER_PASSWORD, csrf_of, form_values, page, text_of

PARTNER_FORM = """<form><header>
    <button name="action_send_mail" type="object" string="Send by Email"/>
    <button name="action_test_result" type="object" string="Result"/>
</header><sheet><group><field name="name"/><field name="email"/></group></sheet></form>"""


@pytest.fixture
def contacts(env):
    view = env["ir.ui.view"].create({"name": "test.partner.form", "model": "res.partner",
                                     "priority": 1, "arch": PARTNER_FORM})
    return env["ir.actions.act_window"].create({"name": "Contacts", "res_model": "res.partner",
                                                "view_id": view.id})


@pytest.fixture
def zoe(env):
    return env["res.partner"].create({"name": "Zoe", "email": "zoe@example.org"})


@pytest.fixture
def welcome(env):
    return env["mail.template"].create({
        "name": "Welcome", "model_id": env["ir.model"]._get_id("res.partner"),
        "subject": "Welcome {{ object.name }}",
        "body_html": '<p>Dear <t t-out="object.name"/></p>'})


@pytest.fixture
def result(env, monkeypatch):
    """Make the contacts' "Result" button return what the test puts in ``result["value"]``."""
    box = {"value": None}
    monkeypatch.setattr(type(env["res.partner"]), "action_test_result",
                        lambda self: box["value"], raising=False)
    return box


def location(response):
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    return response.headers["Location"].removeprefix("http://localhost")


def flash_of(response):
    """The message shown once on the page (not the chatter's statuses)."""
    return text_of(page(response), '//main/div[@role="status"]')


def query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def press(client, url, button, changes=None, **extra):
    """Post the form of ``url`` as shown, with ``button`` pressed."""
    values = form_values(client.get(url), {"call_method": button, **(changes or {}), **extra})
    return client.post(url, data=values)


def test_send_by_email_opens_the_composer_as_a_page_without_scripts(
        env, admin_client, contacts, zoe, welcome):
    record_url = f"/web/action/{contacts.id}/record/{zoe.id}"
    dialog_url = location(press(admin_client, record_url, "action_send_mail"))
    composer_action = env.ref("mail_core.action_mail_compose_message")
    assert dialog_url.startswith(f"/web/action/{composer_action.id}/record/")
    assert query(dialog_url) == {"back": record_url}
    response = admin_client.get(dialog_url)
    tree = page(response)
    assert text_of(tree, '//h1[@class="o_dialog_title"]') == ["Send by Email"]
    assert tree.xpath('//a[@data-dialog-close]/@href') == [record_url]
    assert not tree.xpath('//nav[@class="o_breadcrumb"]')
    assert tree.xpath('//input[@name="subject"]/@value') == ["Welcome Zoe"]
    assert tree.xpath('//form[@id="o_form"]/@action') == [dialog_url]
    assert response.headers["X-Frame-Options"] == "DENY", "a page of its own is not framed"
    # Send posts the message and closes the dialog: back to the contact
    assert location(press(admin_client, dialog_url, "action_send_mail")) == record_url
    assert "Welcome Zoe" in zoe.message_ids.mapped("subject")
    assert flash_of(admin_client.get(record_url)) == ["Done."]


def test_with_scripts_the_composer_opens_in_a_modal_over_the_contact(
        env, admin_client, contacts, zoe, welcome):
    record_url = f"/web/action/{contacts.id}/record/{zoe.id}"
    response = press(admin_client, record_url, "action_send_mail", o_modal="1")
    assert location(response) == record_url
    tree = page(admin_client.get(record_url))
    assert not tree.xpath('//main/div[@role="status"]'), "the dialog is the feedback"
    dialog_url = tree.xpath("//*[@data-open-dialog]/@data-url")[0]
    assert query(dialog_url) == {"back": record_url}
    assert tree.xpath("//*[@data-open-dialog]/a/@href") == [dialog_url]
    assert not page(admin_client.get(record_url)).xpath("//*[@data-open-dialog]"), "once"
    # the framed page: no navigation bar, framed by this site only
    modal_url = f"{dialog_url}&modal=1"
    response = admin_client.get(modal_url)
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    tree = page(response)
    assert not tree.xpath('//header[@class="o_navbar"]')
    assert tree.xpath('//form[@id="o_form"]/@action') == [modal_url]
    # leaving the modal answers a page telling the page around it where to go
    response = press(admin_client, modal_url, "action_send_mail")
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page(response).xpath("//*[@data-dialog-done]/@data-dialog-done") == [record_url]
    assert "Welcome Zoe" in zoe.message_ids.mapped("subject")
    assert flash_of(admin_client.get(record_url)) == ["Done."]


def test_a_result_opens_the_form_of_any_model(env, admin_client, contacts, zoe, result):
    record_url = f"/web/action/{contacts.id}/record/{zoe.id}"
    tag = env["res.partner.category"].create({"name": "Customers"})
    result["value"] = {"type": "ir.actions.act_window", "res_model": "res.partner.category",
                       "res_id": tag.id, "view_mode": "form", "target": "current"}
    url = location(press(admin_client, record_url, "action_test_result"))
    assert url == f"/web/model/res.partner.category/record/{tag.id}"
    tree = page(admin_client.get(url))
    assert tree.xpath('//input[@name="name"]/@value') == ["Customers"]
    assert text_of(tree, '//nav[@class="o_breadcrumb"]//h1') == ["Customers"]
    response = admin_client.post(url, data=form_values(admin_client.get(url),
                                                       {"name": "Clients"}))
    assert location(response) == url and tag.name == "Clients"
    # a window action named by the result shows the form
    users = env.ref("web.action_users")
    result["value"] = {"type": "ir.actions.act_window", "res_model": "res.users",
                       "res_id": env.uid, "id": users.id, "target": "current"}
    url = location(press(admin_client, record_url, "action_test_result"))
    assert url == f"/web/action/{users.id}/record/{env.uid}"


def test_a_dialog_for_a_new_record_gets_the_defaults_of_the_result(env, admin_client, contacts,
                                                                    zoe, result):
    record_url = f"/web/action/{contacts.id}/record/{zoe.id}"
    result["value"] = {"type": "ir.actions.act_window", "res_model": "res.partner.category",
                       "view_mode": "form", "target": "new",
                       "context": {"default_name": "From Zoe", "active_test": False}}
    url = location(press(admin_client, record_url, "action_test_result"))
    assert urlsplit(url).path == "/web/model/res.partner.category/new"
    assert query(url) == {"back": record_url, "context": '{"default_name": "From Zoe"}'}
    form = admin_client.get(url)
    assert page(form).xpath('//input[@name="name"]/@value') == ["From Zoe"]
    saved = location(admin_client.post(url, data=form_values(form)))
    tag = env["res.partner.category"].search([("name", "=", "From Zoe")])
    assert saved == f"/web/model/res.partner.category/record/{tag.id}?back=" + \
        record_url.replace("/", "%2F")
    assert page(admin_client.get(saved)).xpath('//a[@data-dialog-close]/@href') == [record_url]


@pytest.mark.parametrize(("value", "expected"), [
    ({"type": "ir.actions.act_window_close"}, "record"),
    (True, "record"),
    ({"type": "ir.actions.act_url", "url": "/web?x=1"}, "/web?x=1"),
    ({"type": "ir.actions.act_url", "url": "https://evil.example/"}, "record"),
    ({"type": "ir.actions.act_window", "res_model": "no.such.model", "res_id": 1}, "record"),
])
def test_other_results(env, admin_client, contacts, zoe, result, value, expected):
    record_url = f"/web/action/{contacts.id}/record/{zoe.id}"
    result["value"] = value
    response = press(admin_client, record_url, "action_test_result")
    assert location(response) == (record_url if expected == "record" else expected)


def test_closing_a_dialog_returns_to_where_it_was_opened(env, admin_client, contacts, zoe,
                                                         result):
    list_url = f"/web/action/{contacts.id}?s=1&q=Zoe"
    dialog = f"/web/action/{contacts.id}/record/{zoe.id}"
    result["value"] = {"type": "ir.actions.act_window_close"}
    url = f"{dialog}?back={list_url.replace('?', '%3F').replace('&', '%26')}"
    assert location(press(admin_client, url, "action_test_result")) == list_url
    # a dialog opened from a dialog returns to the first page
    tag = env["res.partner.category"].create({"name": "Next"})
    result["value"] = {"type": "ir.actions.act_window", "res_model": "res.partner.category",
                       "res_id": tag.id, "target": "new"}
    next_url = location(press(admin_client, url, "action_test_result"))
    assert query(next_url) == {"back": list_url}
    # a foreign back is not followed
    tree = page(admin_client.get(f"{dialog}?back=https://evil.example/"))
    assert tree.xpath('//a[@data-dialog-close]/@href') == ["/web"]


def test_the_forms_of_a_model_check_the_users_rights(env, make_user, clients, zoe):
    make_user("reader@example.com")
    client = clients("reader@example.com", USER_PASSWORD)
    assert client.get(f"/web/model/res.partner/record/{zoe.id}").status_code == 200
    assert client.get("/web/model/no.such.model/record/1").status_code == 404
    assert client.get("/web/model/mail.thread/record/1").status_code == 404
    assert client.get("/web/model/res.partner/record/999999").status_code == 404
    param = env["ir.config_parameter"].search([], limit=1)
    assert client.get(f"/web/model/ir.config_parameter/record/{param.id}").status_code == 403
    model = env["ir.model"].search([("model", "=", "res.partner")])
    url = f"/web/model/ir.model/record/{model.id}"
    assert not page(client.get(url)).xpath('//button[text()="Save"]'), "read-only for users"
    response = client.post(f"{url}/delete", data={"csrf_token": csrf_of(client.get("/web"))})
    assert response.status_code == 403 and model.exists()
