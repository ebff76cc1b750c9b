"""ir.config_parameter: "Restrict Template Rendering" (``mail.restrict.template.rendering``).

By default every internal user is a "Mail Template Editor" (``base.group_user`` implies the
group). Setting the parameter to a true value removes that: only administrators and the
users given the group explicitly may then write templates beyond plain field paths.
Unsetting it makes every internal user an editor again.
"""

from __future__ import annotations

from typing import Any

from postroom import api, models

RESTRICT_KEY = "mail.restrict.template.rendering"


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        params = super().create(vals_list)
        if any(vals.get("key") == RESTRICT_KEY for vals in vals_list):
            self._sync_template_editor_group()
        return params

    def write(self, vals: dict[str, Any]) -> bool:
        touched = RESTRICT_KEY in self.mapped("key") or vals.get("key") == RESTRICT_KEY
        result = super().write(vals)
        if touched:
            self._sync_template_editor_group()
        return result

    def unlink(self) -> bool:
        touched = RESTRICT_KEY in self.mapped("key")
        result = super().unlink()
        if touched:
            self._sync_template_editor_group()
        return result

    @api.model
    def _sync_template_editor_group(self) -> None:
        """Make internal users template editors, unless template rendering is restricted;
        then only administrators stay editors (through ``base.group_system``)."""
        value = self.sudo().get_param(RESTRICT_KEY, "")
        restricted = str(value).strip().lower() not in ("", "0", "false")
        group_user = self.env.ref("base.group_user").sudo()
        editor = self.env.ref("mail_core.group_mail_template_editor").sudo()
        if restricted and editor in group_user.implied_ids:
            group_user.write({"implied_ids": [(3, editor.id)]})
            editor.write({"users": [(3, user.id) for user in editor.users
                                    if not user._is_system()]})
        elif not restricted and editor not in group_user.implied_ids:
            group_user.write({"implied_ids": [(4, editor.id)]})
