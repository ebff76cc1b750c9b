"""Access control in the ORM: model access rights, record rules, field groups.

- ``ir.model.access`` grants read/write/create/unlink on a model to a group
  (or to everyone when no group is set). A user needs one grant per operation.
- ``ir.rule`` restricts *which* records: global rules (no group) all apply;
  group rules apply when the user is in one of their groups, and are OR-ed
  together. ``user`` and ``company_ids`` are available in their domains.
- ``groups=`` on a field hides it from users outside those groups.

The superuser environment (``sudo()``) skips all of it. Results are cached per
registry and cleared whenever rights, rules or group memberships change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from postroom.exceptions import AccessError
from postroom.orm import api
from postroom.orm.domain import AND, OR
from postroom.orm.sql import SQL
from postroom.tools.safe_eval import safe_eval

OPERATIONS = ("read", "write", "create", "unlink")


class AccessMixin:
    """Rights checks of models."""

    _register = False

    @api.model
    def check_access_rights(self, operation: str, raise_exception: bool = True) -> bool:
        """Whether the user may ``operation`` on this model at all."""
        if self.env.su:
            return True
        allowed = self.pool.access_cache.get((self.env.uid, self._name, operation))
        if allowed is None:  # the hot path above is one dict lookup
            allowed = bool(allowed_models(self.env, (self._name,), operation))
        if not allowed and raise_exception:
            groups = self._groups_allowed(operation)
            hint = (f" This operation is allowed for the groups: {', '.join(groups)}."
                    if groups else " No group is allowed this operation.")
            raise AccessError(
                f"You are not allowed to {_VERBS[operation]} '{self._description or self._name}' "
                f"({self._name}) records.{hint} Contact your administrator to request access.")
        return allowed

    def _groups_allowed(self, operation: str) -> list[str]:
        cr = self.env.cr
        cr.execute(f"""
            SELECT DISTINCT g.name FROM ir_model_access a
              JOIN ir_model m ON m.id = a.model_id
              JOIN res_groups g ON g.id = a.group_id
             WHERE m.model = %s AND a.active AND a.perm_{operation}
             ORDER BY g.name""", (self._name,))
        return [row[0] for row in cr.fetchall()]

    def _rule_domain(self, operation: str) -> list:
        """The record-rule domain restricting ``operation`` for the user ([] = none)."""
        if self.env.su:
            return []
        cache = self.pool.rule_cache
        companies = tuple(self.env.context.get("allowed_company_ids") or ())
        key = (self.env.uid, self._name, operation, companies)
        if key not in cache:
            cache[key] = self._compute_rule_domain(operation)
        return cache[key]

    def _compute_rule_domain(self, operation: str) -> list:
        if "ir.rule" not in self.pool or self._abstract:
            return []
        names = self._rule_eval_context()
        cr = self.env.cr
        cr.execute(f"""
            SELECT r.domain_force,
                   NOT EXISTS (SELECT 1 FROM rule_group_rel rg WHERE rg.rule_group_id = r.id),
                   EXISTS (SELECT 1 FROM rule_group_rel rg
                             JOIN res_groups_users_rel gu ON gu.gid = rg.group_id
                            WHERE rg.rule_group_id = r.id AND gu.uid = %s)
              FROM ir_rule r JOIN ir_model m ON m.id = r.model_id
             WHERE m.model = %s AND r.active AND r.perm_{operation}
             ORDER BY r.id""", (self.env.uid, self._name))
        global_domains, group_domains = [], []
        for domain_text, is_global, user_in_group in cr.fetchall():
            domain = safe_eval(domain_text or "[]", names) or []
            if is_global:
                global_domains.append(domain)
            elif user_in_group:
                group_domains.append(domain)
        if group_domains:
            global_domains.append(OR(group_domains))
        return AND(global_domains)

    def _rule_eval_context(self) -> dict[str, Any]:
        user = self.env.user
        return {"user": user, "company_ids": self.env.companies.ids,
                "company_id": self.env.company.id}

    def check_access_rule(self, operation: str) -> None:
        """Raise AccessError unless every record passes the rules for ``operation``."""
        if self.env.su or not self._ids:
            return
        domain = self._rule_domain(operation)
        if not domain:
            return
        allowed = self.sudo().with_context(active_test=False).search(
            AND([[("id", "in", list(self._ids))], domain]), order="")
        forbidden = set(self._ids) - set(allowed._ids)
        if forbidden:
            existing = self.browse(tuple(forbidden)).sudo().exists()
            if existing:
                raise AccessError(
                    f"Due to security restrictions, you are not allowed to {_VERBS[operation]} "
                    f"'{self._description or self._name}' ({self._name}) records "
                    f"{sorted(existing._ids)[:10]}. Contact your administrator to request access.")

    def check_access(self, operation: str) -> None:
        """Check both the model right and the record rules."""
        self.check_access_rights(operation)
        self.check_access_rule(operation)

    def has_access(self, operation: str) -> bool:
        try:
            self.check_access(operation)
        except AccessError:
            return False
        return True

    def _filter_access_rules(self, operation: str) -> Any:
        """The subset of records passing the rules for ``operation``."""
        if self.env.su or not self._ids:
            return self
        domain = self._rule_domain(operation)
        if not domain:
            return self
        allowed = self.sudo().with_context(active_test=False).search(
            AND([[("id", "in", list(self._ids))], domain]), order="")
        keep = set(allowed._ids)
        return self.browse(tuple(i for i in self._ids if i in keep))

    def _readable_fields(self) -> list[Any]:
        """Fields the user may read (field ``groups`` honoured)."""
        if self.env.su:
            return list(self._fields.values())
        user = self.env.user
        return [f for f in self._fields.values() if not f.groups or user._has_any_group(f.groups)]

    def _check_field_access(self, names: Iterable[str], operation: str) -> None:
        """Raise AccessError if some of the fields ``names`` are restricted to other groups."""
        if self.env.su:
            return
        user = self.env.user
        denied = sorted({name for name in names
                         if (field := self._fields.get(name)) is not None and field.groups
                         and not user._has_any_group(field.groups)})
        if denied:
            raise AccessError(
                f"You are not allowed to {_VERBS[operation]} the fields {', '.join(denied)} of "
                f"'{self._description or self._name}' ({self._name}) records: they are "
                "restricted to some groups.")

    def _check_domain_access(self, domain: Iterable[Any]) -> None:
        """Refuse domains that filter on fields the user may not read, along their paths."""
        if self.env.su:
            return
        for leaf in domain:
            if not isinstance(leaf, (list, tuple)) or len(leaf) != 3 or not isinstance(leaf[0], str):
                continue
            model = self
            for name in leaf[0].split("."):
                field = model._fields.get(name)
                if field is None:
                    break
                model._check_field_access([name], "read")
                if not field.relational:
                    break
                model = self.env[field.comodel_name]


def allowed_models(env: Any, model_names: Iterable[str], operation: str) -> set[str]:
    """The models among ``model_names`` (of the registry) the user may ``operation``.

    One query answers for every model not answered yet; answers are cached in
    the registry, where :meth:`AccessMixin.check_access_rights` finds them.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"Invalid access operation {operation!r}")
    names = set(model_names)
    if env.su:
        return names
    cache, uid = env.registry.access_cache, env.uid
    todo = []
    for name in names:
        if (uid, name, operation) not in cache:
            if env.registry[name]._abstract:  # nothing to grant: no records of its own
                cache[uid, name, operation] = True
            else:
                todo.append(name)
    if todo:
        query = SQL("""
            SELECT DISTINCT m.model FROM ir_model_access a
              JOIN ir_model m ON m.id = a.model_id
             WHERE m.model = ANY(%s) AND a.active AND %s
               AND (a.group_id IS NULL OR a.group_id IN (
                    SELECT gid FROM res_groups_users_rel WHERE uid = %s))""",
                    todo, SQL.identifier("a", f"perm_{operation}"), uid)
        env.cr.execute(query.code, query.params)
        granted = {row[0] for row in env.cr.fetchall()}
        for name in todo:
            cache[uid, name, operation] = name in granted
    return {name for name in names if cache[uid, name, operation]}


_VERBS = {"read": "read", "write": "modify", "create": "create", "unlink": "delete"}
