"""Where the backend shows a model: a window action (list and forms), or a model's own
forms (``/web/model/<model>``, with its default form view)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from lxml import etree
from werkzeug.datastructures import MultiDict

from postroom.addons.web.controllers.backend import in_groups
from postroom.addons.web.rendering.arch import load_arch
from postroom.addons.web.rendering.searchview import SearchQuery, SearchView
from postroom.exceptions import AccessError, MissingError
from postroom.orm.domain import AND

DEFAULT_LIMIT = 80


class Screen:
    """The forms of a model as the user opens them: URLs, view, what the user may do."""

    model: Any
    name: str
    #: the window action's id (None: the model's own forms)
    id: int | None = None
    #: the list's URL (None: the screen has no list)
    url: str | None = None
    #: ``current`` (a page) or ``new`` (a dialog)
    target = "current"

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def record_url(self, record_id: int) -> str:
        return f"{self.base_url}/record/{record_id}"

    @property
    def new_url(self) -> str:
        return f"{self.base_url}/new"

    @cached_property
    def form_arch(self) -> etree._Element:
        return load_arch(self.model, "form")

    def flags_arch(self, operation: str) -> etree._Element:
        """The arch whose ``create``/``edit``/``delete`` attribute allows ``operation``."""
        return self.form_arch

    def can(self, operation: str) -> bool:
        """Whether the user may ``operation`` on the model, and the views allow it."""
        if not self.model.check_access_rights(operation, raise_exception=False):
            return False
        flag = {"create": "create", "write": "edit", "unlink": "delete"}.get(operation)
        return not flag or self.flags_arch(operation).get(flag) not in ("0", "false", "False")


class ModelScreen(Screen):
    """The forms of a model without an action: ``/web/model/<model>/record/<id>``."""

    def __init__(self, env: Any, model_name: str):
        if model_name not in env or env[model_name]._abstract:
            raise MissingError(f"The model {model_name!r} does not exist.")
        self.model = env[model_name]
        self.model.check_access_rights("read")
        self.name = self.model._description or model_name

    @property
    def base_url(self) -> str:
        return f"/web/model/{self.model._name}"


class WindowAction(Screen):
    """An ``ir.actions.act_window`` opened by the current user.

    Raises MissingError when it does not exist, AccessError when the user is not in
    its groups or may not read its model.
    """

    def __init__(self, env: Any, action_id: int):
        action = env["ir.actions.act_window"].sudo().browse(action_id).exists()
        if not action:
            raise MissingError(f"The action {action_id} does not exist.")
        if not in_groups(env, action.groups_id):
            raise AccessError(f"You are not allowed to open {action.name!r}.")
        if action.res_model not in env:
            raise MissingError(f"The model {action.res_model!r} of {action.name!r} is not "
                               "installed.")
        self.record = action
        self.id = action.id
        self.name = action.name
        self.context: dict[str, Any] = action.with_env(env).evaluated_context()
        defaults = {k: v for k, v in self.context.items() if not k.startswith("search_default_")}
        self.model = env[action.res_model].with_context(**defaults)
        self.model.check_access_rights("read")
        self.target = action.target or "current"

    # -- URLs ---------------------------------------------------------------------
    @property
    def url(self) -> str:  # type: ignore[override]
        return f"/web/action/{self.id}"

    @property
    def base_url(self) -> str:
        return self.url

    # -- views --------------------------------------------------------------------
    @cached_property
    def list_arch(self) -> etree._Element:
        return load_arch(self.model, "list", self.record.view_id)

    @cached_property
    def form_arch(self) -> etree._Element:
        return load_arch(self.model, "form", self.record.view_id)

    @cached_property
    def search_view(self) -> SearchView:
        arch = load_arch(self.model, "search", self.record.search_view_id)
        names = [node.get("name") for node in self.list_arch.iter("field")
                 if node.get("name") in self.model._fields]
        return SearchView(self.model, arch, names)

    def flags_arch(self, operation: str) -> etree._Element:
        return self.list_arch if operation == "unlink" else self.form_arch

    # -- lists ----------------------------------------------------------------------
    def query(self, args: MultiDict) -> SearchQuery:
        """The list query of the request (the action's default filters when none is set)."""
        defaults = self.search_view.default_filters(self.context)
        return SearchQuery.from_args(args, defaults)

    def domain(self, query: SearchQuery) -> list:
        """The records the list shows: the action's domain and the search's."""
        return AND([self.record.with_env(self.model.env).evaluated_domain(),
                    self.search_view.domain(query)])

    def order(self, query: SearchQuery) -> str:
        """The sort asked for when it is on a sortable field, else the view's or model's."""
        name, _, direction = query.order.partition(" ")
        field = self.model._fields.get(name)
        if field is not None and field.store and field.column_type \
                and direction.lower() in ("", "asc", "desc"):
            return f"{name} {direction.lower() or 'asc'}"
        return self.list_arch.get("default_order") or self.model._order

    @property
    def limit(self) -> int:
        return self.record.limit or DEFAULT_LIMIT
