"""The brake on password guessing: growing delays per login and address, reset on success."""

from __future__ import annotations

import xmlrpc.client

import pytest

from postroom.http.security import FREE_FAILURES
from tests.http.conftest import ADMIN_PASSWORD, HttpDB


class LoginClient:
    """Logs in as admin through ``/web/session/authenticate``, from a given address."""

    def __init__(self, http_db: HttpDB):
        self.client = http_db.client()
        self.dbname = http_db.dbname

    def attempt(self, password: str, address: str = "192.0.2.1") -> dict:
        return self.client.json_call(
            "/web/session/authenticate",
            {"db": self.dbname, "login": "admin", "password": password},
            environ_overrides={"REMOTE_ADDR": address})


@pytest.fixture
def auth_client(http_db: HttpDB) -> LoginClient:
    return LoginClient(http_db)


def failures(http_db: HttpDB) -> list[tuple]:
    return http_db.query("SELECT login, address, failures FROM ir_login_failure")


def time_passes(http_db: HttpDB, seconds: int) -> None:
    http_db.query("UPDATE ir_login_failure SET last_failure = last_failure - %s * interval "
                  "'1 second'", (seconds,))


def test_the_brake_engages_after_repeated_failures(auth_client, http_db: HttpDB) -> None:
    for _ in range(FREE_FAILURES):
        error = auth_client.attempt("wrong")["error"]
        assert "Wrong login or password" in error["data"]["message"]
    # the failures survive the rollback of the requests that recorded them
    assert failures(http_db) == [("admin", "192.0.2.1", FREE_FAILURES)]
    # now even the right password is refused, without being checked, until the delay passed
    braked = auth_client.attempt(ADMIN_PASSWORD)["error"]["data"]["message"]
    assert "Too many failed logins. Try again in" in braked
    assert failures(http_db)[0][2] == FREE_FAILURES
    # another address is not held back
    assert auth_client.attempt(ADMIN_PASSWORD, address="198.51.100.7")["result"]["uid"] == 2


def test_the_delay_grows_with_each_failure(auth_client, http_db: HttpDB) -> None:
    for _ in range(FREE_FAILURES):
        auth_client.attempt("wrong")
    time_passes(http_db, 1)
    auth_client.attempt("wrong")  # counted: the first delay (1 s) had passed
    time_passes(http_db, 1)
    assert "Too many failed logins" in auth_client.attempt(ADMIN_PASSWORD)["error"]["data"][
        "message"]  # the delay is now 2 s
    time_passes(http_db, 1)
    assert auth_client.attempt(ADMIN_PASSWORD)["result"]["uid"] == 2


def test_success_resets_the_counter(auth_client, http_db: HttpDB) -> None:
    for _ in range(FREE_FAILURES):
        auth_client.attempt("wrong")
    time_passes(http_db, 1)
    assert auth_client.attempt(ADMIN_PASSWORD)["result"]["uid"] == 2
    assert failures(http_db) == []
    auth_client.attempt("wrong")
    assert failures(http_db) == [("admin", "192.0.2.1", 1)]


def test_the_external_api_is_braked_too(live_http) -> None:
    url, http_db = live_http
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    for _ in range(FREE_FAILURES):
        assert common.authenticate(http_db.dbname, "admin", "wrong", {}) is False
    assert common.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD, {}) is False
    with pytest.raises(xmlrpc.client.Fault, match="Too many failed logins"):
        models.execute_kw(http_db.dbname, 2, ADMIN_PASSWORD, "res.partner", "search", [[]])
    time_passes(http_db, 1)
    assert models.execute_kw(http_db.dbname, 2, ADMIN_PASSWORD, "res.partner", "search_count",
                             [[]]) > 0
    # guessing through execute_kw counts as failures too
    for _ in range(FREE_FAILURES):
        with pytest.raises(xmlrpc.client.Fault):
            models.execute_kw(http_db.dbname, 2, "guess", "res.partner", "search", [[]])
    assert failures(http_db) == [("admin", "127.0.0.1", FREE_FAILURES)]


def test_failures_are_kept_when_requests_share_the_test_transaction(http_client, env) -> None:
    env.ref("base.user_admin")._set_password(ADMIN_PASSWORD)
    response = http_client.json_call("/web/session/authenticate", {
        "db": env.cr.dbname, "login": "admin", "password": "wrong"})
    assert "Wrong login or password" in response["error"]["data"]["message"]
    failure = env["ir.login.failure"].search([("login", "=", "admin")])
    assert failure.failures == 1
    assert http_client.authenticate(env.cr.dbname, "admin", ADMIN_PASSWORD)["result"]["uid"] == 2
    assert not env["ir.login.failure"].search([("login", "=", "admin")])
