"""ir.model, ir.model.fields and ir.model.access: the models, their fields, and who may use them.

The loader *reflects* each addon's models into ``ir.model`` and
``ir.model.fields``, with an external id per addon that defines or extends a
model or field. Those ids say who owns what, so uninstalling an addon drops
exactly its tables and columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from postroom import api, fields, models
from postroom.orm import schema
from postroom.orm.fields.base import Field
from postroom.orm.models.meta import MetaModel
from postroom.orm.models.storage import LOG_ACCESS_FIELDS
from postroom.orm.sql import SQL

_logger = logging.getLogger(__name__)


def model_xmlid(model_name: str) -> str:
    return "model_" + model_name.replace(".", "_")


def field_xmlid(model_name: str, field_name: str) -> str:
    return f"field_{model_name.replace('.', '_')}__{field_name}"


class IrModel(models.Model):
    _name = "ir.model"
    _description = "Model"
    _order = "model"

    name = fields.Char("Model Description", required=True)
    model = fields.Char(required=True, index=True)
    info = fields.Text("Information")
    transient = fields.Boolean()
    abstract = fields.Boolean()
    field_id = fields.One2many("ir.model.fields", "model_id", string="Fields")
    access_ids = fields.One2many("ir.model.access", "model_id", string="Access")
    modules = fields.Char("In Addons", compute="_compute_modules")

    _sql_constraints = [("model_uniq", "UNIQUE (model)", "Each model must be unique.")]

    def _compute_modules(self) -> None:
        for record in self:
            self.env.cr.execute("SELECT string_agg(module, ', ' ORDER BY module) FROM ir_model_data "
                                "WHERE model = 'ir.model' AND res_id = %s", (record.id,))
            record.modules = self.env.cr.fetchone()[0] or ""

    @api.model
    def _get(self, model_name: str) -> Any:
        return self.search([("model", "=", model_name)], limit=1)

    @api.model
    def _get_id(self, model_name: str) -> int:
        cache = self.pool.model_cache
        key = ("ir.model.id", model_name)
        if key not in cache:
            record = self._get(model_name)
            if not record:
                raise ValueError(f"Unknown model {model_name!r}")
            cache[key] = record.id
        return cache[key]

    # ------------------------------------------------------------------
    # reflection
    # ------------------------------------------------------------------
    def _reflect_addon(self, addon: str, classes: Iterable[type]) -> None:
        """Record the models and fields ``addon`` defines or extends, and own them.

        What the addon owned but no longer defines (an upgrade removed it from
        the code) loses the addon's external id; see :meth:`_disown`.
        """
        owned: dict[str, set[str]] = {}
        for cls in classes:
            names = owned.setdefault(cls._name, set())
            names.update(n for n, v in cls.__dict__.items() if isinstance(v, Field))
            if cls._name not in cls._inherit:  # this addon creates the model
                model = self.pool[cls._name]
                names.update(n for n, f in model._fields.items()
                             if f.inherited or n in LOG_ACCESS_FIELDS or n in ("id", "display_name"))
                for parent in cls._parents:
                    names.update(self.pool[parent]._fields)
        xmlids: list[tuple[str, str, int]] = []
        for model_name, field_names in owned.items():
            model = self.pool[model_name]
            record = self._reflect_model(model)
            xmlids.append((model_xmlid(model_name), "ir.model", record.id))
            field_ids = self.env["ir.model.fields"]._reflect_fields(model, record)
            xmlids.extend((field_xmlid(model_name, name), "ir.model.fields", field_ids[name])
                          for name in field_names if name in field_ids)
        self._own(addon, xmlids)
        self._disown(addon, {xmlid for xmlid, _model, _id in xmlids})

    def _reflect_model(self, model: type) -> Any:
        values = {"name": model._description or model._name, "info": (model.__doc__ or "").strip(),
                  "transient": model._transient, "abstract": model._abstract}
        record = self.search([("model", "=", model._name)])
        if record:
            if any(record[k] != v for k, v in values.items()):
                record.write(values)
        else:
            record = self.create({"model": model._name, **values})
        return record

    def _own(self, addon: str, xmlids: list[tuple[str, str, int]]) -> None:
        if not xmlids:
            return
        self.env.cr.execute("""
            INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
            SELECT %s, x.name, x.model, x.res_id, true
              FROM unnest(%s::varchar[], %s::varchar[], %s::int[]) AS x(name, model, res_id)
            ON CONFLICT (module, name) DO UPDATE SET res_id = EXCLUDED.res_id""",
            (addon, [x[0] for x in xmlids], [x[1] for x in xmlids], [x[2] for x in xmlids]))
        self.pool.signal.changed(self.env.cr)

    def _disown(self, addon: str, kept: set[str]) -> None:
        """Drop ``addon``'s ids on models and fields other than ``kept``.

        A model or field no installed code defines any more loses its row too,
        but its table or column stays, with its data: an upgrade never drops data.
        """
        cr = self.env.cr
        cr.execute("""DELETE FROM ir_model_data
                       WHERE module = %s AND model IN ('ir.model', 'ir.model.fields')
                         AND NOT name = ANY(%s)
                   RETURNING model, res_id""", (addon, list(kept)))
        stale = cr.fetchall()
        if not stale:
            return
        self.pool.signal.changed(self.env.cr)
        self.env.invalidate_all()
        ids: dict[str, list[int]] = {"ir.model": [], "ir.model.fields": []}
        for model_name, res_id in stale:
            ids[model_name].append(res_id)
        for field in self.env["ir.model.fields"].browse(ids["ir.model.fields"]).exists():
            if field.model in self.pool and field.name in self.pool[field.model]._fields:
                continue
            if field.store:
                _logger.warning("Field %s.%s is no longer defined (upgrade of %s): its column, "
                                "if any, is kept with its data", field.model, field.name, addon)
            field.unlink()
        for model in self.browse(ids["ir.model"]).exists():
            if model.model not in self.pool:
                _logger.warning("Model %s is no longer defined (upgrade of %s): its table, if "
                                "any, is kept with its data", model.model, addon)
                model.unlink()

    # ------------------------------------------------------------------
    # uninstall
    # ------------------------------------------------------------------
    def _remove_addon_schema(self, addon: str) -> None:
        """Drop the tables, columns, relation tables and SQL constraints only ``addon`` owned.

        Their rows in ``ir.model`` / ``ir.model.fields`` and the addon's ids on
        them go too. The registry must still include ``addon``.
        """
        cr = self.env.cr
        models_gone = self.browse(self._owned_only_by(addon, "ir.model")).exists()
        fields_gone = self.env["ir.model.fields"].browse(
            self._owned_only_by(addon, "ir.model.fields")).exists()
        gone_models = [self.pool[name] for name in models_gone.mapped("model") if name in self.pool]
        gone = {(f.model, f.name) for f in fields_gone}
        gone.update((model._name, name) for model in gone_models for name in model._fields)
        definitions = [self.pool[model]._fields[name] for model, name in gone
                       if model in self.pool and name in self.pool[model]._fields]
        tables = {model._table for model in gone_models if _has_table(model)}
        relations = {
            field.relation for field in definitions
            if field.type == "many2many" and field.store and not field.related
            and all((other.model_name, other.name) in gone
                    for other in self.pool.relation_fields[field.relation])}
        for field in sorted(definitions, key=str):
            model = self.pool[field.model_name]
            if _has_table(model) and model._table not in tables and field.store \
                    and field.column_type:
                schema.drop_columns(cr, model._table, [field.name])
        self._drop_extension_constraints(addon, tables)
        schema.drop_tables(cr, sorted(relations) + sorted(tables))
        fields_gone.unlink()
        models_gone.unlink()
        cr.execute("DELETE FROM ir_model_data WHERE module = %s", (addon,))
        self.pool.signal.changed(self.env.cr)

    def _owned_only_by(self, addon: str, model: str) -> list[int]:
        """Ids of ``model`` records ``addon`` has an id on, and no other addon has."""
        self.env.cr.execute("""
            SELECT d.res_id FROM ir_model_data d
             WHERE d.module = %s AND d.model = %s
               AND NOT EXISTS (SELECT 1 FROM ir_model_data o WHERE o.model = d.model
                               AND o.res_id = d.res_id AND o.module != d.module)""",
            (addon, model))
        return [row[0] for row in self.env.cr.fetchall()]

    def _drop_extension_constraints(self, addon: str, dropped_tables: set[str]) -> None:
        """Drop the SQL constraints ``addon`` adds to tables that stay."""
        others: set[tuple[str, str]] = set()
        mine: set[tuple[str, str]] = set()
        for name in self.pool.addons:
            for cls in MetaModel.module_to_models.get(name, ()):
                if cls._name not in self.pool or not _has_table(self.pool[cls._name]):
                    continue
                table = self.pool[cls._name]._table
                for item in cls.__dict__.get("_sql_constraints", ()):
                    constraint = f"{table}_{item[0]}"[:63]  # PostgreSQL truncates names
                    (mine if name == addon else others).add((table, constraint))
        for table, constraint in sorted(mine - others):
            if table not in dropped_tables:
                query = SQL("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s",
                            SQL.identifier(table), SQL.identifier(constraint))
                self.env.cr.execute(query.code, query.params)


def _has_table(model: type) -> bool:
    return bool(model._auto and not model._abstract)


class IrModelFields(models.Model):
    _name = "ir.model.fields"
    _description = "Field"
    _order = "model, name"
    _rec_name = "field_description"

    name = fields.Char("Field Name", required=True, index=True)
    model = fields.Char(required=True, index=True)
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade", index=True)
    field_description = fields.Char("Field Label", required=True)
    help = fields.Text()
    ttype = fields.Char("Field Type", required=True)
    relation = fields.Char("Related Model")
    relation_field = fields.Char("Relation Field")
    relation_table = fields.Char()
    column1 = fields.Char()
    column2 = fields.Char()
    required = fields.Boolean()
    readonly = fields.Boolean()
    store = fields.Boolean("Stored")
    index = fields.Boolean("Indexed")
    copied = fields.Boolean()
    related = fields.Char()
    groups = fields.Char()

    _sql_constraints = [("name_unique", "UNIQUE (model, name)", "Field names must be unique per model.")]

    def _reflect_fields(self, model: type, model_record: Any) -> dict[str, int]:
        """Create or refresh one row per field; returns ``{field name: id}``."""
        existing = {f.name: f for f in self.search([("model", "=", model._name)])}
        result: dict[str, int] = {}
        to_create: list[dict[str, Any]] = []
        for name, field in model._fields.items():
            values = {
                "field_description": field.string or name, "help": field.help or False,
                "ttype": field.type, "relation": field.comodel_name or False,
                "relation_field": field.inverse_name or False,
                "relation_table": field.relation or False, "column1": field.column1 or False,
                "column2": field.column2 or False, "required": bool(field.required),
                "readonly": bool(field.readonly), "store": bool(field.store),
                "index": bool(field.index), "copied": bool(field.copy),
                "related": field.related or False, "groups": field.groups or False,
            }
            record = existing.get(name)
            if record is None:
                to_create.append({"name": name, "model": model._name, "model_id": model_record.id,
                                  **values})
            else:
                result[name] = record.id
                if any(record[k] != v for k, v in values.items()):
                    record.write(values)
        if to_create:
            for record in self.create(to_create):
                result[record.name] = record.id
        return result


class IrModelAccess(models.Model):
    _name = "ir.model.access"
    _inherit = ["ir.access.cache.mixin"]
    _description = "Model Access"
    _order = "model_id, group_id, name"

    name = fields.Char(required=True, index=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade", index=True)
    group_id = fields.Many2one("res.groups", "Group", ondelete="cascade", index=True,
                               help="Leave empty to grant the access to everyone.")
    perm_read = fields.Boolean("Read Access")
    perm_write = fields.Boolean("Write Access")
    perm_create = fields.Boolean("Create Access")
    perm_unlink = fields.Boolean("Delete Access")
