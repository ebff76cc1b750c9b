"""Form pages: show, create and save a record, call its buttons, delete, duplicate,
archive.

Forms open under a window action (``/web/action/<id>/…``) or on their own, with the
model's default form view (``/web/model/<model>/…``):

``GET …/new`` and ``GET …/record/<rid>`` show the form; a POST to the same URL saves
it, then calls ``call_method`` when a button was used, and follows what the method
returns (:mod:`.results`). Invalid input shows the form again (status 422) with each
error next to its field. ``POST …/record/<rid>/delete|duplicate|archive|unarchive`` do
what they say. The query string says how the form was opened (:class:`.Opening`):
``back`` (a dialog returning there), ``modal=1`` (inside the modal dialog), ``context``
(default values of a new record).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lxml import etree
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.wrappers import Response

from postroom import http
from postroom.addons.web.controllers.backend import backend_route, flash, page
from postroom.addons.web.controllers.results import Opening, follow, report
from postroom.addons.web.controllers.server_actions import bound_actions, server_action_url
from postroom.addons.web.controllers.session import HOME
from postroom.addons.web.controllers.window import ModelScreen, Screen, WindowAction
from postroom.addons.web.rendering.formview import FIELDS_INPUT, FormRenderer
from postroom.addons.web.rendering.record import (
    FieldView,
    RecordState,
    changes,
    check_required,
    parse_inputs,
)
from postroom.exceptions import AccessError, MissingError, UserError
from postroom.http import request

INVALID_FORM = "Some fields need attention."
#: the screens of forms: a window action's (``action/<id>``) or a model's (``model/<name>``)
SCREEN = "/web/<any(action,model):kind>/<string:key>"
#: a form refreshes itself while its record is in one of these states (see `refreshes`)
RUNNING_STATES = ("queued", "running")
#: seconds between two refreshes
REFRESH_DELAY = 3


def screen_of(kind: str, key: str) -> Screen:
    """The screen of ``/web/action/<id>`` or ``/web/model/<model>``."""
    if kind == "model":
        return ModelScreen(request.env, key)
    if not key.isdigit():
        raise MissingError(f"The action {key!r} does not exist.")
    return WindowAction(request.env, int(key))


class RecordController(http.Controller):
    @backend_route(f"{SCREEN}/new", methods=["GET", "POST"])
    def new(self, kind: str, key: str) -> Response:
        screen = screen_of(kind, key)
        opening = Opening.from_args(request.httprequest.args)
        screen.model = screen.model.with_context(**opening.defaults)
        screen.model.check_access_rights("create")
        if request.httprequest.method == "POST":
            return save(screen, None, opening)
        return form_page(screen, RecordState.new(screen.model), opening)

    @backend_route(f"{SCREEN}/record/<int:record_id>", methods=["GET", "POST"])
    def record(self, kind: str, key: str, record_id: int) -> Response:
        screen = screen_of(kind, key)
        opening = Opening.from_args(request.httprequest.args)
        record = readable(screen, record_id)
        if request.httprequest.method == "POST":
            return save(screen, record, opening)
        return form_page(screen, RecordState(screen.model, record), opening)

    @backend_route(f"{SCREEN}/record/<int:record_id>/"
                   "<any(delete,duplicate,archive,unarchive):operation>", methods=["POST"])
    def operation(self, kind: str, key: str, record_id: int, operation: str) -> Response:
        screen = screen_of(kind, key)
        record = readable(screen, record_id)
        try:
            with request.env.cr.savepoint():
                if operation == "delete":
                    name = record.display_name
                    record.unlink()
                    flash(f"{name or 'The record'} was deleted.")
                    return request.redirect(screen.url or HOME)
                if operation == "duplicate":
                    copy = record.copy()
                    flash("This is the copy; the original is unchanged.")
                    return request.redirect(screen.record_url(copy.id))
                record.write({"active": operation == "unarchive"})
                flash("Archived." if operation == "archive" else "Restored.")
        except AccessError:
            raise
        except UserError as exc:
            flash(str(exc), "danger")
        return request.redirect(screen.record_url(record.id))


def readable(screen: Screen, record_id: int) -> Any:
    """The record, checked to exist and to be readable by the user."""
    record = screen.model.browse(record_id).exists()
    if not record:
        raise MissingError("This record does not exist (any more).")
    record.check_access("read")
    return record


def form_page(screen: Screen, state: RecordState, opening: Opening, *, status: int = 200,
              error: str | None = None) -> Response:
    record = state.record
    editable = can_edit(screen, record)
    body = FormRenderer(screen.form_arch, state, editable=editable).render()
    sidebar = request.env["web.form.extension"]._form_sidebar(record)
    here = opening.url(screen.record_url(record.id) if record else screen.new_url)
    away = opening.back or screen.url or HOME
    dialog = opening.is_dialog(screen)
    return page("web.form", {
        "title": record.display_name if record else f"New · {screen.name}",
        "action_name": screen.name, "list_url": screen.url, "dialog": dialog, "close_url": away,
        "record_name": (record.display_name or f"#{record.id}") if record else "New",
        "save_url": here, "discard_url": here if record else away,
        "editable": editable, "form_body": body, "sidebar": sidebar,
        "form_error": error or (INVALID_FORM if state.errors else None),
        "record_actions": record_actions(screen, record) if record and not dialog else [],
        "new_url": screen.new_url if record and not dialog and screen.can("create") else None,
        "refresh_url": here if record and refreshes(screen.form_arch, state) else None,
        "refresh_delay": REFRESH_DELAY,
    }, action_id=screen.id, status=status, modal=opening.modal)


def refreshes(arch: etree._Element, state: RecordState) -> bool:
    """Whether the form refreshes itself: while its ``refresh`` condition holds, by default
    while the record's ``state`` is queued or running (a job in progress)."""
    if arch.get("refresh") is not None:
        return state.scope.condition(arch, "refresh")
    return "state" in state.model._fields and state.raw("state") in RUNNING_STATES


