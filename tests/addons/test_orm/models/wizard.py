"""test_orm.wizard: a TransientModel, vacuumed after _transient_max_hours."""

from __future__ import annotations

from postroom import fields, models


class TestOrmWizard(models.TransientModel):
    _name = "test_orm.wizard"
    _description = "Test Wizard"
    _transient_max_hours = 2.0

    name = fields.Char()
    record_id = fields.Many2one("test_orm.record", ondelete="cascade")
