"""What every backend page shares: the guard on routes, the page frame, menus, messages.

:func:`backend_route` declares a backend endpoint: logged-in users only (others are sent
to the login page by the HTTP layer), internal users only (portal and public users get
a 403 page), and the endpoint runs in a savepoint so that an access error half-way
leaves nothing behind and becomes a 403 page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from postroom.exceptions import AccessError, MissingError
from postroom.http import request, route
from postroom.http.security import SECURITY_HEADERS
from postroom.http.templates import render_template

DOCTYPE = Markup("<!DOCTYPE html>\n")
NO_ACCESS = "Your account has no access to the backend."


def backend_route(paths: str | Iterable[str], *, methods: Iterable[str] | None = None,
                  type: str = "http") -> Callable:
    """``@route`` for backend endpoints: internal users, errors as pages, one savepoint."""
    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not request.env.user._is_internal():
                if type == "json":
                    raise Forbidden(NO_ACCESS)
                return error_page(403, "Access denied", NO_ACCESS)
            if type == "json":
                return func(self, *args, **kwargs)
            try:
                with request.env.cr.savepoint():
                    return func(self, *args, **kwargs)
            except AccessError as exc:
                return error_page(403, "Access denied", str(exc))
            except MissingError as exc:
                return error_page(404, "Not found", str(exc))
        return route(paths, type=type, auth="user", methods=methods)(guarded)
    return decorate


def html_response(template: str, values: dict[str, Any], status: int = 200) -> Response:
    """A page rendered from a QWeb template of the web addon; never cached."""
    body = DOCTYPE + render_template(request, template, values)
    return Response(body, status=status, mimetype="text/html",
                    headers={"Cache-Control": "no-store"})


def error_page(status: int, heading: str, message: str) -> Response:
    """A plain page for 403/404 (no menus: the user may not be allowed any); it may show
    in the modal dialog of a page."""
    return frameable(html_response("web.error", {
        "title": heading, "heading": heading, "message": message,
        "logged_in": bool(request.session and request.session.uid),
        "internal": bool(request.session and request.session.uid)
        and request.env.user._is_internal()}, status=status))


def page(template: str, values: dict[str, Any], *, action_id: int | None = None,
         status: int = 200, modal: bool = False) -> Response:
    """A backend page: the navigation bar (menus of the user) around ``template``.

    ``modal``: the page shows inside the modal dialog of another page (no navigation bar;
    only pages of this site may frame it).
    """
    apps = menu_tree(request.env)
    response = html_response(template, {
        "apps": apps, "app": current_app(apps, action_id), "user_name": request.env.user.name,
        "flash": pop_once("flash"), "dialog_url": pop_once("dialog"), "modal": modal,
        **values}, status=status)
    return frameable(response) if modal else response


def frameable(response: Response) -> Response:
    """Let pages of this site (only) show ``response`` in a frame: the modal dialog."""
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    response.headers["Content-Security-Policy"] = policy.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def in_groups(env: Any, groups: Any) -> bool:
    """Whether the user is in one of ``groups`` (a res.groups recordset; empty: everyone)."""
    return not groups or bool(set(groups.ids) & env.user._group_ids())


def posted_ids() -> list[int]:
    """The record ids posted (``ids``, repeated)."""
    return [int(i) for i in request.httprequest.form.getlist("ids") if i.isdigit()]


# -- menus --------------------------------------------------------------------------
def menu_tree(env: Any) -> list[dict[str, Any]]:
    """The user's menu tree, each item with the ``url`` it opens."""
    def annotate(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            model, _, res_id = (item["action"] or "").partition(",")
            item["url"] = f"/web/action/{res_id}" if model == "ir.actions.act_window" \
                else f"/web/menu/{item['id']}"
            item["initial"] = (item["name"] or "?")[:1].upper()
            addon, _, path = (item["web_icon"] or "").partition(",")
            item["icon_url"] = f"/{addon}/{path}" if addon and path else None
            annotate(item["children"])
        return items
    return annotate(env["ir.ui.menu"].load_menus())


def current_app(apps: list[dict[str, Any]], action_id: int | None) -> dict[str, Any] | None:
    """The top-level menu holding a menu that opens ``action_id``."""
    if action_id is None:
        return None
    wanted = f"ir.actions.act_window,{action_id}"

    def holds(item: dict[str, Any]) -> bool:
        return item["action"] == wanted or any(holds(child) for child in item["children"])
    return next((app for app in apps if holds(app)), None)


def first_action_url(item: dict[str, Any]) -> str | None:
    """The URL of the first menu with an action under ``item`` (itself included)."""
    if item["action"]:
        return item["url"]
    return next((url for child in item["children"] if (url := first_action_url(child))), None)


# -- what the next page shows once: a message, a dialog -------------------------------
def flash(text: str, kind: str = "success", title: str | None = None) -> None:
    """Show ``text`` (under ``title``) on the next page the user sees (``kind``: success,
    info, warning, danger)."""
    set_once("flash", {"text": text, "kind": kind, "title": title})


def open_dialog_next(url: str) -> None:
    """Open the page ``url`` in a modal dialog over the next page the user sees."""
    set_once("dialog", url)


def set_once(key: str, value: Any) -> None:
    session = request.session
    session.data[key] = value
    session.modified = True


def pop_once(key: str) -> Any:
    session = request.session
    value = session.data.pop(key, None) if session else None
    if value:
        session.modified = True
    return value
