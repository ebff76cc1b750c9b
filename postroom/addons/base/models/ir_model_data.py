"""External identifiers (``ir.model.data``): stable names for records.

A data file says ``<record id="partner_demo" …>`` in addon ``mail_core``; the
record gets a database id, and a row here ties ``mail_core.partner_demo`` to
``(model, res_id)``. Other data files, code (``env.ref('mail_core.partner_demo')``)
and upgrades find the record through that name. ``noupdate`` rows are records
that upgrades create once and then leave to the administrator.

Lookups are cached per registry in ``pool.model_cache``. An entry may come
from rows this transaction wrote and has not committed yet, so whenever the
cache is filled or the rows change, the cursor is told to forget the cache if
the transaction (or a savepoint) is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from postroom import api, fields, models
from postroom.exceptions import AccessError
from postroom.orm.sql import SQL

_CACHE_KEY = "ir.model.data"


class IrModelData(models.Model):
    _name = "ir.model.data"
    _description = "External Identifier"
    _order = "module, name"
    _rec_name = "complete_name"

    name = fields.Char("External Identifier", required=True, index=True,
                       help="The part after the dot: 'partner_demo' in 'mail_core.partner_demo'.")
    module = fields.Char(required=True, index=True)
    model = fields.Char("Model Name", required=True)
    res_id = fields.Integer("Record ID", index=True, help="Database id of the record.")
    noupdate = fields.Boolean("Non Updatable", default=False,
                              help="Upgrades create the record if missing but never rewrite it.")
    complete_name = fields.Char(compute="_compute_complete_name")

    _sql_constraints = [
        ("module_name_uniq", "UNIQUE (module, name)",
         "An external ID must be unique within its module."),
    ]

    @api.depends("module", "name")
    def _compute_complete_name(self) -> None:
        for data in self:
            data.complete_name = f"{data.module}.{data.name}"

    # ------------------------------------------------------------------
    # lookups
    # ------------------------------------------------------------------
    @api.model
    def _xmlid_lookup(self, xmlid: str) -> tuple[int, str, int, bool]:
        """``(id, model, res_id, noupdate)`` of ``module.name``; ValueError when unknown."""
        module, name = _split(xmlid)
        cache = self._lookup_cache()
        key = (_CACHE_KEY, xmlid)
        found = cache.get(key)
        if found is None:
            self.env.cr.execute("SELECT id, model, res_id, noupdate FROM ir_model_data "
                                "WHERE module = %s AND name = %s", (module, name))
            row = self.env.cr.fetchone()
            if row is None or not row[2]:
                raise ValueError(f"External ID not found in the system: {xmlid}")
            found = cache[key] = (row[0], row[1], row[2], bool(row[3]))
        return found

    @api.model
    def _xmlid_to_res_model_res_id(self, xmlid: str, raise_if_not_found: bool = False
                                   ) -> tuple[str, int] | None:
        """``(model, res_id)`` of ``xmlid``, or None when unknown (unless asked to raise)."""
        try:
            _id, model, res_id, _noupdate = self._xmlid_lookup(xmlid)
        except ValueError:
            if raise_if_not_found:
                raise
            return None
        return model, res_id

    @api.model
    def _xmlid_to_res_id(self, xmlid: str, raise_if_not_found: bool = False) -> int | bool:
        """The database id of ``xmlid``, or False when unknown (unless asked to raise)."""
        found = self._xmlid_to_res_model_res_id(xmlid, raise_if_not_found)
        return found[1] if found else False

    # ------------------------------------------------------------------
    # writing
    # ------------------------------------------------------------------
    @api.model
    def check_object_reference(self, module: str, xml_id: str,
                               raise_on_access_error: bool = False) -> tuple[str, int] | bool:
        """``(model, id)`` of ``module.xml_id`` if the user may read it (external API)."""
        model, res_id = self._xmlid_to_res_model_res_id(f"{module}.{xml_id}", True)
        if self.env[model].browse(res_id).has_access("read"):
            return model, res_id
        if raise_on_access_error:
            raise AccessError(f"Not enough access rights on the external ID {module}.{xml_id}")
        return model, False

    @api.model
    def _update_xmlids(self, data_list: list[dict[str, Any]], update: bool = False) -> None:
        """Create or repoint external ids.

        Each item is ``{'xml_id': 'module.name', 'record': <one record>, 'noupdate': bool}``.
        With ``update``, rows already marked ``noupdate`` are left as they are.
        """
        rows: dict[str, tuple] = {}
        for data in data_list:
            xmlid, record = data["xml_id"], data["record"]
            module, name = _split(xmlid)
            record.ensure_one()
            rows[xmlid] = (module, name, record._name, record.id, bool(data.get("noupdate")),
                           self.env.uid, self.env.uid)
        if not rows:
            return
        values = SQL(", ").join(
            SQL("(%s, %s, %s, %s, %s, %s, now() at time zone 'UTC', %s, now() at time zone 'UTC')",
                *row) for row in rows.values())
        keep_noupdate = SQL(" WHERE ir_model_data.noupdate IS NOT TRUE" if update else "")
        query = SQL(
            "INSERT INTO ir_model_data (module, name, model, res_id, noupdate, create_uid,"
            " create_date, write_uid, write_date) VALUES %s"
            " ON CONFLICT (module, name) DO UPDATE SET model = EXCLUDED.model,"
            " res_id = EXCLUDED.res_id, noupdate = EXCLUDED.noupdate,"
            " write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date%s"
            " RETURNING id", values, keep_noupdate)
        self.env.cr.execute(query.code, query.params)
        changed = [row[0] for row in self.env.cr.fetchall()]
        self.env.transaction.cache.invalidate_ids(self._name, changed)
        self._forget_lookups(rows)

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        records = super().create(vals_list)
        self._lookup_cache()  # new rows: forget lookups if this transaction rolls back
        return records

    def write(self, vals: dict[str, Any]) -> bool:
        xmlids = self.mapped("complete_name")
        result = super().write(vals)
        self._forget_lookups(xmlids)
        return result

    def unlink(self) -> bool:
        xmlids = self.mapped("complete_name")
        result = super().unlink()
        self._forget_lookups(xmlids)
        return result

    # ------------------------------------------------------------------
    # cache
    # ------------------------------------------------------------------
    def _lookup_cache(self) -> dict:
        """The registry's cache, cleared if this transaction or a savepoint rolls back."""
        cache = self.pool.model_cache
        hooks = getattr(self.env.cr, "on_savepoint_rollback", None)
        if hooks is not None and cache.clear not in hooks:
            hooks.append(cache.clear)
        return cache

    def _forget_lookups(self, xmlids: Iterable[str]) -> None:
        cache = self._lookup_cache()
        for xmlid in xmlids:
            cache.pop((_CACHE_KEY, xmlid), None)


def _split(xmlid: str) -> tuple[str, str]:
    module, dot, name = xmlid.partition(".")
    if not (module and dot and name):
        raise ValueError(f"External IDs must be fully qualified as module.name: {xmlid!r}")
    return module, name
