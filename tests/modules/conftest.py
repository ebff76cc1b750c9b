"""Fixtures for addon lifecycle tests: a committed database to install, upgrade and uninstall in.

``addons_db`` wraps the plugin's ``committed_db``: each operation reads the addons path
afresh (so rewritten manifests count), runs through :class:`AddonLoader`, and leaves the
new registry in ``committed_db``. Its ``scratch`` directory (first on the path) holds
copies of test addons that a test may rewrite; see :mod:`postroom.testing.addons`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from postroom.modules.loader import AddonLoader
from postroom.orm.registry import Registry
from postroom.testing.addons import ScratchAddons
from postroom.testing.plugin import CommittedDatabase


class AddonsDB:
    """A committed database, its addons path (with a scratch directory) and SQL probes."""

    def __init__(self, db: CommittedDatabase, scratch: ScratchAddons):
        self.db = db
        self.database = db.database
        self.scratch = scratch
        self.steps: list[str] = []

    def loader(self) -> AddonLoader:
        return self.scratch.loader(self.database, progress=self._progress)

    def _progress(self, message: str, done: int, total: int) -> None:
        self.steps.append(f"[{done}/{total}] {message}")

    def _use(self, loader: AddonLoader, registry: Registry) -> Registry:
        self.db.loader, self.db.registry = loader, registry
        return registry

    def install(self, *names: str, demo: bool = False) -> Registry:
        loader = self.loader()
        return self._use(loader, loader.install(names, demo=demo))

    def upgrade(self, *names: str) -> Registry:
        loader = self.loader()
        return self._use(loader, loader.upgrade(names))

    def uninstall(self, *names: str) -> Registry:
        loader = self.loader()
        return self._use(loader, loader.uninstall(names))

    def env(self) -> Any:
        """A superuser environment, committed when the block ends."""
        return self.db.env()

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with self.database.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def states(self, *names: str) -> dict[str, str]:
        return dict(self.query("SELECT name, state FROM ir_module_module WHERE name = ANY(%s)",
                               list(names)))

    def tables(self, pattern: str) -> set[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                          " AND tablename LIKE %s", pattern)
        return {row[0] for row in rows}

    def columns(self, table: str) -> set[str]:
        rows = self.query("SELECT column_name FROM information_schema.columns"
                          " WHERE table_schema = current_schema() AND table_name = %s", table)
        return {row[0] for row in rows}

    def constraints(self, table: str) -> set[str]:
        rows = self.query("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass",
                          table)
        return {row[0] for row in rows}

    def xmlids(self, module: str) -> set[str]:
        return {row[0] for row in self.query("SELECT name FROM ir_model_data WHERE module = %s",
                                             module)}

    def param(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM ir_config_parameter WHERE key = %s", key)
        return rows[0][0] if rows else None


@pytest.fixture
def addons_db(committed_db: CommittedDatabase, tmp_path: Path) -> Iterator[AddonsDB]:
    scratch = ScratchAddons(tmp_path / "scratch", committed_db.databases.addons_path)
    try:
        yield AddonsDB(committed_db, scratch)
    finally:
        scratch.forget()  # later tests import the originals from tests/addons again
