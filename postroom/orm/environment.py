"""Environments: the cursor, the user and the context a recordset works with.

``env['res.partner']`` is an empty recordset of the model; ``env.user`` the
current user; ``env.context`` an immutable dict. ``env(user=…, context=…,
su=…)`` derives another environment on the same transaction. All environments
of one cursor share a :class:`Transaction`: the cache, the computations still
to do and the records being computed (protected against re-entrant writes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from postroom.orm.cache import Cache
from postroom.tools.misc import frozendict

if TYPE_CHECKING:
    from postroom.orm.fields.base import Field
    from postroom.orm.models.base import BaseModel
    from postroom.orm.registry import Registry

SUPERUSER_ID = 1


class Transaction:
    """State shared by every environment of one database transaction."""

    def __init__(self, registry: Registry, cr: Any):
        self.registry = registry
        self.cr = cr
        self.cache = Cache()
        #: stored computed fields to recompute: {field: set(ids)}
        self.tocompute: dict[Field, set[int]] = defaultdict(set)
        #: fields being computed: assignments go to the cache only
        self.protected: dict[Field, set[int]] = defaultdict(set)
        self.envs: dict[tuple, Environment] = {}

    def reset(self) -> None:
        """Forget everything cached (after a rollback).

        The registry's access caches go too: rights computed from changes that
        were just rolled back must not outlive them.
        """
        self.cache.invalidate()
        self.tocompute.clear()
        self.protected.clear()
        self.registry.clear_caches()


def transaction_of(registry: Registry, cr: Any) -> Transaction:
    """The transaction object attached to a cursor, created on first use."""
    transaction = getattr(cr, "orm_transaction", None)
    if transaction is None or transaction.registry is not registry:
        transaction = Transaction(registry, cr)
        cr.orm_transaction = transaction
        hooks = getattr(cr, "on_savepoint_rollback", None)
        if hooks is not None:
            # the cursor's previous transaction objects are gone: so are their hooks
            hooks[:] = [hook for hook in hooks
                        if not isinstance(getattr(hook, "__self__", None), Transaction)]
            hooks.append(transaction.reset)
    return transaction


class Environment(Mapping):
    """An (cursor, user, context, superuser flag) with the models of the registry."""

    __slots__ = ("__weakref__", "context", "cr", "registry", "su", "transaction", "uid")

    cr: Any
    uid: int
    context: frozendict
    su: bool
    registry: Registry
    transaction: Transaction

    def __new__(cls, cr: Any, uid: int, context: Mapping | None = None, su: bool = False,
                registry: Registry | None = None) -> Environment:
        if registry is None:
            from postroom.orm.registry import Registry
            registry = Registry.of(cr)
        transaction = transaction_of(registry, cr)
        context = frozendict(context or {})
        su = su or uid == SUPERUSER_ID
        key = (uid, context, su)
        env = transaction.envs.get(key)
        if env is None:
            env = object.__new__(cls)
            env.cr, env.uid, env.context, env.su = cr, uid, context, su
            env.registry, env.transaction = registry, transaction
            transaction.envs[key] = env
        return env

    # Mapping of model names to empty recordsets
    def __getitem__(self, model_name: str) -> BaseModel:
        try:
            cls = self.registry[model_name]
        except KeyError:
            raise KeyError(f"Model {model_name!r} does not exist (is its addon installed?)") from None
        return cls(self, (), ())

    def __iter__(self) -> Iterator[str]:
        return iter(self.registry)

    def __len__(self) -> int:
        return len(self.registry)

    def __contains__(self, model_name: object) -> bool:
        return model_name in self.registry

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<Environment db={self.cr.dbname!r} uid={self.uid} su={self.su}>"

    def __call__(self, cr: Any = None, user: Any = None, context: Mapping | None = None,
                 su: bool | None = None) -> Environment:
        """Derive an environment, changing any of cursor, user, context, superuser flag."""
        uid = self.uid if user is None else int(user)
        if su is None:
            su = self.su if user is None else False
        return Environment(cr or self.cr, uid, self.context if context is None else context,
                           su, self.registry)

    @property
    def cache(self) -> Any:
        return self.transaction.cache

    @property
    def user(self) -> BaseModel:
        """The current user, readable whatever the user's rights."""
        return self(su=True)["res.users"].browse(self.uid)

    @property
    def company(self) -> BaseModel:
        """The current company: from ``allowed_company_ids`` or the user's."""
        ids = self.context.get("allowed_company_ids")
        if ids:
            return self(su=True)["res.company"].browse(ids[0])
        return self.user.company_id

    @property
    def companies(self) -> BaseModel:
        ids = self.context.get("allowed_company_ids")
        if ids:
            return self(su=True)["res.company"].browse(ids)
        return self.user.company_ids

    @property
    def lang(self) -> str | None:
        return self.context.get("lang")

    def context_key(self, names: tuple[str, ...]) -> tuple:
        """The values, in this environment, of context keys a computed field depends on.

        ``uid`` is the user, ``company``/``companies`` the current company id and the
        allowed company ids, ``active_test`` the context's flag (true by default);
        any other name is the context's value (lists as tuples). The superuser flag
        is not part of it, so that ``compute_sudo`` computes for the reader.
        """
        return tuple(self._context_value(name) for name in names)

    def _context_value(self, name: str) -> Any:
        if name == "uid":
            return self.uid
        if name == "active_test":
            return self.context.get("active_test", True)
        if name in ("company", "companies"):
            users = self.registry.models.get("res.users")
            if users is not None and "company_id" in users._fields:
                return self.company.id if name == "company" else tuple(self.companies.ids)
        return _hashable(self.context.get(name))

    def ref(self, xml_id: str, raise_if_not_found: bool = True) -> BaseModel | None:
        """The record with external id ``module.name``."""
        found = self["ir.model.data"]._xmlid_to_res_model_res_id(xml_id, raise_if_not_found)
        if not found:
            return None
        model, res_id = found
        return self[model].browse(res_id)

    def is_superuser(self) -> bool:
        return self.su

    def is_admin(self) -> bool:
        return self.su or self.user._is_admin()

    def is_system(self) -> bool:
        return self.su or self.user._is_system()

    def flush_all(self) -> None:
        """Run pending recomputations (writes themselves are immediate)."""
        self.registry.recompute(self)

    def invalidate_all(self) -> None:
        """Forget every cached value (e.g. after raw SQL updates)."""
        self.transaction.cache.invalidate()

    @contextmanager
    def protecting(self, fields: list[Field], records: BaseModel) -> Iterator[None]:
        """While computing ``fields`` on ``records``, assignments only fill the cache."""
        protected = self.transaction.protected
        added = {field: set(records._ids) - protected[field] for field in fields}
        for field, ids in added.items():
            protected[field].update(ids)
        try:
            yield
        finally:
            for field, ids in added.items():
                protected[field].difference_update(ids)


def _hashable(value: Any) -> Any:
    """A context value as a cache key part: lists, dicts and sets made immutable."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, Mapping):
        return tuple((key, _hashable(item)) for key, item in value.items())
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    return value
