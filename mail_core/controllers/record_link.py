"""``/web/record/<model>/<id>``: a record's form, wherever the backend shows it.

Notification emails link here (``mail.thread._notify_get_record_url``): the route
opens the record through a window action of its model that the user may open,
preferring one of the user's menus, so the link works whatever the actions' ids.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import backend_route
from postroom.exceptions import MissingError
from postroom.http import request


class RecordLinkController(http.Controller):
    @backend_route("/web/record/<string:model>/<int:res_id>", methods=["GET"])
    def open_record(self, model: str, res_id: int) -> Response:
        action = form_action(request.env, model)
        if not action:
            raise MissingError(f"No screen of the backend shows {model!r} records.")
        return request.redirect(f"/web/action/{action.id}/record/{res_id}")


def form_action(env: Any, model: str) -> Any:
    """The window action of ``model`` the user may open: one of their menus' first."""
    if model not in env:
        return env["ir.actions.act_window"]
    groups = env.user._group_ids()
    actions = env["ir.actions.act_window"].sudo().search([("res_model", "=", model)], order="id")
    allowed = actions.filtered(lambda a: not a.groups_id or set(a.groups_id.ids) & groups)
    in_menus = {int(menu.action.partition(",")[2])
                for menu in env["ir.ui.menu"]._visible_menus().sudo()
                if (menu.action or "").startswith("ir.actions.act_window,")}
    return (allowed.filtered(lambda a: a.id in in_menus) or allowed)[:1]
