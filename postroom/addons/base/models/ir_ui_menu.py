"""ir.ui.menu: the backend's menu tree, filtered by the user's groups and rights."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from postroom import api, fields, models
from postroom.exceptions import ValidationError
from postroom.orm.models.access import allowed_models


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
        model, res_id = self._action_reference()
        return self.env[model].browse(res_id)

    def _action_reference(self) -> tuple[str, int]:
        """``action`` as (action model, id); a ValidationError if it is not one."""
        model, _, res_id = (self.action or "").partition(",")
        if model not in self.env or not res_id.isdigit() or not model.startswith("ir.actions."):
            raise ValidationError(f"Invalid action {self.action!r} on menu {self.name!r}: "
                                  "expected 'ir.actions.<type>,<id>'")
        return model, int(res_id)

    @api.model
    def _visible_menus(self) -> Any:
        """The menus the current user may see: groups match, action readable, parents visible.

        The cost does not grow with the number of menus: the menus and their
        groups come in batches, the actions in one query per action type, the
        rights on the actions' models in one query.
        """
        menus = self.sudo().search([])
        groups = self.env.user._group_ids() if not self.env.su else None
        visible = menus.filtered(lambda m: groups is None or not m.groups_id
                                 or not groups.isdisjoint(m.groups_id._ids))
        allowed = set(visible._ids) - self._unreadable_action_menus(visible)
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
    def _unreadable_action_menus(self, menus: Any) -> set[int]:
        """The ids of ``menus`` whose action opens a model the current user may not read."""
        menus_by_action: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for menu in menus.filtered("action"):
            model, res_id = menu._action_reference()
            menus_by_action[model][res_id].append(menu.id)
        opened: dict[int, str] = {}  # menu id: the model its action opens
        for action_model, menu_ids in menus_by_action.items():
            if "res_model" not in self.env[action_model]._fields:
                continue
            actions = self.env[action_model].sudo().browse(list(menu_ids))
            for row in actions.read(["res_model"]):  # only the actions that exist
                if row["res_model"] in self.env:
                    opened.update(dict.fromkeys(menu_ids[row["id"]], row["res_model"]))
        readable = allowed_models(self.env, set(opened.values()), "read")
        return {menu_id for menu_id, model in opened.items() if model not in readable}

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
