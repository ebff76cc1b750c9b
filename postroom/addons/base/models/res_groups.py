"""res.groups: groups of users, with implied groups (a member of one is a member of the others)."""

from __future__ import annotations

from typing import Any

from postroom import api, fields, models


class ResGroups(models.Model):
    _name = "res.groups"
    _inherit = ["ir.access.cache.mixin"]
    _description = "Access Group"
    _order = "category, name"

    name = fields.Char(required=True)
    category = fields.Char(help="Where the group shows in the user form (e.g. Administration)")
    comment = fields.Text()
    share = fields.Boolean("Share Group", help="Portal and public users: never reach the backend")
    users = fields.Many2many("res.users", "res_groups_users_rel", "gid", "uid", string="Users")
    implied_ids = fields.Many2many("res.groups", "res_groups_implied_rel", "gid", "hid",
                                   string="Inherits", help="Members of this group are also "
                                   "members of these groups.")
    trans_implied_ids = fields.Many2many("res.groups", string="Transitively Inherits",
                                         compute="_compute_trans_implied")
    rule_groups = fields.Many2many("ir.rule", "rule_group_rel", "group_id", "rule_group_id",
                                   string="Rules")
    model_access = fields.One2many("ir.model.access", "group_id", string="Access Rights")
    full_name = fields.Char(compute="_compute_full_name")

    _sql_constraints = [("name_uniq", "UNIQUE (category, name)",
                         "Group names must be unique within a category.")]

    @api.depends("name", "category")
    def _compute_full_name(self) -> None:
        for group in self:
            group.full_name = f"{group.category} / {group.name}" if group.category else group.name

    @api.depends("implied_ids.implied_ids")
    def _compute_trans_implied(self) -> None:
        for group in self:
            group.trans_implied_ids = self.browse(group._implied_closure())

    def _implied_closure(self) -> list[int]:
        """Ids of the groups these groups imply, transitively (themselves excluded)."""
        self.env.cr.execute("""
            WITH RECURSIVE up(id) AS (
                SELECT hid FROM res_groups_implied_rel WHERE gid = ANY(%s)
                UNION SELECT r.hid FROM res_groups_implied_rel r JOIN up ON r.gid = up.id)
            SELECT id FROM up""", (list(self._ids),))
        return [row[0] for row in self.env.cr.fetchall()]

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "implied_ids" in vals or "users" in vals:
            self.mapped("users")._apply_implied_groups()
        return result

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        groups = super().create(vals_list)
        groups.mapped("users")._apply_implied_groups()
        return groups
