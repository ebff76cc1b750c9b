"""Routes: declared per addon, served only while the addon is installed; auth, types, methods."""

from __future__ import annotations

import importlib

import pytest

from postroom.http import Controller, route
from postroom.http.routing import build_routing_map, controllers_per_addon
from tests.http.conftest import ADMIN_PASSWORD, HttpDB


def test_routes_of_an_addon_are_served_only_while_it_is_installed(http_db: HttpDB, client,
                                                                  http_client) -> None:
    assert client.get("/test_http/public").status_code == 200
    # the shared test database has the same code loaded, but not the addon installed
    assert http_client.get("/test_http/public").status_code == 404
    http_db.db.loader.uninstall(["test_http"])
    http_db.db.reload()
    assert client.get("/test_http/public").status_code == 404
    assert client.get("/web/health").status_code == 200


def test_controllers_are_filed_under_their_addon() -> None:
    module = importlib.import_module("postroom.addons.test_http.controllers.main")
    assert module.TestHttp in controllers_per_addon["test_http"]
    _url_map, endpoints = build_routing_map(["base"])
    assert not any("test_http" in key for key in endpoints)


def test_route_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="auth"):
        route("/x", auth="nobody")
    with pytest.raises(ValueError, match="type"):
        route("/x", type="xml")


def test_a_subclass_overrides_the_routes_of_its_parent() -> None:
    class Parent(Controller):
        _addon = "test_routing_parent"

        @route("/greet", auth="public")
        def greet(self) -> str:
            return "hello"

    class Child(Parent):
        _addon = "test_routing_child"

        def greet(self) -> str:
            return super().greet() + " again"

    _map, endpoints = build_routing_map(["test_routing_parent"])
    assert [e.func() for e in endpoints.values()] == ["hello"]
    _map, endpoints = build_routing_map(["test_routing_parent", "test_routing_child"])
    assert [e.func() for e in endpoints.values()] == ["hello again"]
    for addon in ("test_routing_parent", "test_routing_child"):
        del controllers_per_addon[addon]


def test_auth_public_none_and_user(client, http_db: HttpDB) -> None:
    assert client.get("/test_http/public?name=x").get_data(as_text=True) == "public as public x"
    assert client.get("/test_http/none").get_data(as_text=True) == "none as public"
    anonymous = client.get("/test_http/user")
    assert anonymous.status_code == 303
    assert anonymous.headers["Location"].endswith("/web/login?redirect=/test_http/user")
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    assert client.get("/test_http/user").get_data(as_text=True) == "user admin"
    assert client.get("/test_http/public").get_data(as_text=True) == "public as admin"
    # auth="none" routes authenticate by themselves: the session's user does not apply
    assert client.get("/test_http/none").get_data(as_text=True) == "none as public"


def test_url_arguments_and_parameters(client) -> None:
    assert client.get("/test_http/item/7?required=yes&extra=dropped").get_data(
        as_text=True) == "item 7 yes"
    missing = client.get("/test_http/item/7")
    assert missing.status_code == 400
    assert "Missing parameter(s): required" in missing.get_data(as_text=True)
    assert client.get("/test_http/item/seven?required=yes").status_code == 404


def test_methods(client) -> None:
    assert client.get("/test_http/post_only").status_code == 405
    assert client.post("/test_http/post_only").get_data(as_text=True) == "posted"


def test_json_routes(client, http_db: HttpDB) -> None:
    anonymous = client.json_call("/test_http/json", {"value": 1})
    assert anonymous["error"]["code"] == 100
    assert anonymous["error"]["data"]["name"] == "postroom.http.SessionExpiredException"
    public = client.json_call("/test_http/json_public", {"a": [1, 2]})
    assert public == {"jsonrpc": "2.0", "id": 1,
                      "result": {"params": {"a": [1, 2]}, "login": "public"}}
    client.authenticate(http_db.dbname, "admin", ADMIN_PASSWORD)
    result = client.json_call("/test_http/json", {"value": {"x": 1}})["result"]
    assert result == {"uid": 2, "value": {"x": 1}}
    # JSON routes are POST only, with a JSON body
    assert client.get("/test_http/json_public").status_code == 405
    form = client.post("/test_http/json_public", data={"a": "1"})
    assert form.get_json()["error"]["code"] == 415
    bad = client.post("/test_http/json_public", data="{not json",
                      content_type="application/json")
    assert bad.get_json()["error"]["code"] == 400
    assert "not valid JSON" in bad.get_json()["error"]["data"]["message"]


def test_static_files_of_installed_addons_only(client) -> None:
    assert client.get("/test_http/static/../__manifest__.py").status_code == 404
    assert client.get("/test_http/static/missing.txt").status_code == 404
    assert client.get("/unknown_addon/static/x.js").status_code == 404
