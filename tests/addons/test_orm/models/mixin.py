"""A mixin (AbstractModel) and a model built from it with _inherit and a new _name."""

from __future__ import annotations

from postroom import fields, models


class TestOrmMixin(models.AbstractModel):
    _name = "test_orm.mixin"
    _description = "Test Mixin"

    note = fields.Char(default="from mixin")

    def mixin_hello(self) -> str:
        return f"hello from {self._name}"


class TestOrmMixed(models.Model):
    _name = "test_orm.mixed"
    _inherit = ["test_orm.mixin"]
    _description = "Test Mixed"
    _rec_name = "label"

    label = fields.Char()

    def mixin_hello(self) -> str:
        return super().mixin_hello() + " (mixed)"


class TestOrmMixinCopy(models.Model):
    _name = "test_orm.record.copy"
    _inherit = ["test_orm.mixin"]
    _description = "Second model from the same mixin"
    _order = "id desc"

    name = fields.Char()
