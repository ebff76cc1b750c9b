"""What the result of a button or server action does: open a form, close a dialog, go to a URL.

Buttons (``type="object"``) and server actions may return an action:

- ``{"type": "ir.actions.act_window", "res_model", "res_id", "view_mode": "form",
  "target": "current" | "new", "context"?}`` opens that record's form (without
  ``res_id``: a new record, with the ``default_*`` keys of ``context``): as the page
  (``current``), or as a dialog (``new``) returning to the page it was opened from;
- ``{"type": "ir.actions.act_window_close"}`` closes the dialog: back to where it was
  opened from (on a page, it stays there);
- ``{"type": "ir.actions.act_url", "url"}`` goes to a local URL;
- ``{"type": "ir.actions.client", "tag": "display_notification", "params": {"title",
  "message", "type": "success" | "info" | "warning" | "danger", "next"?}}`` shows the
  notification on the next page (:func:`report`) and follows ``next`` (an action), else
  stays on the page;
- anything else stays on the page.

The form is shown through the window action the result names (``id``), else an action
of its model with the same target the user may open (``mail_core.action_mail_compose_message``
for the composer), else the model's own forms (``/web/model/<model>/record/<id>``).

A dialog is a form page whose URL says where it returns (``back``). When the page that
opened it has scripts (its form posted ``o_modal=1``), the dialog shows in a modal
``<dialog>`` over that page: the next page asks for it (:func:`open_dialog_next`) and
``dialog.js`` frames it with ``modal=1``. Without scripts it is a page of its own.
Leaving a modal dialog (closing it, going elsewhere) answers a small page telling the
page around it where to go.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from postroom.addons.web.controllers.backend import (
    flash,
    frameable,
    html_response,
    in_groups,
    open_dialog_next,
)
from postroom.addons.web.controllers.session import safe_redirect
from postroom.http import request

#: the field scripts add to posted forms: the browser can show modal dialogs
MODAL_FIELD = "o_modal"
#: the keys of a context that travel in URLs: default values of a new record
DEFAULT_PREFIX = "default_"
#: the styles of a notification (``params.type``); others show as ``info``
NOTIFICATION_KINDS = ("success", "info", "warning", "danger")


@dataclass(frozen=True)
class Opening:
    """How a form page was opened: from the page ``back`` (it is then a dialog), inside
    the modal dialog of that page (``modal``), with default values for a new record."""

    back: str | None = None
    modal: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: MultiDict) -> Opening:
        back = args.get("back")
        return cls(back=safe_redirect(back) if back else None, modal=args.get("modal") == "1",
                   defaults=url_defaults(args.get("context") or ""))

    def url(self, path: str) -> str:
        """``path`` opened the same way."""
        params = [("back", self.back)] if self.back else []
        params += [("modal", "1")] if self.modal else []
        params += [("context", json.dumps(self.defaults, default=str))] if self.defaults else []
        return f"{path}?{urlencode(params)}" if params else path

    def is_dialog(self, screen: Any) -> bool:
        return self.back is not None or screen.target == "new"


def url_defaults(text: str) -> dict[str, Any]:
    """The defaults of a JSON context from a URL."""
    try:
        return context_defaults(json.loads(text) if text else {})
    except ValueError:
        return {}


def context_defaults(context: Any) -> dict[str, Any]:
    """The ``default_*`` keys of ``context``: all of a context that travels in URLs."""
    if not isinstance(context, dict):
        return {}
    return {key: value for key, value in context.items()
            if isinstance(key, str) and key.startswith(DEFAULT_PREFIX)}


def opens_window(result: Any) -> bool:
    """Whether ``result`` opens a form (which then tells the user what happened)."""
    return isinstance(result, dict) and result.get("type") == "ir.actions.act_window"


def notification(result: Any) -> dict[str, Any] | None:
    """The ``params`` of a ``display_notification`` client action; None for other results."""
    if not isinstance(result, dict) or result.get("type") != "ir.actions.client" \
            or result.get("tag") != "display_notification":
        return None
    params = result.get("params")
    return params if isinstance(params, dict) else {}


def report(result: Any, done: str) -> None:
    """Tell the user on the next page what a button (or server action) did: the
    notification it returned, else ``done``, unless it opens a form (which speaks for
    itself)."""
    params = notification(result)
    if params is None:
        if not opens_window(result):
            flash(done)
        return
    title = str(params.get("title") or "") or None
    text = str(params.get("message") or "") or ("" if title else done)
    kind = params.get("type")
    flash(text, kind if kind in NOTIFICATION_KINDS else "info", title=title)


def follow(result: Any, here: str, opening: Opening) -> Response:
    """The response sending the user where ``result`` says; ``here`` is the page (URL)
    the button was used on, opened as ``opening`` says."""
    params = notification(result)
    if params is not None:  # shown by `report`; then its next action, if any
        after = params.get("next")
        return follow(after if notification(after) is None else None, here, opening)
    kind = result.get("type") if isinstance(result, dict) else None
    if kind == "ir.actions.act_url":
        url = local_url(result.get("url"))
        return leave(url, opening) if url else request.redirect(here)
    if kind == "ir.actions.act_window_close":
        return leave(opening.back or here, opening)
    if kind == "ir.actions.act_window":
        found = window_url(request.env, result)
        if found is None:
            return request.redirect(here)
        path, defaults = found
        if result.get("target") != "new":
            return leave(Opening(defaults=defaults).url(path), opening)
        dialog = Opening(back=opening.back or here, modal=opening.modal, defaults=defaults)
        if opening.modal or request.httprequest.form.get(MODAL_FIELD) != "1":
            return request.redirect(dialog.url(path))
        open_dialog_next(dialog.url(path))
        return request.redirect(here)
    return request.redirect(here)


def leave(url: str, opening: Opening) -> Response:
    """Go to ``url``; from a modal dialog, the page around it goes there."""
    if not opening.modal:
        return request.redirect(url)
    return frameable(html_response("web.dialog_done", {"title": "Done", "url": url}))


def local_url(url: Any) -> str | None:
    """``url`` when it is a path on this site."""
    url = str(url or "")
    return url if safe_redirect(url) == url else None


def window_url(env: Any, result: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The form a window action result opens, ``(path, defaults of a new record)``."""
    model = result.get("res_model")
    if not isinstance(model, str) or model not in env or env[model]._abstract:
        return None
    base = action_base(env, result, model)
    res_id = result.get("res_id")
    if isinstance(res_id, int) and res_id > 0:
        return f"{base}/record/{res_id}", {}
    return f"{base}/new", context_defaults(result.get("context"))


def action_base(env: Any, result: dict[str, Any], model: str) -> str:
    """The base URL of the window action showing the result's form (or the model's own)."""
    Actions = env["ir.actions.act_window"].sudo()
    named = result.get("id")
    if isinstance(named, int):
        actions = Actions.browse(named).exists().filtered(lambda a: a.res_model == model)
    else:
        actions = Actions.search([("res_model", "=", model),
                                  ("target", "=", result.get("target") or "current")], order="id")
    action = next((a for a in actions if in_groups(env, a.groups_id)), None)
    return f"/web/action/{action.id}" if action else f"/web/model/{model}"
