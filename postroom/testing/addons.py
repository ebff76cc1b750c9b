"""Scratch addons: copies of addons that a test rewrites, to upgrade them in one process.

``postroom upgrade`` runs in a fresh process and simply imports the new code.
A test that upgrades an addon in its own process must instead make the
process forget the code it imported::

    scratch = ScratchAddons(tmp_path / "addons", [*committed_db.databases.addons_path])
    scratch.copy(TESTS / "addons" / "test_lifecycle")
    loader = scratch.loader(committed_db.database)
    loader.install(["test_lifecycle"])
    scratch.write("test_lifecycle/models/item.py", NEW_CODE)   # v1 -> v2
    scratch.forget("test_lifecycle")
    loader.upgrade(["test_lifecycle"])

The scratch directory comes first on the addons path, so a copy shadows the
original. Forgetting an addon drops its modules from ``sys.modules``, its
model classes from :class:`~postroom.orm.models.meta.MetaModel` and its
compiled bytecode (a rewrite within the same second could otherwise reuse
it); the next registry build imports the files as they are now.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from postroom.modules.loader import AddonLoader, Progress
from postroom.modules.manifest import forget_addon


class ScratchAddons:
    """A temporary addons directory whose addons a test may copy, write and rewrite."""

    def __init__(self, root: Path, addons_path: Iterable[str]):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = [str(root), *(p for p in addons_path if p != str(root))]
        self.names: set[str] = set()

    def copy(self, source: Path, name: str | None = None) -> Path:
        """Copy the addon in ``source`` here (as ``name``); its imported code is forgotten."""
        name = name or source.name
        target = self.root / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        self.names.add(name)
        self.forget(name)
        return target

    def write(self, relative: str, text: str) -> Path:
        """Write ``relative`` (``'<addon>/models/x.py'``) with ``text``, creating directories."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.names.add(Path(relative).parts[0])
        return path

    def replace(self, relative: str, old: str, new: str) -> Path:
        """Replace the one occurrence of ``old`` by ``new`` in ``relative``."""
        path = self.root / relative
        text = path.read_text()
        if text.count(old) != 1:
            raise ValueError(f"{relative}: expected {old!r} exactly once")
        return self.write(relative, text.replace(old, new))

    def forget(self, *names: str) -> None:
        """Make the process forget addons ``names`` (default: every addon copied or written)."""
        for name in names or sorted(self.names):
            forget_addon(name)
            for cache in (self.root / name).rglob("__pycache__"):
                shutil.rmtree(cache)

    def loader(self, database: Any, progress: Progress | None = None) -> AddonLoader:
        """A loader for ``database`` on this directory plus the given addons path."""
        return AddonLoader(database, self.path, progress=progress)
