"""The external API over XML-RPC, as Odoo's External API documentation uses it."""

from __future__ import annotations

import xmlrpc.client

import pytest

from tests.http.conftest import ADMIN_PASSWORD, PORTAL_LOGIN, PORTAL_PASSWORD, HttpDB


@pytest.fixture
def api(live_http) -> tuple[str, HttpDB]:
    url, http_db = live_http
    with http_db.env() as env:
        env["res.partner"].create([{"name": f"Company {n:02d}", "is_company": True}
                                   for n in range(12)])
    return url, http_db


def test_the_documentation_examples(api) -> None:
    url, http_db = api
    db, password = http_db.dbname, ADMIN_PASSWORD
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    assert common.version()["server_version"] == "17.0"
    uid = common.authenticate(db, "admin", password, {})
    assert uid == 2
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")

    companies = models.execute_kw(db, uid, password, "res.partner", "search",
                                  [[["is_company", "=", True]]])
    assert len(companies) >= 12
    page = models.execute_kw(db, uid, password, "res.partner", "search",
                             [[["is_company", "=", True]]], {"offset": 10, "limit": 5})
    assert page == companies[10:15]
    assert models.execute_kw(db, uid, password, "res.partner", "search_count",
                             [[["is_company", "=", True]]]) == len(companies)

    ids = models.execute_kw(db, uid, password, "res.partner", "search",
                            [[["is_company", "=", True]]], {"limit": 1})
    [record] = models.execute_kw(db, uid, password, "res.partner", "read", [ids])
    assert record["id"] == ids[0] and len(record) > 20
    [record] = models.execute_kw(db, uid, password, "res.partner", "read", [ids],
                                 {"fields": ["name", "country_id", "comment"]})
    assert set(record) == {"id", "name", "country_id", "comment"}
    assert record["country_id"] is False and record["comment"] is False

    fields = models.execute_kw(db, uid, password, "res.partner", "fields_get", [],
                               {"attributes": ["string", "help", "type"]})
    assert fields["name"] == {"string": "Name", "help": "", "type": "char"}
    assert fields["country_id"]["type"] == "many2one"

    rows = models.execute_kw(db, uid, password, "res.partner", "search_read",
                             [[["is_company", "=", True]]],
                             {"fields": ["name", "country_id", "comment"], "limit": 5})
    assert len(rows) == 5 and set(rows[0]) == {"id", "name", "country_id", "comment"}

    new_id = models.execute_kw(db, uid, password, "res.partner", "create",
                               [{"name": "New Partner"}])
    assert isinstance(new_id, int)
    assert models.execute_kw(db, uid, password, "res.partner", "write",
                             [[new_id], {"name": "Newer partner"}]) is True
    assert models.execute_kw(db, uid, password, "res.partner", "read",
                             [[new_id], ["display_name"]]) == [
        {"id": new_id, "display_name": "Newer partner"}]
    assert models.execute_kw(db, uid, password, "res.partner", "name_search",
                             ["Newer"], {"limit": 5}) == [[new_id, "Newer partner"]]
    assert models.execute_kw(db, uid, password, "res.partner", "unlink", [[new_id]]) is True
    assert models.execute_kw(db, uid, password, "res.partner", "search",
                             [[["id", "=", new_id]]]) == []
    # execute (positional arguments) and context in kwargs
    assert models.execute(db, uid, password, "res.partner", "search_count",
                          [["name", "=", "Company 03"]]) == 1
    assert models.execute_kw(db, uid, password, "res.partner", "search_count",
                             [[["name", "=", "Company 03"]]],
                             {"context": {"active_test": False}}) == 1


def test_access_rights_apply_as_in_the_orm(api) -> None:
    url, http_db = api
    db = http_db.dbname
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    uid = common.login(db, PORTAL_LOGIN, PORTAL_PASSWORD)
    assert uid
    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw(db, uid, PORTAL_PASSWORD, "res.partner", "create", [{"name": "Nope"}])
    assert "not allowed to create" in denied.value.faultString
    assert denied.value.faultCode == 3
    with pytest.raises(xmlrpc.client.Fault, match="not allowed|cannot"):
        models.execute_kw(db, uid, PORTAL_PASSWORD, "ir.config_parameter", "search_read", [[]])
    with http_db.env() as env:
        assert not env["res.partner"].search([("name", "=", "Nope")])


@pytest.mark.parametrize("method", ["_read_columns", "sudo", "with_user", "browse", "mapped",
                                    "init", "modified"])
def test_private_methods_are_never_callable(api, method: str) -> None:
    url, http_db = api
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault, match="Private methods"):
        models.execute_kw(http_db.dbname, 2, ADMIN_PASSWORD, "res.users", method, [[2]])


def test_refusals(api) -> None:
    url, http_db = api
    db = http_db.dbname
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")
    assert common.authenticate(db, "admin", "wrong", {}) is False
    with pytest.raises(xmlrpc.client.Fault, match="Wrong login or password"):
        models.execute_kw(db, 2, "bad-password", "res.partner", "search", [[]])
    with pytest.raises(xmlrpc.client.Fault, match="not served here"):
        models.execute_kw("other_db", 2, ADMIN_PASSWORD, "res.partner", "search", [[]])
    with pytest.raises(xmlrpc.client.Fault, match="doesn't exist"):
        models.execute_kw(db, 2, ADMIN_PASSWORD, "no.such.model", "search", [[]])
    with pytest.raises(xmlrpc.client.Fault, match="does not exist on the model"):
        models.execute_kw(db, 2, ADMIN_PASSWORD, "res.partner", "no_such_method", [[]])
    with pytest.raises(xmlrpc.client.Fault, match="Unknown method"):
        common.no_such_service_method()
    # the superuser is not a login
    with pytest.raises(xmlrpc.client.Fault):
        models.execute_kw(db, 1, "", "res.partner", "search", [[]])
