"""test_orm.context: non-stored computed values that depend on the context."""

from __future__ import annotations

from itertools import count

from postroom import api, fields, models

#: numbers each computation, so that tests tell a cached value from a recomputed one
_COMPUTATIONS = count(1)


class TestOrmContext(models.Model):
    _name = "test_orm.context"
    _description = "Test Context-Dependent Values"

    name = fields.Char()
    parent_id = fields.Many2one("test_orm.context", ondelete="set null")
    category_id = fields.Many2one("test_orm.category", ondelete="set null")
    lang_label = fields.Char(compute="_compute_lang_label", inverse="_inverse_lang_label")
    #: the same computation without @api.depends_context: one value whatever the language
    shared_lang_label = fields.Char(compute="_compute_shared_lang_label")
    #: reads lang_label: depends on the language too, without saying so
    loud_label = fields.Char(compute="_compute_loud_label")
    parent_lang_label = fields.Char(related="parent_id.lang_label")
    user_label = fields.Char(compute="_compute_user_label")
    company_label = fields.Char(compute="_compute_company_label")
    subcategory_count = fields.Integer(compute="_compute_subcategory_count")

    @api.depends("name")
    @api.depends_context("lang")
    def _compute_lang_label(self) -> None:
        for record in self:
            record.lang_label = f"{record.name} [{self.env.lang}] #{next(_COMPUTATIONS)}"

    def _inverse_lang_label(self) -> None:
        for record in self:
            record.name = record.lang_label.split(" [")[0]

    @api.depends("name")
    def _compute_shared_lang_label(self) -> None:
        for record in self:
            record.shared_lang_label = f"{record.name} [{self.env.lang}]"

    @api.depends("lang_label")
    def _compute_loud_label(self) -> None:
        for record in self:
            record.loud_label = record.lang_label.upper()

    @api.depends_context("uid")
    def _compute_user_label(self) -> None:
        for record in self:
            record.user_label = f"{record.name} for {self.env.user.login}"

    @api.depends_context("company")
    def _compute_company_label(self) -> None:
        for record in self:
            record.company_label = f"{record.name} at {self.env.company.name}"

    @api.depends("category_id")
    @api.depends_context("active_test")
    def _compute_subcategory_count(self) -> None:
        categories = self.env["test_orm.category"]
        for record in self:
            record.subcategory_count = categories.search_count(
                [("parent_id", "=", record.category_id.id)]) if record.category_id else 0
