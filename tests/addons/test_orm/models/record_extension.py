"""Extends test_orm.record in place: a new field, selection_add, a method override."""

from __future__ import annotations

from postroom import fields, models


class TestOrmRecordExtension(models.Model):
    _inherit = "test_orm.record"

    state = fields.Selection(selection_add=[("cancel", "Cancelled")])
    name = fields.Char(string="Title")
    extension_note = fields.Char(default="extended")

    def describe(self) -> str:
        return "extended " + super().describe()
