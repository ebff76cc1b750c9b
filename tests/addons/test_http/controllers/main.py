"""Routes of every kind: auth, type, methods, CSRF, errors and transactions."""

from __future__ import annotations

from typing import Any

import psycopg2.errors
from werkzeug.exceptions import NotFound

from postroom import http
from postroom.exceptions import AccessError, MissingError, UserError
from postroom.http import request


class TestHttp(http.Controller):
    #: how often /test_http/flaky was called (it loses a race the first time)
    flaky_calls = 0

    @http.route("/test_http/public", auth="public")
    def public(self, name: str = "") -> str:
        return f"public as {request.env.user.login or request.env.user.name} {name}".strip()

    @http.route("/test_http/none", auth="none")
    def none(self) -> str:
        return f"none as {request.env.user.login}"

    @http.route("/test_http/user", auth="user")
    def user(self) -> str:
        return f"user {request.env.user.login}"

    @http.route("/test_http/item/<int:item_id>", auth="public")
    def item(self, item_id: int, required: str) -> str:
        return f"item {item_id} {required}"

    @http.route("/test_http/form", auth="public", methods=["GET", "POST"])
    def form(self, title: str = "") -> str:
        if request.httprequest.method == "GET":
            return (f'<form method="post"><input type="hidden" name="csrf_token" '
                    f'value="{request.csrf_token()}"/></form>')
        request.env["res.partner"].sudo().create({"name": title})
        return f"created {title}"

    @http.route("/test_http/page", auth="public")
    def page(self, name: str = "world") -> http.Response:
        return request.render("test_http.page", {"name": name})

    @http.route("/test_http/form_page", auth="public")
    def form_page(self) -> http.Response:
        return request.render("test_http.form_page")

    @http.route("/test_http/post_only", auth="public", methods=["POST"], csrf=False)
    def post_only(self) -> str:
        return "posted"

    @http.route("/test_http/json", type="json", auth="user")
    def json_user(self, value: Any = None) -> dict[str, Any]:
        return {"uid": request.env.uid, "value": value}

    @http.route("/test_http/json_public", type="json", auth="public", csrf=False)
    def json_public(self, **params: Any) -> dict[str, Any]:
        return {"params": params, "login": request.env.user.login}

    @http.route("/test_http/write_then_fail", auth="public", methods=["POST"], csrf=False)
    def write_then_fail(self, title: str) -> str:
        request.env["res.partner"].sudo().create({"name": title})
        raise RuntimeError("failure after a write")

    @http.route("/test_http/json_write_then_fail", type="json", auth="public", csrf=False)
    def json_write_then_fail(self, title: str) -> None:
        request.env["res.partner"].sudo().create({"name": title})
        raise RuntimeError("failure after a write")

    @http.route("/test_http/flaky", auth="public", methods=["POST"], csrf=False)
    def flaky(self, title: str) -> str:
        request.env["res.partner"].sudo().create({"name": title})
        TestHttp.flaky_calls += 1
        if TestHttp.flaky_calls == 1:
            raise psycopg2.errors.SerializationFailure("could not serialize access")
        return f"done after {TestHttp.flaky_calls} calls"

    @http.route("/test_http/error/<kind>", auth="public")
    def error(self, kind: str) -> str:
        errors = {"missing": MissingError("Record 42 does not exist."),
                  "denied": AccessError("You may not see this."),
                  "invalid": UserError("Give a subject."),
                  "notfound": NotFound("Nothing here."),
                  "bug": RuntimeError("secret internals")}
        raise errors[kind]

    @http.route("/test_http/login", auth="public", methods=["POST"])
    def login(self, login: str, password: str) -> str:
        try:
            uid = request.authenticate(login, password)
        except AccessError as exc:
            return request.make_response(str(exc), status=403)
        return f"logged in as {uid}"

    @http.route("/test_http/logout", auth="user", methods=["POST"])
    def logout(self) -> str:
        request.session.logout()
        return "bye"
