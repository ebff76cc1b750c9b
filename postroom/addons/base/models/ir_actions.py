"""Actions: window actions (open a model's views) and server actions (do something safe).

Server actions never run Python typed by a user. They either write literal
values on the selected records (``object_write``) or call one public method
of the model (``method``), always with the user's own rights.
"""

from __future__ import annotations

from typing import Any

from postroom import api, fields, models
from postroom.exceptions import UserError, ValidationError
from postroom.tools.safe_eval import SafeEvalError, literal_eval, safe_eval


class IrActionsActWindow(models.Model):
    _name = "ir.actions.act_window"
    _description = "Window Action"
    _order = "name"

    name = fields.Char("Action Name", required=True)
    type = fields.Char(default="ir.actions.act_window", required=True)
    res_model = fields.Char("Model", required=True)
    view_mode = fields.Char(default="list,form", required=True,
                            help="Comma-separated view types, e.g. list,form")
    view_id = fields.Many2one("ir.ui.view", "View", ondelete="set null")
    search_view_id = fields.Many2one("ir.ui.view", "Search View", ondelete="set null")
    domain = fields.Char(help="A domain, e.g. [('state', '=', 'exception')]")
    context = fields.Char(default="{}", help="A dict, e.g. {'search_default_failed': 1}")
    limit = fields.Integer(default=80)
    target = fields.Selection([("current", "Main Area"), ("new", "Dialog")], default="current")
    help = fields.Html()
    binding_model_id = fields.Many2one("ir.model", ondelete="cascade",
                                       help="Show this action in the Action menu of that model.")
    groups_id = fields.Many2many("res.groups", "ir_act_window_group_rel", "act_id", "gid",
                                 string="Groups")

    @api.constrains("res_model", "domain", "context", "view_mode")
    def _check_definition(self) -> None:
        for action in self:
            if action.res_model not in self.env:
                raise ValidationError(f"Action {action.name!r}: unknown model {action.res_model!r}")
            for value, label in ((action.domain, "domain"), (action.context, "context")):
                try:
                    action._eval(value or "[]")
                except SafeEvalError as exc:
                    raise ValidationError(f"Action {action.name!r}: invalid {label}: {exc}") from None
            modes = [m.strip() for m in (action.view_mode or "").split(",")]
            if not modes or any(m not in ("list", "form", "kanban") for m in modes):
                raise ValidationError(f"Action {action.name!r}: view_mode must list view types "
                                      "among list, form, kanban")

    def _eval(self, text: str) -> Any:
        """Evaluate a domain or context with ``uid``, ``user`` and dates available."""
        return safe_eval(text, {"uid": self.env.uid, "user": self.env.user,
                                "active_id": self.env.context.get("active_id"),
                                "active_ids": self.env.context.get("active_ids", [])})

    def evaluated_domain(self) -> list:
        return self._eval(self.domain or "[]") or []

    def evaluated_context(self) -> dict:
        return self._eval(self.context or "{}") or {}


class IrActionsServer(models.Model):
    _name = "ir.actions.server"
    _description = "Server Action"
    _order = "sequence, name"

    name = fields.Char("Action Name", required=True)
    type = fields.Char(default="ir.actions.server", required=True)
    sequence = fields.Integer(default=5)
    model_id = fields.Many2one("ir.model", "Model", required=True, ondelete="cascade")
    model_name = fields.Char(related="model_id.model", store=True)
    state = fields.Selection([("object_write", "Update the Record"),
                              ("method", "Call a Method")], default="object_write", required=True)
    update_values = fields.Text("Values to Write", default="{}",
                                help="A literal dict, e.g. {'state': 'done'}")
    method_name = fields.Char("Method", help="A public method of the model, e.g. action_done")
    binding_model_id = fields.Many2one("ir.model", ondelete="cascade",
                                       help="Show this action in the Action menu of that model.")
    binding_view_types = fields.Char(default="list,form",
                                     help="The views whose Action menu shows it: list, form "
                                          "or both (comma-separated).")
    groups_id = fields.Many2many("res.groups", "ir_act_server_group_rel", "act_id", "gid",
                                 string="Groups")

    @api.constrains("state", "update_values", "method_name", "model_id")
    def _check_definition(self) -> None:
        for action in self:
            model = self.env[action.model_id.model]
            if action.state == "object_write":
                try:
                    values = literal_eval(action.update_values or "{}")
                except SafeEvalError as exc:
                    raise ValidationError(f"Server action {action.name!r}: {exc}") from None
                if not isinstance(values, dict):
                    raise ValidationError(f"Server action {action.name!r}: values must be a dict")
                unknown = [k for k in values if k not in model._fields]
                if unknown:
                    raise ValidationError(f"Server action {action.name!r}: unknown fields {unknown}")
            else:
                name = action.method_name or ""
                if name.startswith("_") or not callable(getattr(model, name, None)):
                    raise ValidationError(f"Server action {action.name!r}: {name!r} is not a "
                                          f"public method of {model._name}")

    def run(self) -> Any:
        """Run on ``active_ids`` (or ``active_id``) from the context, with the user's rights."""
        result = None
        for action in self:
            model = self.env[action.model_id.model]
            ids = self.env.context.get("active_ids") or \
                ([self.env.context["active_id"]] if self.env.context.get("active_id") else [])
            records = model.browse(ids)
            if action.state == "object_write":
                records.write(literal_eval(action.update_values or "{}"))
            else:
                if action.method_name.startswith("_"):
                    raise UserError("Private methods cannot be called from actions.")
                result = getattr(records, action.method_name)()
        return result
