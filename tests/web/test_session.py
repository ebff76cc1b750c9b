"""Logging in and out, redirects, CSRF, and who may reach the backend at all."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from tests.web.helpers import ADMIN_PASSWORD, USER_PASSWORD, csrf_of, page, text_of


def test_login_page_offers_a_form_with_a_csrf_token(http_client):
    response = http_client.get("/web/login")
    assert response.status_code == 200
    tree = page(response)
    assert tree.xpath('//form[@action="/web/login"]//input[@name="csrf_token"]/@value')[0]
    assert tree.xpath('//label[@for="login"]') and tree.xpath('//label[@for="password"]')


def test_log_in_then_out(admin, http_client):
    response = http_client.login("admin", ADMIN_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/web")
    home = http_client.get("/web")
    assert home.status_code == 200
    assert "Settings" in text_of(page(home), '//span[@class="o_app_label"]')
    response = http_client.post("/web/logout", data={"csrf_token": csrf_of(home)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/web/login")
    assert http_client.get("/web").status_code == 303


def test_the_site_root_leads_to_the_backend(http_client):
    response = http_client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/web")


def test_a_logged_in_user_skips_the_login_page(admin_client):
    response = admin_client.get("/web/login?redirect=/web/action/1")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/web/action/1")


@pytest.mark.parametrize("target, expected", [
    ("/web/action/3?s=1&q=x", "/web/action/3?s=1&q=x"),
    ("https://evil.example/", "/web"),
    ("//evil.example/web", "/web"),
    ("/\\evil.example", "/web"),
    ("javascript:alert(1)", "/web"),
])
def test_login_returns_only_to_a_local_page(admin, http_client, target, expected):
    token = http_client.csrf_token("/web/login")
    response = http_client.post("/web/login", data={
        "login": "admin", "password": ADMIN_PASSWORD, "redirect": target, "csrf_token": token})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.split("://", 1)[-1].split("/", 1)[-1] == expected.lstrip("/")


def test_wrong_password_is_refused_with_a_message(make_user, http_client):
    make_user("wrong-password@example.com")
    response = http_client.login("wrong-password@example.com", "not-the-password")
    assert response.status_code == 200
    tree = page(response)
    assert text_of(tree, '//*[@role="alert"]') == ["Wrong login or password."]
    assert tree.xpath('//input[@id="login"]/@value') == ["wrong-password@example.com"]
    assert http_client.get("/web").status_code == 303


def test_anonymous_visitors_are_sent_to_the_login_page(http_client):
    response = http_client.get("/web/action/3?s=1&q=ada")
    assert response.status_code == 303
    location = unquote(response.headers["Location"])
    assert "/web/login?redirect=/web/action/3?s=1&q=ada" in location
    reply = http_client.json_call("/web/m2o/res.partner", {"term": "a"})
    assert reply["error"]["data"]["name"] == "postroom.http.SessionExpiredException"


def test_portal_users_never_reach_the_backend(env, make_user, clients):
    make_user("pat@example.com", "base.group_portal")
    client = clients("pat@example.com", USER_PASSWORD)
    cron = env.ref("web.action_cron")
    record = env["ir.cron"].search([], limit=1)
    for url in ("/web", "/web/menu/1", f"/web/action/{cron.id}", f"/web/action/{cron.id}/new",
                f"/web/action/{cron.id}/record/{record.id}", f"/web/action/{cron.id}/export"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "no access to the backend" in response.get_data(as_text=True)
    token = csrf_of(client.get("/web"))
    response = client.post(f"/web/action/{cron.id}/bulk",
                           data={"csrf_token": token, "ids": record.id, "operation": "delete"})
    assert response.status_code == 403
    assert record.exists()
    reply = client.json_call("/web/m2o/res.partner", {"term": "a"}, csrf=token)
    assert reply["error"]["code"] == 403


def test_state_changes_need_the_csrf_token(env, admin_client):
    action = env.ref("web.action_config_parameters")
    response = admin_client.post(f"/web/action/{action.id}/new",
                                 data={"key": "web.test", "value": "1", "o_fields": "key,value"})
    assert response.status_code == 403
    assert not env["ir.config_parameter"].search([("key", "=", "web.test")])
    response = admin_client.post(f"/web/action/{action.id}/new", data={
        "key": "web.test", "value": "1", "o_fields": "key,value", "csrf_token": "forged"})
    assert response.status_code == 403
    assert admin_client.post("/web/logout").status_code == 403
    assert admin_client.get("/web").status_code == 200
    reply = admin_client.json_call("/web/m2o/res.partner", {"term": "a"})
    assert reply["error"]["code"] == 403
