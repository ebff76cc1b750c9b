"""mail.tracking.value: one changed field of a tracked record, old and new value.

``tracking=True`` on a field of a ``mail.thread`` model logs its changes in the
chatter; each change becomes one row here, linked to the message that reports
it. Values are kept in a column of their type, so they stay sortable and
comparable: ``integer`` for booleans, integers and record ids, ``float`` for
numbers and amounts, ``datetime`` for dates, ``char`` for text, selection
labels and record names, ``text`` for long text.
"""

from __future__ import annotations

import datetime
from typing import Any

from postroom import fields, models
from postroom.orm.fields.base import Field

#: which value columns hold each tracked field type (the first one is compared)
_COLUMNS: dict[str, tuple[str, ...]] = {
    "boolean": ("integer",),
    "integer": ("integer",),
    "float": ("float",),
    "monetary": ("float",),
    "char": ("char",),
    "selection": ("char",),
    "text": ("text",),
    "html": ("text",),
    "date": ("datetime",),
    "datetime": ("datetime",),
    "many2one": ("integer", "char"),
    "many2many": ("char",),
    "one2many": ("char",),
}
TRACKABLE_TYPES = frozenset(_COLUMNS)


class MailTrackingValue(models.Model):
    _name = "mail.tracking.value"
    _description = "Mail Tracking Value"
    _order = "id"
    _log_access = False

    field_id = fields.Many2one("ir.model.fields", "Changed Field", required=True,
                               ondelete="cascade", index=True)
    mail_message_id = fields.Many2one("mail.message", "Message", required=True, ondelete="cascade",
                                      index=True)
    old_value_integer = fields.Integer("Old Value Integer")
    old_value_float = fields.Float("Old Value Float")
    old_value_char = fields.Char("Old Value Char")
    old_value_text = fields.Text("Old Value Text")
    old_value_datetime = fields.Datetime("Old Value DateTime")
    new_value_integer = fields.Integer("New Value Integer")
    new_value_float = fields.Float("New Value Float")
    new_value_char = fields.Char("New Value Char")
    new_value_text = fields.Text("New Value Text")
    new_value_datetime = fields.Datetime("New Value Datetime")
    currency_id = fields.Many2one("res.currency", "Currency",
                                  help="The currency of a tracked amount.")

    # ------------------------------------------------------------------
    # building values
    # ------------------------------------------------------------------
    def _tracking_values(self, field: Field, old: Any, new: Any, record: Any) -> dict[str, Any]:
        """The values of one tracking row for ``field`` changing from ``old`` to ``new``."""
        vals: dict[str, Any] = {}
        for prefix, value in (("old", old), ("new", new)):
            for column, stored in zip(_COLUMNS[field.type], _stored(field, value, record)):
                vals[f"{prefix}_value_{column}"] = stored
        if field.type == "monetary":
            currency = record.get(field.currency_field, False)
            vals["currency_id"] = currency.id if currency else False
        return vals

    # ------------------------------------------------------------------
    # display
    # ------------------------------------------------------------------
    def _format_tracking_values(self) -> list[dict[str, Any]]:
        """The changes as the chatter shows them; fields the user may not read are left out."""
        result = []
        user = self.env.user
        for tracking in self.sudo():
            field_record = tracking.field_id
            model = self.env.registry.models.get(field_record.model)
            field = model._fields.get(field_record.name) if model is not None else None
            if field is not None and field.groups and not self.env.su \
                    and not user._has_any_group(field.groups):
                continue
            column = _COLUMNS.get(field_record.ttype, ("char",))[-1]
            result.append({
                "id": tracking.id,
                "field_name": field_record.name,
                "field_label": field_record.field_description,
                "field_type": field_record.ttype,
                "old_value": _displayed(field_record.ttype, tracking[f"old_value_{column}"]),
                "new_value": _displayed(field_record.ttype, tracking[f"new_value_{column}"]),
                "currency_id": tracking.currency_id.id,
            })
        return result


def _stored(field: Field, value: Any, record: Any) -> tuple[Any, ...]:
    """``value`` of ``field`` as the value columns of its type store it."""
    kind = field.type
    if kind == "many2one":
        return (value.id, value.sudo().display_name) if value else (0, False)
    if kind in ("many2many", "one2many"):
        return (", ".join(value.sudo().mapped("display_name")) or False,)
    if kind == "selection":
        labels = dict(field.get_values(record))
        return (labels.get(value, value) if value else False,)
    if kind == "boolean":
        return (int(bool(value)),)
    if kind == "date" and value:
        return (datetime.datetime.combine(value, datetime.time()),)
    return (value if value not in (None, "") else False,)


def _displayed(ttype: str, value: Any) -> Any:
    """A stored value as shown in the chatter (booleans back to booleans, dates as ISO text)."""
    if ttype == "boolean":
        return bool(value)
    if ttype == "date" and value:
        return value.date().isoformat()
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return value
