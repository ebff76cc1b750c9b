"""Installing, upgrading and uninstalling addons in a database.

Installing processes each addon in dependency order, in its own transaction:

1. its Python package is imported (``postroom.addons.<name>``) and its
   ``pre_init_hook`` runs, before its models exist;
2. the registry is recomposed with the addon and the schema brought in step
   (tables, columns, keys);
3. its models and fields are reflected in ``ir.model`` / ``ir.model.fields``,
   with external ids that record which addon owns what;
4. its data files load (and demo files with ``demo=True``);
5. ``post_init_hook``; the addon is marked installed and the transaction
   commits. A failure rolls back that addon only; those before stay installed.

Upgrading runs in one transaction: dependencies a new manifest added are
installed first, then the schema is synchronised with the code (new tables
and columns appear, nothing is dropped) and each upgraded addon, and every
installed addon above it, is reflected again and reloads its data files
(noupdate records are left alone). Records its files no longer define are
deleted, dependents' first.

Uninstalling runs the other way, each addon in its own transaction, the
addons that depend on it first: its ``uninstall_hook``, its records (found
through their external ids), then its columns and tables. An extension's
columns on another addon's table are dropped; the table itself stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from postroom.modules import graph
from postroom.modules.manifest import (
    Manifest,
    ManifestError,
    default_addons_path,
    discover,
    import_addon,
    set_addons_path,
)
from postroom.orm import schema
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.models.meta import MetaModel
from postroom.orm.registry import Registry
from postroom.orm.signaling import CacheSignal

_logger = logging.getLogger(__name__)

#: ``progress(message, step, steps)`` is told of each step of a long operation
Progress = Callable[[str, int, int], None]


def _log_progress(message: str, done: int, total: int) -> None:
    _logger.info("[%d/%d] %s", done, total, message)


class AddonLoader:
    """Loads the addons of one database; see the module docstring."""

    def __init__(self, database: Any, addons_path: list[str] | None = None,
                 progress: Progress | None = None):
        self.database = database
        self.paths = set_addons_path(addons_path or default_addons_path())
        self.manifests: dict[str, Manifest] = discover(self.paths)
        self.progress = progress or _log_progress

    # ------------------------------------------------------------------
    # registry
    # ------------------------------------------------------------------
    def installed(self, cr: Any) -> list[str]:
        """Installed addons, in dependency order ([] for a new database)."""
        cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
        if not cr.fetchone()[0]:
            return []
        cr.execute("SELECT name FROM ir_module_module WHERE state = 'installed'")
        names = {row[0] for row in cr.fetchall()}
        missing = names - set(self.manifests)
        if missing:
            raise ManifestError(f"Installed addons {sorted(missing)} are not on the addons path "
                                f"{self.paths}; add their directory with --addons-path")
        for name in sorted(names):
            if self.manifests[name].error:
                raise ManifestError(self.manifests[name].error)
        return graph.order(names, self.manifests)

    def _installed(self) -> list[str]:
        """The installed addons; the database gets its cache signal on the way (every
        process loading or changing a registry comes here first)."""
        with self.database.cursor() as cr:
            CacheSignal.setup(cr)
            return self.installed(cr)

    def load_registry(self) -> Registry:
        """The registry of the installed addons, registered for this process."""
        return self._build(self._installed())

    def _build(self, addons: list[str]) -> Registry:
        """Compose (and register) the registry of ``addons``, importing their code."""
        for addon in addons:
            import_addon(self.manifests[addon])
        registry = Registry.registries.get(self.database.dbname)
        if registry is None or registry.database is not self.database:
            registry = Registry(self.database)
        registry.build(addons)
        return Registry.register(registry)

    def _env(self, cr: Any, registry: Registry, **context: Any) -> Environment:
        return Environment(cr, SUPERUSER_ID, {"install_mode": True, **context}, registry=registry)

    def _hook(self, addon: str, package: ModuleType, key: str) -> Callable[[Environment], Any]:
        """The function a manifest names as ``pre_init_hook`` (or another hook)."""
        manifest = self.manifests[addon]
        name = getattr(manifest, key)
        hook = getattr(package, name, None)
        if not callable(hook):
            raise ManifestError(f"Addon {addon!r}: {key} {name!r} in {manifest.file} is not a "
                                f"function of the package {package.__name__}")
        return hook

    # ------------------------------------------------------------------
    # install
    # ------------------------------------------------------------------
    def install(self, names: Iterable[str], demo: bool = False) -> Registry:
        """Install ``names`` with their dependencies (and the auto-install addons they enable).

        On a new database ``base`` comes first. Installed addons are left alone.
        """
        installed = self._installed()
        todo = graph.closure({"base", *names}, self.manifests) - set(installed)
        todo |= graph.auto_installable(set(installed) | todo, self.manifests) - set(installed)
        ordered = [a for a in graph.order(set(installed) | todo, self.manifests) if a in todo]
        loaded = list(installed)
        for index, addon in enumerate(ordered, start=1):
            self.progress(f"installing {addon}", index, len(ordered))
            try:
                self._install_one(addon, [*loaded, addon], demo)
            except BaseException:
                self._build(loaded)  # the registry matches the database again
                raise
            loaded.append(addon)
        return self._build(loaded)

    def _install_one(self, addon: str, loaded: list[str], demo: bool) -> None:
        manifest = self.manifests[addon]
        package = import_addon(manifest)
        with self.database.cursor() as cr:
            if manifest.pre_init_hook:
                hook = self._hook(addon, package, "pre_init_hook")
                hook(self._env(cr, self._build(loaded[:-1])))
            registry = self._build(loaded)
            _reset_transaction(cr)
            _sync_schema(cr, registry)
            if addon == "base":  # the rows everything else points to (admin, company)
                cr.execute((manifest.path / "data" / "base_data.sql").read_text())
            env = self._env(cr, registry)
            env["ir.module.module"]._update_list(self.manifests)
            env["ir.model"]._reflect_addon(addon, MetaModel.module_to_models.get(addon, ()))
            self._load_data(env, addon, manifest.data, "init")
            if demo:
                # demo records are the user's once created: an upgrade leaves them alone
                self._load_data(env, addon, manifest.demo, "init", noupdate=True)
            if manifest.post_init_hook:
                self._hook(addon, package, "post_init_hook")(env)
            env["ir.module.module"]._mark_installed(addon, manifest, demo)
            env.flush_all()

    def _load_data(self, env: Environment, addon: str, files: list[str], mode: str,
                   loaded_xmlids: set[str] | None = None, noupdate: bool = False) -> None:
        from postroom.data import load_file
        manifest = self.manifests[addon]
        for relative in files:
            load_file(env, addon, str(manifest.path / relative), mode, noupdate=noupdate,
                      loaded_xmlids=loaded_xmlids)

    # ------------------------------------------------------------------
    # upgrade
    # ------------------------------------------------------------------
    def upgrade(self, names: Iterable[str]) -> Registry:
        """Reload the schema and data of installed ``names`` (and of the addons above them)."""
        from postroom.data import delete_obsolete
        names = set(names)
        installed = self._installed()
        unknown = names - set(installed)
        if unknown:
            raise ManifestError(f"Cannot upgrade {sorted(unknown)}: not installed")
        if graph.closure(names, self.manifests) - set(installed):  # a new version's new depends
            self.install(names)
            installed = self._installed()
        todo = graph.dependents(names, installed, self.manifests)
        ordered = [a for a in installed if a in todo]
        registry = self._build(installed)
        with self.database.cursor() as cr:
            _sync_schema(cr, registry)
            env = self._env(cr, registry)
            env["ir.module.module"]._update_list(self.manifests)
            loaded: dict[str, set[str]] = {}
            for index, addon in enumerate(ordered, start=1):
                self.progress(f"upgrading {addon}", index, len(ordered))
                manifest = self.manifests[addon]
                env["ir.model"]._reflect_addon(addon, MetaModel.module_to_models.get(addon, ()))
                loaded[addon] = set()
                self._load_data(env, addon, manifest.data, "update", loaded[addon])
                if env["ir.module.module"]._get(addon).demo:
                    self._load_data(env, addon, manifest.demo, "update", loaded[addon],
                                    noupdate=True)
                env["ir.module.module"]._mark_installed(addon, manifest, None)
            for addon in reversed(ordered):
                delete_obsolete(env, addon, loaded[addon])
            env.flush_all()
        return registry

    # ------------------------------------------------------------------
    # uninstall
    # ------------------------------------------------------------------
    def uninstall(self, names: Iterable[str]) -> Registry:
        """Remove ``names`` and every installed addon that depends on them."""
        names = set(names)
        if "base" in names:
            raise ManifestError("The base addon cannot be uninstalled")
        installed = self._installed()
        unknown = names - set(installed)
        if unknown:
            raise ManifestError(f"Cannot uninstall {sorted(unknown)}: not installed")
        todo = graph.dependents(names, installed, self.manifests)
        ordered = [a for a in reversed(installed) if a in todo]
        remaining = list(installed)
        registry = self._build(remaining)
        for index, addon in enumerate(ordered, start=1):
            self.progress(f"uninstalling {addon}", index, len(ordered))
            with self.database.cursor() as cr:
                env = self._env(cr, registry, uninstalling_addons=tuple(todo))
                manifest = self.manifests[addon]
                if manifest.uninstall_hook:
                    self._hook(addon, import_addon(manifest), "uninstall_hook")(env)
                env["ir.module.module"]._remove_addon_records(addon)
                env["ir.model"]._remove_addon_schema(addon)
                env["ir.module.module"]._mark_uninstalled(addon)
            remaining.remove(addon)
            registry = self._build(remaining)  # the next addon's records lose this one's columns
        return registry


def _sync_schema(cr: Any, registry: Registry) -> None:
    """Bring tables in step with the models, then run each model's ``init`` hook."""
    schema.sync_models(cr, registry.models.values())
    env = Environment(cr, SUPERUSER_ID, {}, registry=registry)
    for name, model in registry.models.items():
        if model._auto and not model._abstract:
            env[name].init()


def _reset_transaction(cr: Any) -> None:
    """Forget ORM state bound to the previous composition of the registry."""
    if getattr(cr, "orm_transaction", None) is not None:
        cr.orm_transaction = None


def application_addons(loader: AddonLoader) -> list[str]:
    """Addons whose manifest says ``application: True`` (what ``init`` installs by default)."""
    return sorted(name for name, m in loader.manifests.items() if m.application and m.installable)
