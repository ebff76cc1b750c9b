"""JSON-RPC at /jsonrpc, and the web client's session and call_kw API."""

from __future__ import annotations

from postroom.http.session import COOKIE_NAME
from tests.http.conftest import ADMIN_PASSWORD, PORTAL_LOGIN, PORTAL_PASSWORD, HttpDB


def rpc(client, service: str, method: str, *args):
    return client.json_call("/jsonrpc", {"service": service, "method": method, "args": list(args)})


def test_jsonrpc_services(client, http_db: HttpDB) -> None:
    db = http_db.dbname
    assert rpc(client, "common", "version")["result"]["server_version"] == "17.0"
    assert rpc(client, "db", "list")["result"] == [db]
    uid = rpc(client, "common", "login", db, "admin", ADMIN_PASSWORD)["result"]
    assert uid == 2
    assert rpc(client, "common", "authenticate", db, "admin", "wrong", {})["result"] is False
    partner_id = rpc(client, "object", "execute_kw", db, uid, ADMIN_PASSWORD, "res.partner",
                     "create", [{"name": "Grace Hopper"}])["result"]
    rows = rpc(client, "object", "execute_kw", db, uid, ADMIN_PASSWORD, "res.partner",
               "search_read", [[["id", "=", partner_id]]], {"fields": ["name"]})["result"]
    assert rows == [{"id": partner_id, "name": "Grace Hopper"}]
    context = rpc(client, "object", "execute", db, uid, ADMIN_PASSWORD, "res.users",
                  "context_get")["result"]
    assert context["uid"] == 2 and context["lang"]
    private = rpc(client, "object", "execute_kw", db, uid, ADMIN_PASSWORD, "res.partner",
                  "_read_columns", [[partner_id]])
    assert "Private methods" in private["error"]["data"]["message"]
    wrong_args = rpc(client, "object", "execute_kw", db, uid, ADMIN_PASSWORD, "res.partner",
                     "search", [[]], {"no_such_argument": 1})
    assert "no_such_argument" in wrong_args["error"]["data"]["message"]


def test_authenticate_returns_the_session_info(client, http_db: HttpDB) -> None:
    response = client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    info = response["result"]
    assert info["uid"] == 2 and info["username"] == "admin" and info["db"] == http_db.dbname
    assert info["is_system"] is True and info["server_version"] == "17.0"
    assert info["partner_id"] and info["user_context"]["lang"]
    assert info["user_companies"]["current_company"] == info["company_id"]
    # the session key stays in its HttpOnly cookie
    sid = client.get_cookie(COOKIE_NAME).value
    assert sid not in str(info)
    assert client.json_call("/web/session/get_session_info")["result"]["uid"] == 2


def test_authenticate_refusals(client, http_db: HttpDB) -> None:
    wrong = client.authenticate(http_db.dbname, "admin", "wrong")
    assert wrong["error"]["data"]["name"] == "postroom.exceptions.AccessError"
    other_db = client.authenticate("elsewhere", "admin", ADMIN_PASSWORD)
    assert "not served here" in other_db["error"]["data"]["message"]
    assert client.json_call("/web/session/get_session_info")["error"]["code"] == 100


def test_call_kw_runs_as_the_session_user(client, http_db: HttpDB) -> None:
    client.authenticate(http_db.dbname, PORTAL_LOGIN, PORTAL_PASSWORD)
    count = client.json_call("/web/dataset/call_kw/res.partner/search_count",
                             {"model": "res.partner", "method": "search_count", "args": [[]]})
    assert count["result"] >= 1
    denied = client.json_call("/web/dataset/call_kw", {
        "model": "res.partner", "method": "create", "args": [{"name": "Nope"}], "kwargs": {}})
    assert denied["error"]["data"]["name"] == "postroom.exceptions.AccessError"
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    created = client.json_call("/web/dataset/call_kw", {
        "model": "res.partner", "method": "create", "args": [{"name": "Via call_kw"}],
        "kwargs": {"context": {"lang": "en_US"}}})
    names = client.json_call("/web/dataset/call_kw", {
        "model": "res.partner", "method": "read", "args": [[created["result"]], ["name"]]})
    assert names["result"] == [{"id": created["result"], "name": "Via call_kw"}]


def test_call_kw_needs_the_csrf_token(client, http_db: HttpDB) -> None:
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    token, client.csrf = client.csrf, None
    refused = client.json_call("/web/dataset/call_kw", {
        "model": "res.partner", "method": "search", "args": [[]]})
    assert refused["error"]["code"] == 403
    accepted = client.json_call("/web/dataset/call_kw", {
        "model": "res.partner", "method": "search", "args": [[]]}, csrf=token)
    assert accepted["result"]


def test_destroy_logs_out(client, http_db: HttpDB) -> None:
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    assert client.json_call("/web/session/destroy") == {"jsonrpc": "2.0", "id": 1,
                                                        "result": None}
    assert client.get_cookie(COOKIE_NAME) is None
    assert client.json_call("/web/session/get_session_info")["error"]["code"] == 100
    assert http_db.query("SELECT count(*) FROM ir_session")[0][0] == 0


def test_health(client) -> None:
    assert client.get("/web/health").get_json() == {"status": "pass"}
    assert client.get("/web/health?db_server_status=1").get_json() == {
        "status": "pass", "db_server_status": True}


def test_the_client_context_cannot_relax_checks(client, http_db: HttpDB) -> None:
    with http_db.env() as env:
        other_company = env["res.company"].create({"name": "Other Company"}).id
        main_company = env.ref("base.main_company").id
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)

    def call(method: str, args: list, context: dict) -> dict:
        return client.json_call("/web/dataset/call_kw", {
            "model": "res.users", "method": method, "args": args,
            "kwargs": {"context": context}})

    foreign = call("search", [[]], {"allowed_company_ids": [other_company]})
    assert "unauthorized or invalid companies" in foreign["error"]["data"]["message"]
    assert call("search", [[]], {"allowed_company_ids": [main_company]})["result"]
    # the loader's install mode (which accepts short passwords) is not the client's to set
    short = call("write", [[2], {"password": "short"}], {"install_mode": True})
    assert "at least 8 characters" in short["error"]["data"]["message"]
