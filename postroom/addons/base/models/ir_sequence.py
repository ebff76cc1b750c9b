"""ir.sequence: numbering (``TICKET/2026/0042``) backed by PostgreSQL sequences.

Each ``ir.sequence`` row owns a PostgreSQL sequence ``ir_sequence_<id>``, so
two transactions never get the same number and none waits for the other
(numbers of rolled-back transactions are skipped, as with any SQL sequence).
"""

from __future__ import annotations

import datetime
from typing import Any

from postroom import api, fields, models
from postroom.exceptions import UserError
from postroom.orm.sql import SQL

_PLACEHOLDERS = ("year", "month", "day", "y", "doy", "woy", "h24", "min", "sec")


class IrSequence(models.Model):
    _name = "ir.sequence"
    _description = "Sequence"
    _order = "name"

    name = fields.Char(required=True)
    code = fields.Char("Sequence Code", index=True)
    active = fields.Boolean(default=True)
    prefix = fields.Char(help="e.g. TICKET/%(year)s/ — placeholders: " + ", ".join(_PLACEHOLDERS))
    suffix = fields.Char()
    padding = fields.Integer("Sequence Size", default=4, required=True)
    number_increment = fields.Integer("Step", default=1, required=True)
    number_next = fields.Integer("Next Number", default=1, required=True,
                                 help="Changing it restarts the sequence there.")
    company_id = fields.Many2one("res.company", "Company")

    def _sequence_name(self) -> str:
        return f"ir_sequence_{self.id:03d}"

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        sequences = super().create(vals_list)
        for sequence in sequences:
            query = SQL("CREATE SEQUENCE %s INCREMENT BY %s START WITH %s",
                        SQL.identifier(sequence._sequence_name()),
                        sequence.number_increment, sequence.number_next)
            self.env.cr.execute(query.code, query.params)
        return sequences

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "number_next" in vals or "number_increment" in vals:
            for sequence in self:
                query = SQL("ALTER SEQUENCE %s INCREMENT BY %s RESTART WITH %s",
                            SQL.identifier(sequence._sequence_name()),
                            sequence.number_increment, sequence.number_next)
                self.env.cr.execute(query.code, query.params)
        return result

    def unlink(self) -> bool:
        names = [s._sequence_name() for s in self]
        result = super().unlink()
        for name in names:
            query = SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name))
            self.env.cr.execute(query.code)
        return result

    def _next(self) -> str:
        self.ensure_one()
        query = SQL("SELECT nextval(%s)", self._sequence_name())
        self.env.cr.execute(query.code, query.params)
        number = self.env.cr.fetchone()[0]
        values = _interpolation_values(self.env.context.get("sequence_date"))
        try:
            prefix = (self.prefix or "") % values
            suffix = (self.suffix or "") % values
        except (KeyError, ValueError, TypeError) as exc:
            raise UserError(f"Invalid prefix or suffix in sequence {self.name!r}: {exc}. "
                            f"Use placeholders like %(year)s.") from None
        return f"{prefix}{number:0{self.padding}d}{suffix}"

    def next_by_id(self) -> str:
        """The next number of this sequence."""
        return self.sudo()._next()

    @api.model
    def next_by_code(self, code: str) -> str | bool:
        """The next number of the active sequence with ``code`` (False if there is none)."""
        sequence = self.sudo().search([("code", "=", code)], limit=1)
        return sequence._next() if sequence else False


def _interpolation_values(date: Any = None) -> dict[str, str]:
    now = datetime.datetime.now()
    day = fields.Datetime.to_datetime(date) if date else now
    return {"year": day.strftime("%Y"), "month": day.strftime("%m"), "day": day.strftime("%d"),
            "y": day.strftime("%y"), "doy": day.strftime("%j"), "woy": day.strftime("%W"),
            "h24": now.strftime("%H"), "min": now.strftime("%M"), "sec": now.strftime("%S")}
