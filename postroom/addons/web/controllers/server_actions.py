"""Server actions in the Action menus: ``POST /web/server_action/<id>``.

A server action bound to a model (``binding_model_id``) shows in the Action menu of its
lists (on the selected records) and forms (on the record), or only of those its
``binding_view_types`` names (``list``, ``form``). It runs with the user's
rights and ``active_model``/``active_ids``/``active_id`` in its context; what it returns
is followed like a button's result (a window opens: the mass *Send by Email* composer).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import backend_route, flash, in_groups, posted_ids
from postroom.addons.web.controllers.results import Opening, follow, report
from postroom.addons.web.controllers.session import safe_redirect
from postroom.exceptions import AccessError, MissingError, UserError
from postroom.http import request


def bound_actions(model: Any, view_type: str) -> Any:
    """The server actions bound to ``model`` for its ``view_type`` (``list`` or ``form``,
    among their ``binding_view_types``) that the user may run."""
    env = model.env
    actions = env["ir.actions.server"].sudo().search(
        [("binding_model_id", "=", env["ir.model"]._get_id(model._name))])
    return actions.filtered(lambda action: in_groups(env, action.groups_id)
                            and view_type in view_types(action))


def view_types(action: Any) -> set[str]:
    """The views an action is bound to (``binding_view_types``; empty: list and form)."""
    return {kind.strip() for kind in (action.binding_view_types or "list,form").split(",")}


def server_action_url(action: Any) -> str:
    return f"/web/server_action/{action.id}"


class ServerActionController(http.Controller):
    @backend_route("/web/server_action/<int:server_action_id>", methods=["POST"])
    def run(self, server_action_id: int, back: str = "") -> Response:
        """Run the action on the posted ``ids``, then follow its result from ``back``."""
        env = request.env
        back = safe_redirect(back)
        action = env["ir.actions.server"].sudo().browse(server_action_id).exists()
        if not action or not action.binding_model_id:
            raise MissingError("This action does not exist (any more).")
        if not in_groups(env, action.groups_id):
            raise AccessError(f"You are not allowed to run {action.name!r}.")
        records = env[action.model_id.model].browse(posted_ids()).exists()
        if not records:
            flash("Select the records first.", "warning")
            return request.redirect(back)
        records.check_access("read")
        try:
            with env.cr.savepoint():
                result = action.with_env(env).with_context(
                    active_model=records._name, active_ids=records.ids,
                    active_id=records.ids[0]).run()
        except AccessError:
            raise
        except UserError as exc:
            flash(str(exc), "danger")
            return request.redirect(back)
        report(result, f"{action.name}: done.")
        return follow(result, back, Opening())
