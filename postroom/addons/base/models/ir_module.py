"""ir.module.module: which addons exist and which are installed."""

from __future__ import annotations

import logging
from typing import Any

from postroom import api, fields, models

_logger = logging.getLogger(__name__)


class IrModule(models.Model):
    _name = "ir.module.module"
    _description = "Addon"
    _order = "application desc, sequence, name"

    name = fields.Char("Technical Name", required=True, index=True)
    shortdesc = fields.Char("Addon Name")
    summary = fields.Char()
    author = fields.Char()
    license = fields.Char()
    category = fields.Char()
    sequence = fields.Integer(default=100)
    application = fields.Boolean()
    installed_version = fields.Char("Latest Version")
    latest_version = fields.Char("Installed Version")
    demo = fields.Boolean("Demo Data")
    state = fields.Selection([
        ("uninstallable", "Not Installable"),
        ("uninstalled", "Not Installed"),
        ("installed", "Installed"),
        ("to upgrade", "To be upgraded"),
        ("to remove", "To be removed"),
        ("to install", "To be installed"),
    ], default="uninstalled", required=True, index=True)

    _sql_constraints = [("name_uniq", "UNIQUE (name)", "Each addon name must be unique.")]

    @api.model
    def _get(self, name: str) -> Any:
        """The row of addon ``name`` (empty if the addon was never seen)."""
        return self.search([("name", "=", name)])

    def _update_list(self, manifests: dict[str, Any]) -> None:
        """Add or refresh a row for every addon found on the addons path."""
        existing = {m.name: m for m in self.search([])}
        to_create = []
        for name, manifest in manifests.items():
            values = {
                "shortdesc": manifest.title, "summary": manifest.summary,
                "author": manifest.author, "license": manifest.license,
                "category": manifest.category, "application": manifest.application,
                "sequence": manifest.sequence, "installed_version": manifest.version,
            }
            record = existing.get(name)
            if record is None or record.state in ("uninstalled", "uninstallable"):
                values["state"] = "uninstalled" if manifest.installable else "uninstallable"
            if record is None:
                to_create.append({"name": name, **values})
            elif any(record[key] != value for key, value in values.items()):
                record.write(values)
        if to_create:
            self.create(to_create)

    def _mark_installed(self, name: str, manifest: Any, demo: bool | None) -> None:
        """Record ``name`` as installed at the manifest's version (``demo``: None keeps it)."""
        values: dict[str, Any] = {"state": "installed", "latest_version": manifest.version}
        if demo is not None:
            values["demo"] = demo
        self._get(name).write(values)

    def _mark_uninstalled(self, name: str) -> None:
        self._get(name).write({"state": "uninstalled", "latest_version": False, "demo": False})

    def _remove_addon_records(self, addon: str) -> None:
        """Delete the records an addon's data files created (newest first)."""
        cr = self.env.cr
        cr.execute("""SELECT model, array_agg(res_id ORDER BY id DESC), max(id)
                        FROM ir_model_data
                       WHERE module = %s AND model NOT IN ('ir.model', 'ir.model.fields')
                       GROUP BY model ORDER BY max(id) DESC""", (addon,))
        for model, ids, _last in cr.fetchall():
            if model not in self.env:
                continue
            records = self.env[model].with_context(active_test=False).browse(ids).exists()
            try:
                with cr.savepoint():
                    records.unlink()
            except Exception as exc:
                _logger.warning("Uninstalling %s: could not delete %s records %s: %s",
                                addon, model, records.ids, exc)
        cr.execute("""DELETE FROM ir_model_data
                       WHERE module = %s AND model NOT IN ('ir.model', 'ir.model.fields')""",
                   (addon,))
        self.env.invalidate_all()
