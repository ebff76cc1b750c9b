"""Create or update the records a data file defines, keyed by their external ids.

Shared by the XML and CSV loaders. For each record of a file:

- its external id gets the addon's name when it has none (``partner_demo`` in
  addon ``mail_core`` is ``mail_core.partner_demo``) and is marked as loaded;
- if the id names an existing record, that record is written, except on an
  upgrade (``mode='update'``) when the record is *noupdate*, in the file or in
  its ``ir.model.data`` row: then it is left as the administrator made it;
- otherwise the record is created and its external id registered. On an
  upgrade, a noupdate record someone deleted is created again, unless the file
  says ``forcecreate="0"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from postroom.data.errors import DataError, Where, describe
from postroom.orm.environment import Environment
from postroom.orm.fields.base import Field
from postroom.orm.models import BaseModel

MODES = ("init", "update")
_XMLID = re.compile(r"^[\w-]+(\.[\w-]+)?$")


class RecordLoader:
    """Loads records for one addon, in ``init`` (install) or ``update`` (upgrade) mode."""

    def __init__(self, env: Environment, module: str, mode: str, loaded_xmlids: set[str]):
        if mode not in MODES:
            raise ValueError(f"Invalid data loading mode {mode!r}: use 'init' or 'update'")
        self.env = env
        self.module = module
        self.mode = mode
        self.loaded_xmlids = loaded_xmlids

    # ------------------------------------------------------------------
    # external ids
    # ------------------------------------------------------------------
    def xmlid(self, xmlid: str, where: Where) -> str:
        """``xmlid`` as ``module.name``, the addon being loaded when no module is given."""
        if not _XMLID.match(xmlid):
            raise where.error(f"invalid external id {xmlid!r}: use 'name' or 'module.name' "
                              "(letters, digits, '_' and '-')")
        return xmlid if "." in xmlid else f"{self.module}.{xmlid}"

    def lookup(self, xmlid: str) -> tuple[int, str, int, bool] | None:
        """``(id, model, res_id, noupdate)`` of a full external id, or None."""
        try:
            return self.env["ir.model.data"]._xmlid_lookup(xmlid)
        except ValueError:
            return None

    def ref(self, xmlid: str, where: Where) -> tuple[str, int]:
        """``(model, res_id)`` of ``xmlid``; a DataError naming it when it does not exist."""
        full = self.xmlid(xmlid, where)
        found = self.lookup(full)
        if found is None:
            raise where.error(f"external id {full!r} not found (it must be defined earlier in "
                              "this addon's data files or by an addon it depends on)")
        return found[1], found[2]

    def ref_id(self, xmlid: str, where: Where) -> int:
        return self.ref(xmlid, where)[1]

    # ------------------------------------------------------------------
    # models and fields
    # ------------------------------------------------------------------
    def model(self, name: str | None, where: Where) -> BaseModel:
        if not name:
            raise where.error("the model attribute is missing")
        if name not in self.env:
            raise where.error(f"unknown model {name!r} (is the addon defining it a dependency?)")
        return self.env[name]

    def field(self, model: BaseModel, name: str | None, where: Where) -> Field:
        field = model._fields.get(name or "")
        if field is None:
            raise where.error(f"model {model._name!r} has no field {name!r}")
        return field

    # ------------------------------------------------------------------
    # records
    # ------------------------------------------------------------------
    def load(self, where: Where, model: BaseModel, xmlid: str | None,
             values: Callable[[], dict[str, Any]], noupdate: bool, forcecreate: bool = True,
             defaults: dict[str, Any] | None = None) -> BaseModel | None:
        """Create or update one record (see the module docstring).

        ``values`` is called only when the record is written, so that a record an
        upgrade leaves alone is not evaluated at all. ``defaults`` are values used
        only when the record is created. Returns the record, or None when an
        upgrade does not recreate a deleted noupdate record.
        """
        full = self.xmlid(xmlid, where) if xmlid else None
        record, found = model.browse(), None
        if full:
            self.loaded_xmlids.add(full)
            found = self.lookup(full)
            if found:
                if found[1] != model._name:
                    raise where.error(f"external id {full!r} is a {found[1]} record, "
                                      f"not {model._name}")
                record = model.browse(found[2]).exists()
        upgrading = self.mode == "update"
        if record and upgrading and (noupdate or (found and found[3])):
            return record
        if not record and upgrading and noupdate and not forcecreate:
            return None
        vals = values()
        try:
            if record:
                record.write(vals)
            else:
                record = model.create({**(defaults or {}), **vals})
        except DataError:
            raise
        except Exception as exc:
            verb = "update" if record else "create"
            raise where.error(f"cannot {verb} the {model._name} record: {describe(exc)}") from exc
        if full and (found is None or found[1:] != (model._name, record.id, noupdate)):
            self.env["ir.model.data"]._update_xmlids(
                [{"xml_id": full, "record": record, "noupdate": noupdate}])
        return record
