"""Server actions bound to a model: the Action menu of its lists and forms, run on the
selected records, their result followed (the mass Send by Email composer)."""

from __future__ import annotations

import pytest

from tests.web.helpers import USER_PASSWORD, csrf_of, form_values, page, text_of
from tests.web.test_dialogs import flash_of, location, query


@pytest.fixture
def partners(env):
    return env["res.partner"].create([
        {"name": name, "email": f"{name.lower()}@example.org", "ref": "bound"}
        for name in ("Ada", "Bob", "Cleo")])


@pytest.fixture
def contacts(env, partners):
    return env["ir.actions.act_window"].create({
        "name": "Contacts", "res_model": "res.partner", "domain": "[('ref', '=', 'bound')]"})


def server_action(env, name, **values):
    partner_model = env["ir.model"]._get_id("res.partner")
    return env["ir.actions.server"].create({"name": name, "model_id": partner_model,
                                            "binding_model_id": partner_model, **values})


@pytest.fixture
def welcome(env):
    return env["mail.template"].create({
        "name": "Welcome", "model_id": env["ir.model"]._get_id("res.partner"),
        "subject": "Welcome {{ object.name }}", "email_to": "{{ object.email }}",
        "body_html": '<p>Dear <t t-out="object.name"/></p>'})


def run(client, list_url, action, ids, **extra):
    token = csrf_of(client.get(list_url))
    return client.post(f"/web/server_action/{action.id}", data={
        "csrf_token": token, "ids": [str(i) for i in ids], "back": list_url, **extra})


def test_the_action_menu_lists_the_bound_server_actions(env, admin_client, contacts, partners):
    mark = server_action(env, "Mark as customers", update_values="{'comment': 'customer'}")
    nobody = env["res.groups"].create({"name": "Nobody"})
    server_action(env, "For nobody", update_values="{'comment': 'x'}",
                  groups_id=[(6, 0, nobody.ids)])
    env["ir.actions.server"].create({  # not bound: in no menu
        "name": "Unbound", "model_id": env["ir.model"]._get_id("res.partner"),
        "update_values": "{'comment': 'y'}"})
    list_url = f"/web/action/{contacts.id}"
    tree = page(admin_client.get(list_url))
    menu = tree.xpath('//details[summary="Action"]')[0]
    assert text_of(menu, ".//button") == ["Mark as customers"]
    assert menu.xpath(".//button/@formaction") == [f"/web/server_action/{mark.id}"]
    assert menu.xpath(".//button/@form") == ["o_bulk"]
    # the record's Actions menu has them too, on the record
    tree = page(admin_client.get(f"{list_url}/record/{partners[0].id}"))
    item = tree.xpath(f'//form[@action="/web/server_action/{mark.id}"]')[0]
    assert item.xpath('.//input[@name="ids"]/@value') == [str(partners[0].id)]
    assert item.xpath('.//input[@name="back"]/@value') == [f"{list_url}/record/{partners[0].id}"]


def test_running_a_server_action_on_the_selection(env, admin_client, contacts, partners):
    mark = server_action(env, "Mark as customers", update_values="{'comment': 'customer'}")
    list_url = f"/web/action/{contacts.id}?s=1&q=a"
    response = run(admin_client, list_url, mark, partners[:2].ids)
    assert location(response) == list_url
    assert partners.mapped("comment") == ["customer", "customer", False]
    assert flash_of(admin_client.get(list_url)) == ["Mark as customers: done."]
    response = run(admin_client, list_url, mark, [])
    assert location(response) == list_url
    assert flash_of(admin_client.get(list_url)) == ["Select the records first."]


def test_mass_send_by_email_opens_the_composer_on_the_selection(env, admin_client, contacts,
                                                                 partners, welcome):
    send = server_action(env, "Send by Email", state="method", method_name="action_send_mail")
    list_url = f"/web/action/{contacts.id}"
    dialog_url = location(run(admin_client, list_url, send, partners.ids))
    assert query(dialog_url) == {"back": list_url}
    form = admin_client.get(dialog_url)
    tree = page(form)
    assert text_of(tree, '//h1[@class="o_dialog_title"]') == ["Send by Email"]
    composer = env["mail.compose.message"].search([], order="id desc", limit=1)
    assert (composer.composition_mode, composer.res_ids) == ("mass_mail", partners.ids)
    values = form_values(form, {"call_method": "action_send_mail"})
    assert location(admin_client.post(dialog_url, data=values)) == list_url
    assert sorted(composer.mail_ids.mapped("subject")) == ["Welcome Ada", "Welcome Bob",
                                                          "Welcome Cleo"]
    # with scripts, the list opens the composer in a modal over itself
    response = run(admin_client, list_url, send, partners[:1].ids, o_modal="1")
    assert location(response) == list_url
    assert page(admin_client.get(list_url)).xpath("//*[@data-open-dialog]/@data-url")


def test_server_actions_check_binding_groups_and_rights(env, make_user, clients, contacts,
                                                         partners):
    make_user("clerk@example.com")
    client = clients("clerk@example.com", USER_PASSWORD)
    list_url = f"/web/action/{contacts.id}"
    hidden = server_action(env, "Admins only", update_values="{'comment': 'x'}",
                           groups_id=[(6, 0, [env.ref("base.group_system").id])])
    assert run(client, list_url, hidden, partners.ids).status_code == 403
    unbound = env["ir.actions.server"].create({
        "name": "Unbound", "model_id": env["ir.model"]._get_id("res.partner"),
        "update_values": "{'comment': 'y'}"})
    assert run(client, list_url, unbound, partners.ids).status_code == 404
    # the action runs with the user's rights: a clerk may not rename the models
    rename = env["ir.actions.server"].create({
        "name": "Rename", "model_id": env["ir.model"]._get_id("ir.model"),
        "binding_model_id": env["ir.model"]._get_id("ir.model"),
        "update_values": "{'name': 'Renamed'}"})
    model = env["ir.model"].search([("model", "=", "res.partner")])
    assert run(client, list_url, rename, model.ids).status_code == 403
    assert model.name != "Renamed"
    assert partners.mapped("comment") == [False] * 3
