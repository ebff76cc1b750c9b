"""Settings → Technical → Email: the Emails and Outgoing Mail Servers screens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from lxml import html

from postroom.testing.http import TestClient, shared_cursor_app

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
