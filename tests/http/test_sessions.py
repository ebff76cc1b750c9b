"""Server-side sessions: login, key rotation, expiry, logout, password change."""

from __future__ import annotations

import datetime

from postroom.http.session import COOKIE_NAME
from tests.http.conftest import ADMIN_PASSWORD, PORTAL_LOGIN, PORTAL_PASSWORD, HttpDB


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def cookie_of(client) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie else None


def login(client, login: str, password: str):
    token = client.csrf_token("/test_http/form")
    return client.post("/test_http/login", data={"login": login, "password": password,
                                                 "csrf_token": token})


def test_login_rotates_the_session_key(client, http_db: HttpDB) -> None:
    client.csrf_token("/test_http/form")
    anonymous_sid = cookie_of(client)
    assert anonymous_sid
    response = login(client, "admin", ADMIN_PASSWORD)
    assert response.get_data(as_text=True) == "logged in as 2"
    user_sid = cookie_of(client)
    assert user_sid and user_sid != anonymous_sid
    rows = http_db.query("SELECT sid, uid FROM ir_session")
    assert rows == [(user_sid, 2)]
    # the key seen before login is worthless
    client.set_cookie(COOKIE_NAME, anonymous_sid)
    assert client.get("/test_http/user").status_code == 303


def test_sessions_are_stored_in_the_database(client, http_db: HttpDB) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    other = http_db.client()
    other.set_cookie(COOKIE_NAME, cookie_of(client))
    assert other.get("/test_http/user").get_data(as_text=True) == "user admin"
    # another application (another worker process) sees the same session
    third = http_db.client()
    third.set_cookie(COOKIE_NAME, cookie_of(client))
    assert third.get("/test_http/user").status_code == 200


def test_expired_session_is_refused(client, http_db: HttpDB) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/test_http/user").status_code == 200
    (expires,) = http_db.query("SELECT expires FROM ir_session")[0]
    assert expires - utcnow() > datetime.timedelta(days=6)
    http_db.query("UPDATE ir_session SET expires = now() at time zone 'UTC' - interval '1 second'")
    assert client.get("/test_http/user").status_code == 303
    assert client.json_call("/test_http/json")["error"]["code"] == 100


def test_activity_extends_the_session(client, http_db: HttpDB) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    http_db.query("UPDATE ir_session SET last_seen = last_seen - interval '2 days', "
                  "expires = expires - interval '2 days'")
    response = client.get("/test_http/user")
    assert COOKIE_NAME in response.headers.get("Set-Cookie", "")
    (expires,) = http_db.query("SELECT expires FROM ir_session")[0]
    assert expires - utcnow() > datetime.timedelta(days=6)


def test_logout_deletes_the_session(client, http_db: HttpDB) -> None:
    login(client, "admin", ADMIN_PASSWORD)
    sid = cookie_of(client)
    token = client.csrf_token("/test_http/form")
    assert client.post("/test_http/logout", data={"csrf_token": token}).status_code == 200
    assert cookie_of(client) is None
    assert http_db.query("SELECT count(*) FROM ir_session WHERE sid = %s", (sid,))[0][0] == 0
    client.set_cookie(COOKIE_NAME, sid)
    assert client.get("/test_http/user").status_code == 303


def test_password_change_or_archiving_ends_other_sessions(client, http_db: HttpDB) -> None:
    login(client, PORTAL_LOGIN, PORTAL_PASSWORD)
    assert client.get("/test_http/user").status_code == 200
    with http_db.env() as env:
        env["res.users"].search([("login", "=", PORTAL_LOGIN)])._set_password("new-secret-1")
    assert client.get("/test_http/user").status_code == 303
    login(client, PORTAL_LOGIN, "new-secret-1")
    assert client.get("/test_http/user").status_code == 200
    with http_db.env() as env:
        env["res.users"].search([("login", "=", PORTAL_LOGIN)]).active = False
    assert client.get("/test_http/user").status_code == 303


def test_wrong_password_does_not_log_in(client, http_db: HttpDB) -> None:
    response = login(client, "admin", "wrong")
    assert response.status_code == 403
    assert "Wrong login or password" in response.get_data(as_text=True)
    assert client.get("/test_http/user").status_code == 303
