"""Binary fields: file contents, base64-encoded on records as in Odoo.

By default (``attachment=True``) the bytes live in ``ir.attachment`` (and so in
the content-addressed file store), linked by ``res_model``/``res_field``/
``res_id``; with ``attachment=False`` they are a ``bytea`` column.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from postroom.orm.fields.base import Field

if TYPE_CHECKING:
    from postroom.orm.models.base import BaseModel


class Binary(Field):
    type = "binary"

    @property
    def column_type(self) -> str | None:  # type: ignore[override]
        return None if self.attachment else "bytea"

    def _apply(self, args: dict[str, Any]) -> None:
        super()._apply(args)
        self.prefetch = False
        if self.attachment and not (self.compute or self.related):
            # kept in ir.attachment, not in a column of the model's table
            self.store = True

    def convert_to_cache(self, value: Any, record: BaseModel, validate: bool = True) -> Any:
        if not value:
            return None
        if isinstance(value, str):
            value = value.encode("ascii")
        return bytes(value)

    def convert_from_column(self, value: Any) -> Any:
        return bytes(value) if value is not None else None

    def convert_to_read(self, value: Any, record: BaseModel) -> Any:
        return value.decode("ascii") if isinstance(value, bytes) else value

    def fetch(self, record: BaseModel) -> None:
        if not self.attachment or self.compute:
            return super().fetch(record)
        records = record._in_prefetch_batch(self)
        found = record.env["ir.attachment"].sudo().search([
            ("res_model", "=", record._name), ("res_field", "=", self.name),
            ("res_id", "in", list(records._ids)),
        ])
        values = {a.res_id: a.datas for a in found}
        cache = record.env.transaction.cache
        cache.update(self, records._ids, [values.get(i) or None for i in records._ids])

    def write_attachments(self, records: BaseModel, value: Any) -> None:
        """Store ``value`` (base64) as the attachment of each record."""
        attachments = records.env["ir.attachment"].sudo()
        existing = attachments.search([
            ("res_model", "=", records._name), ("res_field", "=", self.name),
            ("res_id", "in", list(records._ids)),
        ])
        if not value:
            existing.unlink()
        else:
            by_record = {a.res_id: a for a in existing}
            to_create = []
            for record_id in records._ids:
                if record_id in by_record:
                    by_record[record_id].write({"datas": value})
                else:
                    to_create.append({"name": self.name, "res_model": records._name,
                                      "res_field": self.name, "res_id": record_id, "datas": value})
            if to_create:
                attachments.create(to_create)
        records.env.transaction.cache.update(
            self, records._ids, [self.convert_to_cache(value, records)] * len(records._ids))


def b64(data: bytes) -> bytes:
    """Base64-encode raw bytes (what Binary fields hold)."""
    return base64.b64encode(data)
