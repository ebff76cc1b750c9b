"""``fields_get``: what a model's fields are, for clients and the backend."""

from __future__ import annotations

from typing import Any

from postroom.orm import api

_ATTRIBUTES = ("type", "string", "help", "required", "readonly", "store", "relation",
               "selection", "sortable", "searchable", "relation_field", "groups", "digits",
               "currency_field", "size", "related", "depends", "domain", "context")


class IntrospectionMixin:
    """Field metadata as the external API and the views need it."""

    _register = False

    @api.model
    def fields_get(self, allfields: list[str] | None = None,
                   attributes: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """``{field name: {type, string, required, readonly, relation, selection, …}}``."""
        self.check_access_rights("read")
        wanted = set(attributes) if attributes else set(_ATTRIBUTES)
        result: dict[str, dict[str, Any]] = {}
        for field in self._readable_fields():
            if allfields and field.name not in allfields:
                continue
            description = {
                "type": field.type,
                "string": field.string or field.name,
                "help": field.help or "",
                "required": bool(field.required),
                "readonly": bool(field.readonly),
                "store": bool(field.store),
                "sortable": bool(field.store and (field.column_type or field.name == "id")),
                "searchable": bool(field.store or field.search or field.related),
                "relation": field.comodel_name or "",
                "relation_field": field.inverse_name or "",
                "groups": field.groups or "",
                "related": field.related or "",
                "depends": list(field.depends or ()),
                "domain": field.domain if isinstance(field.domain, list) else [],
                "context": field.context if isinstance(field.context, dict) else {},
            }
            if field.type == "selection":
                description["selection"] = [list(item) for item in field.get_values(self)]
            if field.type in ("float", "monetary") and field.digits:
                description["digits"] = list(field.digits)
            if field.type == "monetary":
                description["currency_field"] = field.currency_field
            if field.type == "char" and field.size:
                description["size"] = field.size
            result[field.name] = {k: v for k, v in description.items() if k in wanted}
        return result
