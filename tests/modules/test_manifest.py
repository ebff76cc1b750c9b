"""Manifests and the dependency graph, without a database: what is refused, and how it is said."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from postroom.modules import graph
from postroom.modules.manifest import (
    Manifest,
    ManifestError,
    discover,
    forget_addon,
    import_addon,
    read_manifest,
)
from postroom.orm.models.meta import MetaModel


def make_addon(root: Path, name: str, manifest: str, files: dict[str, str] | None = None) -> Path:
    path = root / name
    path.mkdir(parents=True)
    (path / "__manifest__.py").write_text(manifest)
    (path / "__init__.py").write_text("")
    for relative, text in (files or {}).items():
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        (path / relative).write_text(text)
    return path


def manifests(root: Path, **depends: list[str]) -> dict[str, Manifest]:
    make_addon(root, "base", "{'name': 'Base'}")
    for name, deps in depends.items():
        make_addon(root, name, repr({"name": name, "depends": deps}))
    return discover([str(root)])


def test_manifest_defaults_and_values(tmp_path: Path) -> None:
    path = make_addon(tmp_path, "mail_demo", repr({
        "name": "Demo", "version": "17.0.1.2", "summary": "S", "author": "A", "license": "AGPL-3",
        "depends": ["mail_core"], "data": ["views/v.xml"], "demo": [], "application": True,
        "auto_install": ["mail_core"], "pre_init_hook": "pre", "post_init_hook": "post",
        "uninstall_hook": "un", "installable": True}), {"views/v.xml": "<odoo/>"})
    manifest = read_manifest(path)
    assert (manifest.title, manifest.version, manifest.depends, manifest.data) == (
        "Demo", "17.0.1.2", ["mail_core"], ["views/v.xml"])
    assert (manifest.pre_init_hook, manifest.post_init_hook, manifest.uninstall_hook) == (
        "pre", "post", "un")
    assert manifest.application and manifest.auto_install == ["mail_core"]
    assert read_manifest(make_addon(tmp_path, "bare", "{}")).depends == ["base"]


@pytest.mark.parametrize(("text", "message"), [
    ("{'name': 'X',", "is not a Python dict literal"),
    ("{'name': __import__('os').getcwd()}", "is not a Python dict literal"),
    ("['name']", "must contain a dict"),
    ("{'nmae': 'X'}", "unknown key 'nmae'"),
    ("{'depends': 'base'}", "key 'depends' in {file} must be list, not str"),
    ("{'installable': 'yes'}", "key 'installable' in {file} must be bool, not str"),
    ("{'data': ['views/missing.xml']}",
     "data file 'views/missing.xml' listed in {file} does not exist"),
    ("{'depends': ['base'], 'auto_install': ['mail_core']}",
     "'auto_install' in {file} names addons missing from 'depends': ['mail_core']"),
])
def test_malformed_manifests_name_the_addon_and_the_file(tmp_path: Path, text: str,
                                                         message: str) -> None:
    path = make_addon(tmp_path, "broken", text)
    with pytest.raises(ManifestError) as info:
        read_manifest(path)
    assert str(info.value).startswith("Addon 'broken': ")
    assert message.format(file=path / "__manifest__.py") in str(info.value)
    assert str(path / "__manifest__.py") in str(info.value)


def test_a_malformed_manifest_blocks_only_what_needs_it(tmp_path: Path) -> None:
    manifests(tmp_path, good=["base"])
    make_addon(tmp_path, "broken", "{'nmae': 'X'}")
    make_addon(tmp_path, "needs_broken", "{'depends': ['broken']}")
    found = discover([str(tmp_path)])
    assert not found["broken"].installable
    assert graph.closure(["good"], found) == {"good", "base"}
    for name in ("broken", "needs_broken"):
        with pytest.raises(ManifestError, match=r"Addon 'broken': unknown key 'nmae' in .*broken"):
            graph.closure([name], found)


def test_missing_dependency_names_the_addon_and_the_file(tmp_path: Path) -> None:
    found = manifests(tmp_path, mail=["base", "ghost"])
    with pytest.raises(ManifestError) as info:
        graph.closure(["mail"], found)
    assert str(info.value) == (f"Addon 'mail' ({tmp_path / 'mail' / '__manifest__.py'}) depends "
                               "on 'ghost', which is not on the addons path")
    with pytest.raises(ManifestError, match="Addon 'nowhere' not found on the addons path"):
        graph.closure(["nowhere"], found)


def test_cycle_names_the_addon_the_file_and_the_chain(tmp_path: Path) -> None:
    found = manifests(tmp_path, a=["c"], b=["a"], c=["b"])
    names = graph.closure(["a"], found)
    with pytest.raises(ManifestError) as info:
        graph.order(names, found)
    message = str(info.value)
    assert "is in a dependency cycle" in message and "__manifest__.py" in message
    assert any(chain in message for chain in ("a -> c -> b -> a", "b -> a -> c -> b",
                                              "c -> b -> a -> c"))
    found = manifests(tmp_path / "self", me=["me"])
    with pytest.raises(ManifestError, match="cycle: me -> me"):
        graph.order(["me"], found)


def test_not_installable_is_refused(tmp_path: Path) -> None:
    manifests(tmp_path)
    make_addon(tmp_path, "off", "{'installable': False}")
    found = discover([str(tmp_path)])
    with pytest.raises(ManifestError, match=r"Addon 'off' \(.*__manifest__.py\) is not installable"):
        graph.closure(["off"], found)


def test_order_puts_dependencies_first_and_is_stable(tmp_path: Path) -> None:
    found = manifests(tmp_path, mail=["base"], alias=["mail"], tracking=["mail"],
                      mass=["alias", "tracking"], zeta=["base"])
    assert graph.order(graph.closure(["mass", "zeta"], found), found) == [
        "base", "mail", "zeta", "alias", "tracking", "mass"]
    assert graph.dependents({"alias"}, found, found) == {"alias", "mass"}


def test_auto_install(tmp_path: Path) -> None:
    manifests(tmp_path, mail=["base"], sms=["base"])
    make_addon(tmp_path, "glue", "{'depends': ['mail', 'sms'], 'auto_install': True}")
    make_addon(tmp_path, "bridge", "{'depends': ['mail', 'sms'], 'auto_install': ['mail']}")
    make_addon(tmp_path, "more", "{'depends': ['glue'], 'auto_install': True}")
    make_addon(tmp_path, "off", "{'depends': ['mail'], 'auto_install': True, "
                                "'installable': False}")
    found = discover([str(tmp_path)])
    assert graph.auto_installable({"base"}, found) == set()
    # a list triggers on the addons it names, and brings the other dependencies along
    assert graph.auto_installable({"base", "mail"}, found) == {"bridge", "sms", "glue", "more"}
    assert graph.auto_installable({"base", "sms"}, found) == set()


def test_import_addon_loads_from_the_manifest_directory(tmp_path: Path) -> None:
    first = make_addon(tmp_path / "one", "scratch_import", "{}",
                       {"__init__.py": "from . import models\n",
                        "models/__init__.py": "from . import thing\n",
                        "models/thing.py": "from postroom import models\n\n"
                                           "class Thing(models.Model):\n"
                                           "    _name = 'scratch.import.thing'\n"})
    second = make_addon(tmp_path / "two", "scratch_import", "{}")
    try:
        module = import_addon(read_manifest(first))
        assert module.__name__ == "postroom.addons.scratch_import"
        assert import_addon(read_manifest(first)) is module
        assert [cls._name for cls in MetaModel.module_to_models["scratch_import"]] == [
            "scratch.import.thing"]
        with pytest.raises(ManifestError, match="was already imported from .*one"):
            import_addon(read_manifest(second))
        forget_addon("scratch_import")
        assert "scratch_import" not in MetaModel.module_to_models
        assert import_addon(read_manifest(second)).__file__ == str(second / "__init__.py")
    finally:
        forget_addon("scratch_import")


def test_an_addon_without_package_or_with_broken_code(tmp_path: Path) -> None:
    path = make_addon(tmp_path, "scratch_nopkg", "{}")
    (path / "__init__.py").unlink()
    with pytest.raises(ManifestError, match=r"Addon 'scratch_nopkg': .*__init__.py is missing"):
        import_addon(read_manifest(path))
    path = make_addon(tmp_path, "scratch_broken", "{}",
                      {"__init__.py": "from . import models\n",
                       "models/__init__.py": "from . import good, bad\n",
                       "models/good.py": "from postroom import models\n\n"
                                         "class Good(models.Model):\n    _name = 'scratch.good'\n",
                       "models/bad.py": "raise RuntimeError('bad code')\n"})
    with pytest.raises(RuntimeError, match="bad code"):
        import_addon(read_manifest(path))
    # nothing half-imported stays behind
    assert "scratch_broken" not in MetaModel.module_to_models
    assert not [name for name in sys.modules if name.startswith("postroom.addons.scratch_")]