def can_edit(screen: Screen, record: Any) -> bool:
    """Whether the form of ``record`` (empty: a new one) has inputs for the user."""
    return screen.can("write" if record else "create")


@dataclass
class MenuItem:
    """An entry of the Actions menu: a form posting to ``url``."""

    label: str
    url: str
    confirm: str | None = None
    #: the records a server action runs on, and the page it returns to
    ids: list[int] = field(default_factory=list)
    back: str | None = None


def record_actions(screen: Screen, record: Any) -> list[MenuItem]:
    """The Actions menu of a saved record: its operations, the server actions of its model."""
    url = screen.record_url(record.id)
    items = []
    if screen.can("create"):
        items.append(MenuItem("Duplicate", f"{url}/duplicate"))
    if "active" in record._fields and screen.can("write"):
        archive = "archive" if record.active else "unarchive"
        items.append(MenuItem(archive.title(), f"{url}/{archive}",
                              "Archive this record?" if archive == "archive" else None))
    if screen.can("unlink"):
        items.append(MenuItem("Delete", f"{url}/delete",
                              "Delete this record? This cannot be undone."))
    items += [MenuItem(action.name, server_action_url(action), ids=[record.id], back=url)
              for action in bound_actions(record, "form")]
    return items


def save(screen: Screen, record: Any, opening: Opening) -> Response:
    """Save the posted form (creating the record when ``record`` is None), then its button."""
    httprequest = request.httprequest
    form = CombinedMultiDict([httprequest.form, httprequest.files])
    model = screen.model
    old = RecordState(model, record) if record else RecordState.new(model)
    renderer = FormRenderer(screen.form_arch, old, editable=can_edit(screen, record))
    renderer.render()
    method = form.get("call_method")
    if method and method not in renderer.buttons:
        raise AccessError(f"The button {method!r} is not available on this form.")
    # the inputs the page had (a row button posts none); fields shown since are left alone
    posted = set((form.get(FIELDS_INPUT) or "").split(","))
    views = [view for view in renderer.fields if view.name in posted]
    new = parse_inputs(old, views, form)
    check_required(new, views)
    if new.errors:
        return form_page(screen, new, opening, status=422)
    vals = changes(old, new, views)
    try:
        with request.env.cr.savepoint():
            saved = record
            if saved is None:
                saved = model.create(vals)
            elif vals:
                saved.write(vals)
            result = getattr(saved, method)() if method else None
    except AccessError:
        raise
    except UserError as exc:
        return form_page(screen, with_error(new, views, str(exc)), opening, status=422,
                         error=str(exc))
    report(result, "Done." if method else "Saved.")
    here = replace(opening, defaults={}).url(screen.record_url(saved.id))
    return follow(result, here, opening)


def with_error(state: RecordState, views: list[FieldView], message: str) -> RecordState:
    """``state`` with ``message`` next to the field it names, when it names one."""
    for view in views:
        label = view.widget.field.string or view.name
        if f"'{label}'" in message or f"“{label}”" in message or f"'{view.name}'" in message:
            state.errors[state.input_name(view.name)] = message
            break
    return state
