"""Notifications returned by buttons and server actions (``display_notification`` client
actions), and server actions bound to lists or forms only (``binding_view_types``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.helpers import csrf_of, form_values, page, text_of
from tests.web.test_dialogs import flash_of, location

CHECK_FORM = """<form><header>
    <button name="action_check_reach" type="object" string="Check"/>
</header><sheet><group><field name="name"/><field name="email"/></group></sheet></form>"""


def notification(title: str | None, message: str, kind: str = "success", **params: Any) -> dict:
    return {"type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": False,
                       **params}}


@pytest.fixture
def returns(env: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Contacts get a button method, ``action_check_reach``, returning ``returns["value"]``
    (called with the records when it is callable)."""
    answer: dict[str, Any] = {"value": None}

    def action_check_reach(self: Any) -> Any:
        value = answer["value"]
        return value(self) if callable(value) else value
    monkeypatch.setattr(type(env["res.partner"]), "action_check_reach", action_check_reach,
                        raising=False)
    return answer


@pytest.fixture
def contacts(env: Any) -> Any:
    view = env["ir.ui.view"].create({"name": "notify.partner.form", "model": "res.partner",
                                     "priority": 1, "arch": CHECK_FORM})
    return env["ir.actions.act_window"].create({
        "name": "Contacts", "res_model": "res.partner", "view_id": view.id,
        "domain": "[('ref', '=', 'notify')]"})


@pytest.fixture
def zoe(env: Any) -> Any:
    return env["res.partner"].create({"name": "Zoe", "email": "zoe@example.org", "ref": "notify"})


def press(client: Any, url: str, changes: dict[str, Any] | None = None) -> Any:
    values = form_values(client.get(url), {"call_method": "action_check_reach", **(changes or {})})
    return client.post(url, data=values)


def alert(response: Any) -> Any:
    [node] = page(response).xpath('//main/div[@role="status"]')
    return node


def test_a_notification_shows_its_title_and_message(admin_client, returns, contacts, zoe):
    returns["value"] = notification("Reachable", "Zoe's mailbox accepts mail.")
    url = f"/web/action/{contacts.id}/record/{zoe.id}"
    assert location(press(admin_client, url, {"email": "zoe@example.net"})) == url
    shown = admin_client.get(url)
    node = alert(shown)
    assert "o_alert_success" in node.get("class").split()
    assert text_of(node, "./strong") == ["Reachable"]
    assert text_of(node, './span[@class="o_alert_text"]') == ["Zoe's mailbox accepts mail."]
    assert "Done." not in node.text_content()
    # the form is the record's, saved, and its button works again
    assert zoe.email == "zoe@example.net"
    assert page(shown).xpath('//button[@name="call_method"][@value="action_check_reach"]')
    returns["value"] = notification("Unreachable", "No mailbox.\nCheck the address.",
                                    "danger", sticky=True)
    assert location(press(admin_client, url)) == url
    node = alert(admin_client.get(url))
    assert "o_alert_danger" in node.get("class").split()
    assert node.xpath('./span[@class="o_alert_text"]')[0].text == "No mailbox.\nCheck the address."


def test_notifications_escape_and_default_their_style(admin_client, returns, contacts, zoe):
    url = f"/web/action/{contacts.id}/record/{zoe.id}"
    returns["value"] = notification(None, "<b>bold</b> & plain", "rainbow")
    press(admin_client, url)
    response = admin_client.get(url)
    node = alert(response)
    assert "o_alert_info" in node.get("class").split() and not node.xpath("./strong")
    assert not node.xpath(".//b") and node.text_content().strip() == "<b>bold</b> & plain"
    # a notification saying nothing says the button was used
    returns["value"] = {"type": "ir.actions.client", "tag": "display_notification"}
    press(admin_client, url)
    assert flash_of(admin_client.get(url)) == ["Done."]


def test_a_notification_then_its_next_action(env, admin_client, returns, contacts, zoe):
    url = f"/web/action/{contacts.id}/record/{zoe.id}"
    other = env["res.partner"].create({"name": "Yann", "ref": "notify"})
    returns["value"] = notification("Merged", "Zoe was merged into Yann.", next={
        "type": "ir.actions.act_window", "res_model": "res.partner", "res_id": other.id,
        "view_mode": "form", "target": "current"})
    other_url = f"/web/action/{contacts.id}/record/{other.id}"
    assert location(press(admin_client, url)) == other_url
    assert flash_of(admin_client.get(other_url)) == ["Merged Zoe was merged into Yann."]
    # next may be a local URL (never another site), or anything else: stay
    list_url = f"/web/action/{contacts.id}"
    returns["value"] = notification("Done", "Back to the list.",
                                    next={"type": "ir.actions.act_url", "url": list_url})
    assert location(press(admin_client, url)) == list_url
    returns["value"] = notification("Done", "Nowhere.",
                                    next={"type": "ir.actions.act_url", "url": "https://x.org/"})
    assert location(press(admin_client, url)) == url
    returns["value"] = notification("First", "One.", next=notification("Second", "Two."))
    assert location(press(admin_client, url)) == url
    assert flash_of(admin_client.get(url)) == ["First One."]


def test_a_notification_in_a_modal_dialog_stays_in_it(admin_client, returns, contacts, zoe):
    returns["value"] = notification("Reachable", "Yes.")
    url = f"/web/action/{contacts.id}/record/{zoe.id}?back=%2Fweb&modal=1"
    assert location(press(admin_client, url)) == url
    assert flash_of(admin_client.get(url)) == ["Reachable Yes."]


def bound(env: Any, name: str, view_types: str | bool, method: str = "action_check_reach"
          ) -> Any:
    partner_model = env["ir.model"]._get_id("res.partner")
    return env["ir.actions.server"].create({
        "name": name, "model_id": partner_model, "binding_model_id": partner_model,
        "state": "method", "method_name": method, "binding_view_types": view_types})


def test_server_actions_show_notifications(env, admin_client, returns, contacts, zoe):
    check = bound(env, "Check reach", "list")
    returns["value"] = lambda records: notification(
        "Checked", f"{len(records)} contacts checked.", "warning")
    list_url = f"/web/action/{contacts.id}"
    token = csrf_of(admin_client.get(list_url))
    response = admin_client.post(f"/web/server_action/{check.id}", data={
        "csrf_token": token, "ids": [str(zoe.id)], "back": list_url})
    assert location(response) == list_url
    node = alert(admin_client.get(list_url))
    assert "o_alert_warning" in node.get("class").split()
    assert " ".join(node.text_content().split()) == "Checked 1 contacts checked."


def test_binding_view_types(env, admin_client, returns, contacts, zoe):
    bound(env, "On lists", "list")
    bound(env, "On forms", "form")
    bound(env, "On both", "list,form")
    bound(env, "Default", False)
    list_menu = page(admin_client.get(f"/web/action/{contacts.id}")).xpath(
        '//details[summary="Action"]')[0]
    assert sorted(text_of(list_menu, ".//button")) == ["Default", "On both", "On lists"]
    form = page(admin_client.get(f"/web/action/{contacts.id}/record/{zoe.id}"))
    names = text_of(form, '//form[starts-with(@action, "/web/server_action/")]//button')
    assert sorted(names) == ["Default", "On both", "On forms"]
