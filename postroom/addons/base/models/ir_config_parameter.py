"""ir.config_parameter: system parameters (key/value), such as ``web.base.url``.

``database.secret`` (the key for signed tokens), ``database.uuid`` and
``web.base.url`` are created with the database. Only administrators read or
write parameters; code reads them with ``sudo().get_param(key, default)``.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from postroom import api, fields, models

_DEFAULTS = {
    "database.secret": lambda: secrets.token_urlsafe(48),
    "database.uuid": lambda: str(uuid.uuid4()),
    "web.base.url": lambda: "http://localhost:8069",
}


class IrConfigParameter(models.Model):
    _name = "ir.config_parameter"
    _description = "System Parameter"
    _rec_name = "key"
    _order = "key"

    key = fields.Char(required=True, index=True)
    value = fields.Text(required=True)

    _sql_constraints = [("key_uniq", "UNIQUE (key)", "Each parameter key must be unique.")]

    @api.model
    def init_defaults(self, force: bool = False) -> None:
        """Create the parameters every database has (secret, uuid, base URL)."""
        for key, make in _DEFAULTS.items():
            if force or not self.sudo().search([("key", "=", key)]):
                self.sudo().set_param(key, make())

    @api.model
    def get_param(self, key: str, default: Any = False) -> Any:
        """The value of ``key``, or ``default`` when unset."""
        self.check_access_rights("read")
        cache = self.pool.model_cache
        cache_key = ("ir.config_parameter", key)
        if cache_key not in cache:
            self.env.cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,))
            row = self.env.cr.fetchone()
            cache[cache_key] = row[0] if row else None
        value = cache[cache_key]
        return default if value is None else value

    @api.model
    def set_param(self, key: str, value: Any) -> Any:
        """Set ``key`` (``False``/``None`` deletes it); returns the previous value."""
        previous = self.get_param(key, None)
        record = self.search([("key", "=", key)])
        if value is False or value is None:
            record.unlink()
        elif record:
            record.write({"value": str(value)})
        else:
            self.create({"key": key, "value": str(value)})
        return previous

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        self._clear_param_cache()
        return super().create(vals_list)

    def write(self, vals: dict[str, Any]) -> bool:
        self._clear_param_cache()
        return super().write(vals)

    def unlink(self) -> bool:
        self._clear_param_cache()
        return super().unlink()

    def _clear_param_cache(self) -> None:
        self.pool.signal.changed(self.env.cr)  # other processes forget their values too
