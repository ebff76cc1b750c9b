"""``/web/m2o/<model>``: the records a many2one picker suggests as the user types."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound

from postroom import http
from postroom.addons.web.controllers.backend import backend_route
from postroom.http import request
from postroom.orm.domain import DomainError

MAX_SUGGESTIONS = 20


class PickerController(http.Controller):
    @backend_route("/web/m2o/<string:model>", type="json")
    def suggest(self, model: str, term: str = "", limit: int = 8,
                domain: Any = None) -> list[dict[str, Any]]:
        """``[{id, name}]`` of the records of ``model`` whose name matches ``term``, among
        those of ``domain`` (the picker's, evaluated on the record when the form showed)."""
        if model not in request.env:
            raise NotFound(f"Unknown model {model!r}")
        try:
            found = request.env[model].name_search(
                str(term), domain if isinstance(domain, list) else [],
                limit=max(1, min(int(limit), MAX_SUGGESTIONS)))
        except (DomainError, ValueError, TypeError):
            found = []
        return [{"id": ident, "name": name} for ident, name in found]
