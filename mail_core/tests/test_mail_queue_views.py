"""Settings → Technical → Email: the Emails and Outgoing Mail Servers screens."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from lxml import html

from postroom.testing.http import TestClient, shared_cursor_app
from postroom.testing.smtp import SMTPPeer

PASSWORD = "admin-password-for-tests"


@pytest.fixture
def admin_client(env: Any, postroom_registry: Any) -> TestClient:
    env.ref("base.user_admin")._set_password(PASSWORD)
    client = TestClient(shared_cursor_app(postroom_registry, env.cr))
    assert client.login("admin", PASSWORD).status_code == 303
    return client


def _page(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return html.fromstring(response.get_data(as_text=True))


def _text(tree: Any, xpath: str) -> list[str]:
    return [" ".join(node.text_content().split()) for node in tree.xpath(xpath)]


def _buttons(tree: Any) -> list[str]:
    return tree.xpath('//button[@name="call_method"]/@value')


def test_email_menus(env: Any) -> None:
    emails = env.ref("mail_core.menu_mail_mail")
    servers = env.ref("mail_core.menu_ir_mail_server")
    assert emails.parent_id == servers.parent_id == env.ref("mail_core.menu_email_technical")
    assert env.ref("mail_core.menu_email_technical").parent_id == env.ref("web.menu_technical")
    assert emails.action == f"ir.actions.act_window,{env.ref('mail_core.action_mail_mail').id}"
    assert servers.action == \
        f"ir.actions.act_window,{env.ref('mail_core.action_ir_mail_server').id}"


def test_emails_list_and_form(env: Any, admin_client: TestClient) -> None:
    failed = env["mail.mail"].create({
        "subject": "Invoice 42", "email_from": "ceo@example.com", "email_to": "x@example.org",
        "state": "exception", "failure_type": "mail_bounce",
        "failure_reason": "x@example.org: refused the recipient: 550 5.1.1 no such user"})
    env["mail.mail"].create({"subject": "Later", "email_to": "y@example.org"})
    action = env.ref("mail_core.action_mail_mail")
    listing = _page(admin_client, f"/web/action/{action.id}?search=Invoice")
    assert "Invoice 42" in listing.text_content() and "Bounced" in listing.text_content()
    url = f"/web/action/{action.id}/record/{failed.id}"
    form = _page(admin_client, url)
    assert _buttons(form) == ["action_retry", "cancel"]
    assert "550 5.1.1 no such user" in form.text_content()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html.tostring(form, encoding=str))
    response = admin_client.post(url, data={"csrf_token": token.group(1),
                                            "call_method": "action_retry", "o_fields": ""})
    assert response.status_code == 303
    assert failed.state == "outgoing" and not failed.failure_reason
    assert _buttons(_page(admin_client, url)) == ["action_send", "cancel"]


def test_filters_of_the_emails_list(env: Any) -> None:
    search = env.ref("mail_core.mail_mail_search")
    names = re.findall(r'<filter name="(\w+)"', search.arch)
    for name in ("outgoing", "sent", "exception", "cancel", "retrying", "scheduled"):
        assert name in names


def test_server_form(env: Any, admin_client: TestClient) -> None:
    server = env["ir.mail_server"].create({"name": "Relay", "smtp_host": "smtp.example.com",
                                           "smtp_user": "bob", "smtp_pass": "s3cret"})
    action = env.ref("mail_core.action_ir_mail_server")
    form = _page(admin_client, f"/web/action/{action.id}/record/{server.id}")
    assert _buttons(form) == ["test_smtp_connection"]
    assert form.xpath('//input[@type="password"]')
    assert "s3cret" not in html.tostring(form, encoding=str)
    assert "Relay" in _text(_page(admin_client, f"/web/action/{action.id}"), "//table")[0]


def _csrf(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found
    return found.group(1)


def _flash(client: TestClient, url: str) -> list[str]:
    return _text(_page(client, url), '//main/div[@role="status"]')


def test_test_connection_shows_the_notification(env: Any, admin_client: TestClient,
                                                smtp_peer: SMTPPeer) -> None:
    server = env["ir.mail_server"].create({
        "name": "Peer", "smtp_host": smtp_peer.host, "smtp_port": smtp_peer.port,
        "smtp_timeout": 5, "from_filter": "sales@example.com"})
    action = env.ref("mail_core.action_ir_mail_server")
    url = f"/web/action/{action.id}/record/{server.id}"
    response = admin_client.post(url, data={"csrf_token": _csrf(admin_client, url),
                                            "call_method": "test_smtp_connection",
                                            "o_fields": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    tree = _page(admin_client, url)
    [alert] = tree.xpath('//main/div[@role="status"]')
    assert "o_alert_success" in alert.get("class").split()
    assert _text(alert, "./strong") == ["Connection Test Successful!"]
    assert f"Connected to {smtp_peer.host}:{smtp_peer.port}" in alert.text_content()
    assert "sales@example.com" in alert.text_content()
    assert _buttons(tree) == ["test_smtp_connection"]  # the form is still there
    assert smtp_peer.messages == []


def test_bulk_actions_of_the_emails_list(env: Any, admin_client: TestClient) -> None:
    Mail = env["mail.mail"]
    later = datetime.datetime(2999, 1, 1)
    first, second, third = Mail.create([
        {"subject": f"Queued {n}", "email_to": f"q{n}@example.org", "scheduled_date": later}
        for n in (1, 2, 3)])
    failed = Mail.create([{"subject": f"Failed {n}", "email_to": f"f{n}@example.org",
                           "state": "exception", "failure_type": "mail_smtp",
                           "failure_reason": "421 try later"} for n in (1, 2)])
    action = env.ref("mail_core.action_mail_mail")
    list_url = f"/web/action/{action.id}"
    menu = _page(admin_client, list_url).xpath('//details[summary="Action"]')[0]
    assert _text(menu, ".//button") == ["Cancel", "Retry", "Send Now"]
    # on the list only: the form has its own buttons, which follow the mail's state
    form = _page(admin_client, f"{list_url}/record/{first.id}")
    assert not form.xpath('//form[starts-with(@action, "/web/server_action/")]')

    cancel = env.ref("mail_core.action_mail_mail_cancel")
    response = admin_client.post(f"/web/server_action/{cancel.id}", data={
        "csrf_token": _csrf(admin_client, list_url), "ids": [str(first.id), str(second.id)],
        "back": list_url})
    assert response.status_code == 303 and response.headers["Location"].endswith(list_url)
    assert (first | second | third).mapped("state") == ["cancel", "cancel", "outgoing"]
    assert _flash(admin_client, list_url) == ["Cancel: done."]

    retry = env.ref("mail_core.action_mail_mail_retry")
    admin_client.post(f"/web/server_action/{retry.id}", data={
        "csrf_token": _csrf(admin_client, list_url), "ids": [str(i) for i in failed.ids],
        "back": list_url})
    assert failed.mapped("state") == ["outgoing", "outgoing"]
    assert not any(failed.mapped("failure_reason"))


def test_bulk_actions_of_the_emails_list_need_the_rights(env: Any, admin_client: TestClient,
                                                         postroom_registry: Any) -> None:
    mail = env["mail.mail"].create({"subject": "Queued", "email_to": "q@example.org",
                                    "scheduled_date": datetime.datetime(2999, 1, 1)})
    clerk = env["res.users"].create({"name": "Clerk", "login": "clerk@example.com",
                                     "groups_id": [(6, 0, [env.ref("base.group_user").id])]})
    clerk._set_password(PASSWORD)
    client = TestClient(shared_cursor_app(postroom_registry, env.cr))
    assert client.login("clerk@example.com", PASSWORD).status_code == 303
    cancel = env.ref("mail_core.action_mail_mail_cancel")
    response = client.post(f"/web/server_action/{cancel.id}", data={
        "csrf_token": _csrf(client, "/web"), "ids": [str(mail.id)], "back": "/web"})
    assert response.status_code == 403
    assert mail.state == "outgoing"
    # and without the CSRF token, nothing happens either
    response = admin_client.post(f"/web/server_action/{cancel.id}", data={
        "ids": [str(mail.id)], "back": "/web"})
    assert response.status_code in (400, 403)
    assert mail.state == "outgoing"
