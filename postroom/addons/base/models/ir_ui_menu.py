"""ir.ui.menu: the backend's menu tree, filtered by the user's groups and rights."""

from __future__ import annotations

from typing import Any

from postroom import api, fields, models
from postroom.exceptions import ValidationError


class IrUiMenu(models.Model):
    _name = "ir.ui.menu"
    _description = "Menu"
    _order = "sequence, id"
    _parent_name = "parent_id"

    name = fields.Char("Menu", required=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    parent_id = fields.Many2one("ir.ui.menu", "Parent Menu", index=True, ondelete="cascade")
    child_id = fields.One2many("ir.ui.menu", "parent_id", "Child Menus")
    complete_name = fields.Char("Full Path", compute="_compute_complete_name")
    action = fields.Char(help="The action opened by the menu, as 'model,id' "
                              "(e.g. 'ir.actions.act_window,12').")
    groups_id = fields.Many2many("res.groups", "ir_ui_menu_group_rel", "menu_id", "gid",
                                 string="Groups", help="Empty: every internal user sees it.")
    web_icon = fields.Char("Icon")

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self) -> None:
        for menu in self:
            parent = menu.parent_id.complete_name if menu.parent_id else ""
            menu.complete_name = f"{parent} / {menu.name}" if parent else menu.name

    @api.constrains("parent_id")
    def _check_recursion(self) -> None:
        for menu in self:
            seen, current = set(), menu
            while current:
                if current.id in seen:
                    raise ValidationError(f"Menu {menu.name!r} cannot be its own ancestor.")
                seen.add(current.id)
                current = current.parent_id

    @api.constrains("action")
    def _check_action(self) -> None:
        for menu in self.filtered("action"):
            menu._action_record()

    def _action_record(self) -> Any:
        """The action record referenced by ``action`` (or an empty recordset)."""
        self.ensure_one()
        if not self.action:
            return self.env["ir.actions.act_window"]
        model, _, res_id = self.action.partition(",")
        if model not in self.env or not res_id.isdigit() or not model.startswith("ir.actions."):
            raise ValidationError(f"Invalid action {self.action!r} on menu {self.name!r}: "
                                  "expected 'ir.actions.<type>,<id>'")
        return self.env[model].browse(int(res_id))

    @api.model
    def _visible_menus(self) -> Any:
        """The menus the current user may see: groups match, action readable, parents visible."""
        menus = self.sudo().search([])
        user = self.env.user
        groups = user._group_ids() if not self.env.su else None
        visible = menus.filtered(lambda m: groups is None or not m.groups_id
                                 or bool(set(m.groups_id.ids) & groups))
        allowed = set()
        for menu in visible:
            action = menu._action_record().sudo().exists() if menu.action else None
            model = action.res_model if action and "res_model" in action._fields else None
            if model and model in self.env and not self.env[model].check_access_rights(
                    "read", raise_exception=False):
                continue
            allowed.add(menu.id)
        result = []
        for menu in visible:
            current, keep = menu, menu.id in allowed
            while keep and current.parent_id:
                current = current.parent_id
                keep = current.id in allowed
            if keep:
                result.append(menu.id)
        return self.browse(result)

    @api.model
    def load_menus(self) -> list[dict[str, Any]]:
        """The visible menu tree: ``[{id, name, action, children: [...]}]``; empty folders pruned."""
        menus = self._visible_menus().sudo()
        nodes = {m.id: {"id": m.id, "name": m.name, "action": m.action or False,
                        "web_icon": m.web_icon or False, "children": []} for m in menus}
        roots = []
        for menu in menus:
            node = nodes[menu.id]
            parent = nodes.get(menu.parent_id.id) if menu.parent_id else None
            (parent["children"] if parent else roots).append(node)

        def prune(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            kept = []
            for item in items:
                item["children"] = prune(item["children"])
                if item["action"] or item["children"]:
                    kept.append(item)
            return kept
        return prune(roots)
