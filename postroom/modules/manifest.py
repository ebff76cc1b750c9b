"""Finding addons on the addons path and reading their ``__manifest__.py``.

A manifest is a Python dict literal; it is read with :func:`ast.literal_eval`,
never executed. Unknown keys and wrong types are refused with a message naming
the addon and the file, so a typo does not silently disable a feature.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import postroom.addons
from postroom.orm.models.meta import MetaModel

_logger = logging.getLogger(__name__)

MANIFEST = "__manifest__.py"
_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "version": str, "summary": str, "description": str, "author": str,
    "website": str, "license": str, "category": str, "depends": list, "data": list,
    "demo": list, "installable": bool, "application": bool, "auto_install": (bool, list),
    "pre_init_hook": str, "post_init_hook": str, "uninstall_hook": str, "sequence": int,
    "external_dependencies": dict, "assets": dict, "maintainers": list,
    "development_status": str, "images": list,
}


class ManifestError(Exception):
    """A manifest is missing, malformed, or names something that does not exist."""


@dataclass
class Manifest:
    """What an addon's ``__manifest__.py`` says, with defaults filled in."""

    name: str
    path: Path
    title: str = ""
    version: str = "1.0"
    summary: str = ""
    author: str = ""
    license: str = "LGPL-3"
    category: str = ""
    depends: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    demo: list[str] = field(default_factory=list)
    installable: bool = True
    application: bool = False
    auto_install: bool | list[str] = False
    pre_init_hook: str = ""
    post_init_hook: str = ""
    uninstall_hook: str = ""
    sequence: int = 100
    #: why the manifest could not be read (the addon is then not installable)
    error: str = ""

    @property
    def file(self) -> Path:
        return self.path / MANIFEST


def read_manifest(path: Path) -> Manifest:
    """Parse and validate the manifest of the addon in directory ``path``."""
    name = path.name
    file = path / MANIFEST
    try:
        values = ast.literal_eval(file.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError) as exc:
        raise ManifestError(f"Addon {name!r}: {file} is not a Python dict literal ({exc})") from None
    except OSError as exc:
        raise ManifestError(f"Addon {name!r}: cannot read {file} ({exc.strerror})") from None
    if not isinstance(values, dict):
        raise ManifestError(f"Addon {name!r}: {file} must contain a dict")
    for key, value in values.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise ManifestError(f"Addon {name!r}: unknown key {key!r} in {file}")
        if not isinstance(value, expected):
            raise ManifestError(f"Addon {name!r}: key {key!r} in {file} must be "
                                f"{_type_names(expected)}, not {type(value).__name__}")
    for key in ("depends", "data", "demo"):
        if not all(isinstance(item, str) for item in values.get(key, [])):
            raise ManifestError(f"Addon {name!r}: {key!r} in {file} must list strings")
    depends = list(values.get("depends", []))
    trigger = values.get("auto_install")
    if isinstance(trigger, list) and not set(trigger) <= set(depends):
        raise ManifestError(f"Addon {name!r}: 'auto_install' in {file} names addons missing "
                            f"from 'depends': {sorted(set(trigger) - set(depends))}")
    for relative in values.get("data", []) + values.get("demo", []):
        if not (path / relative).is_file():
            raise ManifestError(f"Addon {name!r}: data file {relative!r} listed in {file} "
                                "does not exist")
    kwargs: dict[str, Any] = {k: v for k, v in values.items()
                              if k in Manifest.__dataclass_fields__ and k not in ("name", "path")}
    kwargs["depends"] = depends if depends or name == "base" else ["base"]
    return Manifest(name=name, path=path, title=values.get("name", name), **kwargs)


def _type_names(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


BUILTIN_ADDONS = str(Path(postroom.addons.__file__).parent)


def default_addons_path() -> list[str]:
    """The repository root (the product addons), ``examples/`` and ``postroom/addons``."""
    root = Path(BUILTIN_ADDONS).parent.parent
    examples = root / "examples"
    return [str(root)] + ([str(examples)] if examples.is_dir() else []) + [BUILTIN_ADDONS]


def set_addons_path(paths: list[str]) -> list[str]:
    """Make addons in ``paths`` importable as ``postroom.addons.<name>``.

    ``postroom/addons`` (where ``base`` lives) is always on the path, last unless
    ``paths`` name it, as Odoo always includes its own addons.
    """
    resolved = []
    for path in [*paths, BUILTIN_ADDONS]:
        real = os.path.realpath(path)
        if not os.path.isdir(real):
            raise ManifestError(f"Addons path {path!r} is not a directory")
        if real in resolved:
            continue
        resolved.append(real)
        if real not in postroom.addons.__path__:
            postroom.addons.__path__.append(real)
    return resolved


def discover(paths: list[str]) -> dict[str, Manifest]:
    """Every addon (a directory with a manifest) on the addons path; first one wins.

    An addon whose manifest is malformed is kept, not installable, with its
    ``error``: any operation that needs it raises that error, others go on.
    """
    found: dict[str, Manifest] = {}
    for base in paths:
        for entry in sorted(Path(base).iterdir()):
            if entry.name in found or not (entry / MANIFEST).is_file():
                continue
            try:
                found[entry.name] = read_manifest(entry)
            except ManifestError as exc:
                _logger.warning("%s", exc)
                found[entry.name] = Manifest(name=entry.name, path=entry, installable=False,
                                             error=str(exc))
    return found


def import_addon(manifest: Manifest) -> ModuleType:
    """Import the addon's package as ``postroom.addons.<name>`` from its own directory.

    The package is loaded from ``manifest.path`` explicitly, not by searching the
    addons path, so the code always matches the manifest that was read. An addon
    already imported from another directory is refused: its model classes are
    already registered.
    """
    name = f"{postroom.addons.__name__}.{manifest.name}"
    init = manifest.path / "__init__.py"
    module = sys.modules.get(name)
    if module is not None:
        loaded_from = Path(module.__file__ or "").resolve().parent
        if loaded_from != manifest.path.resolve():
            raise ManifestError(f"Addon {manifest.name!r} ({manifest.file}) was already imported "
                                f"from {loaded_from} in this process")
        return module
    if not init.is_file():
        raise ManifestError(f"Addon {manifest.name!r}: {init} is missing (an addon is a Python "
                            "package)")
    spec = importlib.util.spec_from_file_location(name, init,
                                                  submodule_search_locations=[str(manifest.path)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        forget_addon(manifest.name)
        raise
    setattr(postroom.addons, manifest.name, module)
    return module


def forget_addon(name: str) -> None:
    """Drop the imported modules and registered model classes of addon ``name``.

    The next :func:`import_addon` executes its code again; registries built
    before keep the classes they composed.
    """
    package = f"{postroom.addons.__name__}.{name}"
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[module]
    postroom.addons.__dict__.pop(name, None)
    MetaModel.module_to_models.pop(name, None)
