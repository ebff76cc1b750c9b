"""After an upgrade, delete the records an addon's data files no longer define.

The loader collects in ``loaded_xmlids`` every external id the addon's files
defined during the upgrade (noupdate ones included, even when left alone).
Any other external id of the addon names a record that vanished from the
files: :func:`delete_obsolete` deletes it, newest first so that records go
before those they were built on. Noupdate records are kept (they belong to the
administrator now), and so are the records describing models, fields and
addons, which the loader reflects from code and manages itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from postroom.data.errors import describe
from postroom.orm.environment import Environment

_logger = logging.getLogger(__name__)

#: models whose records mirror code (ir.model …), not data files: never deleted here
REFLECTED_MODELS = ("ir.model", "ir.model.fields", "ir.model.fields.selection",
                    "ir.model.constraint", "ir.model.relation", "ir.module.module",
                    "ir.module.category")


def delete_obsolete(env: Environment, module: str, loaded_xmlids: Iterable[str]) -> list[str]:
    """Delete the records of ``module`` whose external id was not loaded; return those ids.

    A record that cannot be deleted (other records still need it, an
    ``@api.ondelete`` check refuses) is kept with its external id, and a
    warning says why; the rest of the upgrade goes on.
    """
    loaded = set(loaded_xmlids)
    data = env["ir.model.data"].sudo()
    rows = data.search([("module", "=", module), ("noupdate", "=", False),
                        ("model", "not in", list(REFLECTED_MODELS))], order="id desc")
    # read first: deleting one record may take other rows with it
    entries = [(row.id, f"{module}.{row.name}", row.model, row.res_id) for row in rows
               if f"{module}.{row.name}" not in loaded]
    removed: list[str] = []
    for row_id, xmlid, model, res_id in entries:
        record = env[model].sudo().browse(res_id).exists() if model in env else None
        if not record:
            data.browse(row_id).exists().unlink()
            removed.append(xmlid)
            continue
        try:
            with env.cr.savepoint(flush=False):
                record.unlink()
        except Exception as exc:
            _logger.warning("Keeping %s (%s, %s), no longer in the data files of %s: it cannot "
                            "be deleted: %s", xmlid, model, res_id, module, describe(exc))
            continue
        removed.append(xmlid)
    return removed
