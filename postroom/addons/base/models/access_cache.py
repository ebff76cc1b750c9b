"""A mixin for models whose changes alter access rights (rules, access, groups)."""

from __future__ import annotations

from typing import Any

from postroom import api, models


class AccessCacheMixin(models.AbstractModel):
    """Clears cached rights, rules and memberships on any change, in every process."""

    _name = "ir.access.cache.mixin"
    _description = "Clears access caches on change"

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        self.pool.signal.changed(self.env.cr)
        return super().create(vals_list)

    def write(self, vals: dict[str, Any]) -> bool:
        self.pool.signal.changed(self.env.cr)
        return super().write(vals)

    def unlink(self) -> bool:
        self.pool.signal.changed(self.env.cr)
        return super().unlink()
