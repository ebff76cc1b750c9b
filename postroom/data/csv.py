"""Load CSV data files, such as ``security/ir.model.access.csv``.

The file name gives the model (``ir.model.access.csv`` → ``ir.model.access``;
anything after a ``-`` is ignored, so ``res.groups-mail.csv`` also loads
``res.groups``). The first row names the columns: ``id`` is the external id,
``<field>:id`` (or ``<field>/id``) holds external ids — one for a many2one,
comma-separated for a many2many, empty for none — and the other columns hold
values read according to their field's type (:mod:`postroom.data.values`).
Each row is then created or updated as an XML record would be
(:mod:`postroom.data.records`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postroom.data.errors import Where
from postroom.data.records import RecordLoader
from postroom.data.values import text_value
from postroom.orm.environment import Environment
from postroom.orm.fields.base import Field
from postroom.orm.fields.relational import Command
from postroom.orm.models import BaseModel

_XMLID_COLUMN = re.compile(r"^(\w+)[:/]id$")


@dataclass(frozen=True)
class _Column:
    """A column of the file: the field it fills, and whether it holds external ids."""

    field: Field
    xmlids: bool


def load_csv(env: Environment, module: str, path: str | Path, mode: str = "init",
             noupdate: bool = False, loaded_xmlids: set[str] | None = None) -> set[str]:
    """Load the CSV data file ``path`` of addon ``module``; see :func:`postroom.data.load_xml`."""
    loaded = set() if loaded_xmlids is None else loaded_xmlids
    path = Path(path)
    records = RecordLoader(env, module, mode, loaded)
    file_where = Where(str(path))
    model = records.model(path.stem.split("-")[0], file_where)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise file_where.error(f"cannot read the file: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise file_where.at(1).error("the file is empty: its first row must name the columns")
    columns = [_column(model, name.strip(), file_where.at(1)) for name in header]
    line = reader.line_num + 1
    for row in reader:
        where, line = file_where.at(line), reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise where.error(f"{len(row)} cells, but the header names {len(columns)} columns")
        xmlid = next((cell.strip() for column, cell in zip(columns, row) if column is None),
                     None) or None
        if xmlid:
            where = Where(where.path, where.line, f"record {xmlid}")
        row_columns = [(column, cell) for column, cell in zip(columns, row) if column]
        records.load(where, model, xmlid, _values(records, row_columns, where), noupdate)
    return loaded


def _column(model: BaseModel, name: str, where: Where) -> _Column | None:
    """What a header cell means (None for the ``id`` column)."""
    if name == "id":
        return None
    match = _XMLID_COLUMN.match(name)
    field_name = match.group(1) if match else name
    field = model._fields.get(field_name)
    if field is None:
        raise where.error(f"column {name!r}: model {model._name!r} has no field {field_name!r}")
    if match and not field.relational:
        raise where.error(f"column {name!r}: {field_name!r} is not a relation, so it takes "
                          "values, not external ids")
    return _Column(field, bool(match))


def _values(records: RecordLoader, row: list[tuple[_Column, str]], where: Where
            ) -> Callable[[], dict[str, Any]]:
    """A function computing the values of one row (called only if the row is written)."""

    def values() -> dict[str, Any]:
        vals: dict[str, Any] = {}
        for column, cell in row:
            field = column.field
            if not column.xmlids:
                vals[field.name] = text_value(field, cell, where)
                continue
            ids = [records.ref_id(xmlid.strip(), where) for xmlid in cell.split(",")
                   if xmlid.strip()]
            if field.relational_multi:
                vals[field.name] = [Command.set(ids)]
            elif len(ids) > 1:
                raise where.error(f"field {field.name!r} takes one external id, not {cell!r}")
            else:
                vals[field.name] = ids[0] if ids else False
        return vals

    return values
