"""Security headers, cookie flags and CSRF tokens."""

from __future__ import annotations

import pytest

from postroom.http.session import COOKIE_NAME
from postroom.testing.http import TestClient
from tests.http.conftest import ADMIN_PASSWORD, HttpDB


@pytest.mark.parametrize("path", ["/test_http/public", "/no/such/page", "/test_http/error/bug"])
def test_security_headers_on_every_response(client, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers


def test_hsts_over_https(client) -> None:
    response = client.get("/test_http/public", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def session_cookie(response) -> str:
    (cookie,) = [value for value in response.headers.getlist("Set-Cookie")
                 if value.startswith(COOKIE_NAME + "=")]
    return cookie


def test_session_cookie_flags(client, http_db: HttpDB) -> None:
    page = client.get("/test_http/form")
    cookie = session_cookie(page)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    https = TestClient(http_db.app()).get("/test_http/form", base_url="https://localhost")
    assert "Secure" in session_cookie(https)


def test_no_session_is_stored_for_anonymous_pages(client, http_db: HttpDB) -> None:
    response = client.get("/test_http/public")
    assert "Set-Cookie" not in response.headers
    assert http_db.query("SELECT count(*) FROM ir_session")[0][0] == 0


def test_forms_need_the_csrf_token(client, http_db: HttpDB) -> None:
    refused = client.post("/test_http/form", data={"title": "Forged"})
    assert refused.status_code == 403
    assert "CSRF" in refused.get_data(as_text=True)
    token = client.csrf_token("/test_http/form")
    assert client.post("/test_http/form", data={"title": "Forged", "csrf_token": "x" + token}
                       ).status_code == 403
    # a token is worthless in another session
    other = http_db.client()
    other.csrf_token("/test_http/form")
    assert other.post("/test_http/form", data={"title": "Forged", "csrf_token": token}
                      ).status_code == 403
    assert http_db.query("SELECT count(*) FROM res_partner WHERE name = 'Forged'")[0][0] == 0
    ok = client.post("/test_http/form", data={"title": "Genuine", "csrf_token": token})
    assert ok.status_code == 200
    # the token may come in the header instead
    assert client.post("/test_http/form", data={"title": "Header"},
                       headers={"X-CSRF-Token": token}).status_code == 200


def test_json_calls_need_the_csrf_header(client, http_db: HttpDB) -> None:
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    token = client.csrf
    client.csrf = None
    refused = client.json_call("/test_http/json", {"value": 1})
    assert refused["error"]["code"] == 403
    assert "CSRF" in refused["error"]["data"]["message"]
    assert client.json_call("/test_http/json", {"value": 1}, csrf=token)["result"]["value"] == 1


def test_rendered_pages_store_a_session_only_for_a_csrf_token(client, http_db: HttpDB) -> None:
    page = client.get("/test_http/page?name=<b>Ada</b>")
    assert page.get_data(as_text=True).strip() == "<p>Hello &lt;b&gt;Ada&lt;/b&gt;</p>"
    assert "Set-Cookie" not in page.headers
    assert http_db.query("SELECT count(*) FROM ir_session")[0][0] == 0
    token = client.csrf_token("/test_http/form_page")
    assert len(token) == 64
    assert http_db.query("SELECT count(*) FROM ir_session")[0][0] == 1
    assert client.post("/test_http/form", data={"title": "From page", "csrf_token": token}
                       ).status_code == 200


def test_proxy_mode_trusts_the_forwarded_headers(http_db: HttpDB) -> None:
    from postroom.cli.serve import application
    app = application(http_db.db.database, None, debug=False, proxy_mode=True,
                      registry=http_db.db.registry)
    response = TestClient(app).get("/test_http/form", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "Secure" in session_cookie(response)
    assert http_db.query("SELECT remote_address FROM ir_session") == [("203.0.113.9",)]
