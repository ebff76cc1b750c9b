"""mail.thread runs the creation and update automation rules of its documents.

Every create and write of a thread model looks up its model's rules (one query); most
models have none and pay nothing more. See :mod:`.base_automation`.
"""

from __future__ import annotations

from typing import Any

from postroom import api, models

from .base_automation import CREATE_TRIGGERS, WRITE_TRIGGERS


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model_create_multi
    def create(self, vals_list: list[dict[str, Any]]) -> Any:
        records = super().create(vals_list)
        rules = self.env["base.automation"]._rules_for(self._name) if records else None
        if rules:
            for rule in rules.filtered(lambda r: r.trigger in CREATE_TRIGGERS):
                rule._process(rule._filter(records, rule.filter_domain))
            rules._watch_dates({name for vals in vals_list for name in vals})
        return records

    def write(self, vals: dict[str, Any]) -> bool:
        rules = self.env["base.automation"]._rules_for(self._name) if self else None
        if not rules:
            return super().write(vals)
        watching = rules.filtered(lambda r: r.trigger in WRITE_TRIGGERS and r._watches(vals))
        before = {rule.id: rule._filter(self, rule.filter_pre_domain) for rule in watching}
        names = set(watching.mapped("trigger_field_ids.name"))
        old = {record.id: {name: record[name] for name in names} for record in self.sudo()}
        result = super().write(vals)
        for rule in watching:
            records = rule._filter(before[rule.id], rule.filter_domain)
            if rule.trigger_field_ids:
                changed = rule.trigger_field_ids.mapped("name")
                records = records.filtered(lambda record, changed=changed: any(
                    old[record.id][name] != record.sudo()[name] for name in changed))
            rule._process(records)
        rules._watch_dates(set(vals))
        return result
