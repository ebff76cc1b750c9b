"""Logging in and out of the backend: ``/web/login`` and ``/web/logout``."""

from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import html_response
from postroom.exceptions import AccessError
from postroom.http import request
from postroom.http.rpc import authenticate

HOME = "/web"


def safe_redirect(target: str | None) -> str:
    """``target`` when it is a path on this site, else the backend's home."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith(("//", "/\\")) or parts.scheme \
            or parts.netloc or any(ord(char) < 32 for char in target):
        return HOME
    return target


class SessionController(http.Controller):
    @http.route("/web/login", type="http", auth="public", methods=["GET", "POST"])
    def login(self, redirect: str = "", login: str = "", password: str = "") -> Response:
        target = safe_redirect(redirect)
        if request.httprequest.method == "GET":
            if request.session.uid and request.env.user._is_internal():
                return request.redirect(target)
            return login_page(target)
        try:
            uid = authenticate(request.env, login, password, request.remote_address)
        except AccessError as exc:
            return login_page(target, login=login, error=str(exc))
        user_env = request.env(user=uid)
        request.session.login(uid, user_env["res.users"].context_get())
        return request.redirect(target)

    @http.route("/web/logout", type="http", auth="public", methods=["POST"])
    def logout(self) -> Response:
        request.session.logout()
        return request.redirect("/web/login")

    @http.route("/", type="http", auth="none", methods=["GET"])
    def root(self) -> Response:
        return request.redirect(HOME)


def login_page(target: str, login: str = "", error: str | None = None) -> Response:
    return html_response("web.login", {"title": "Log in", "redirect": target, "login": login,
                                       "error": error})
