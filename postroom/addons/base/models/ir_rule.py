"""ir.rule: record rules, the domains that limit which records a user reaches."""

from __future__ import annotations

from postroom import api, fields, models
from postroom.exceptions import ValidationError
from postroom.tools.safe_eval import SafeEvalError, safe_eval


class IrRule(models.Model):
    _name = "ir.rule"
    _inherit = ["ir.access.cache.mixin"]
    _description = "Record Rule"
    _order = "model_id, name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade", index=True)
    groups = fields.Many2many("res.groups", "rule_group_rel", "rule_group_id", "group_id",
                              help="No group: a global rule, applied to everyone and combined "
                                   "with AND. With groups: applied to their members, combined "
                                   "with OR between rules.")
    domain_force = fields.Text("Domain", default="[]")
    perm_read = fields.Boolean("Apply for Read", default=True)
    perm_write = fields.Boolean("Apply for Write", default=True)
    perm_create = fields.Boolean("Apply for Create", default=True)
    perm_unlink = fields.Boolean("Apply for Delete", default=True)
    global_ = fields.Boolean("Global", compute="_compute_global")

    @api.depends("groups")
    def _compute_global(self) -> None:
        for rule in self:
            rule.global_ = not rule.groups

    @api.constrains("domain_force")
    def _check_domain(self) -> None:
        for rule in self:
            try:
                names = self.env[rule.model_id.model]._rule_eval_context()
                domain = safe_eval(rule.domain_force or "[]", names)
                self.env[rule.model_id.model].sudo()._search(domain)
            except (SafeEvalError, ValueError, KeyError) as exc:
                raise ValidationError(f"Invalid domain on rule {rule.name!r}: {exc}") from None
