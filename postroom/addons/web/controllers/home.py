"""The backend's home (``/web``: the apps) and menu links (``/web/menu/<id>``)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import (
    backend_route,
    first_action_url,
    menu_tree,
    page,
)
from postroom.exceptions import MissingError
from postroom.http import request


class HomeController(http.Controller):
    @backend_route("/web", methods=["GET"])
    def home(self) -> Response:
        return page("web.home", {"title": "Apps"})

    @backend_route("/web/menu/<int:menu_id>", methods=["GET"])
    def menu(self, menu_id: int) -> Response:
        """Open the first action under a menu the user sees."""
        item = find_menu(menu_tree(request.env), menu_id)
        url = first_action_url(item) if item else None
        if url is None:
            raise MissingError("This menu does not exist or opens nothing you may see.")
        return request.redirect(url)


def find_menu(items: list[dict[str, Any]], menu_id: int) -> dict[str, Any] | None:
    for item in items:
        if item["id"] == menu_id:
            return item
        found = find_menu(item["children"], menu_id)
        if found:
            return found
    return None
