"""Installing and uninstalling addons: schema, data, hooks, auto-install, ir.module.module."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from postroom.data import DataError
from postroom.modules.manifest import ManifestError

if TYPE_CHECKING:
    from tests.modules.conftest import AddonsDB

TEST_ADDONS = Path(__file__).resolve().parents[1] / "addons"

LIFECYCLE = ("test_lifecycle", "test_lifecycle_auto")


def test_install_creates_schema_data_and_records_state(addons_db: AddonsDB) -> None:
    assert addons_db.states(*LIFECYCLE) == dict.fromkeys(LIFECYCLE, "uninstalled")
    registry = addons_db.install("test_lifecycle")
    assert "test.lifecycle.item" in registry
    assert {"test_lifecycle_item", "test_lifecycle_partner_item_rel"} <= addons_db.tables("test_%")
    assert {"lifecycle_code"} <= addons_db.columns("res_partner")
    assert "res_partner_lifecycle_color_check" in addons_db.constraints("res_partner")
    with addons_db.env() as env:
        assert sorted(env["test.lifecycle.item"].search([]).mapped("name")) == [
            "Normal v1", "Obsolete", "Sticky v1"]  # no demo data unless asked
        assert env.ref("test_lifecycle.menu_lifecycle_items").parent_id == \
            env.ref("test_lifecycle.menu_lifecycle_root")
        assert env.ref("test_lifecycle.view_item_form").model == "test.lifecycle.item"
        model = env["ir.model"]._get("test.lifecycle.item")
        assert model.modules == "test_lifecycle, test_lifecycle_auto"
        assert set(model.field_id.mapped("name")) >= {"name", "code", "partner_id", "auto_flag"}
        module = env["ir.module.module"]._get("test_lifecycle")
        assert (module.state, module.latest_version, module.demo) == ("installed", "1.0", False)


def test_auto_install_follows_its_dependencies(addons_db: AddonsDB) -> None:
    addons_db.install("test_lifecycle")
    assert addons_db.states(*LIFECYCLE) == dict.fromkeys(LIFECYCLE, "installed")
    assert addons_db.steps == ["[1/2] installing test_lifecycle",
                               "[2/2] installing test_lifecycle_auto"]
    with addons_db.env() as env:
        assert env["test.lifecycle.item"].create({"name": "x"}).auto_flag is True


def test_demo_data_loads_only_when_asked(addons_db: AddonsDB) -> None:
    addons_db.install("test_lifecycle", demo=True)
    with addons_db.env() as env:
        assert env.ref("test_lifecycle.item_demo").name == "Demo item"
        assert env["ir.module.module"]._get("test_lifecycle").demo is True


def test_hooks_run_around_install_and_before_uninstall(addons_db: AddonsDB) -> None:
    addons_db.install("test_lifecycle")
    assert addons_db.param("test_lifecycle.pre_init") == "table exists: False"
    assert addons_db.param("test_lifecycle.post_init") == "items: 3"  # after the data files
    assert addons_db.param("test_lifecycle.uninstall") is None
    with addons_db.env() as env:
        env["test.lifecycle.item"].create({"name": "mine"})
    addons_db.uninstall("test_lifecycle")
    assert addons_db.param("test_lifecycle.uninstall") == "items: 4"  # before anything went


def test_uninstall_removes_everything_the_addon_added(addons_db: AddonsDB) -> None:
    addons_db.install("test_lifecycle")
    with addons_db.env() as env:
        item = env["test.lifecycle.item"].create({"name": "user item"})
        partner = env["res.partner"].create({"name": "Kept", "lifecycle_code": "K",
                                             "lifecycle_item_ids": [(4, item.id)]})
        partner_id = partner.id
        counts = {model: env[model].search_count([])
                  for model in ("ir.ui.menu", "ir.ui.view", "ir.actions.act_window",
                                "ir.model.access", "ir.model", "ir.model.fields")}
    registry = addons_db.uninstall("test_lifecycle")
    assert addons_db.states(*LIFECYCLE) == dict.fromkeys(LIFECYCLE, "uninstalled")
    assert addons_db.steps[-2:] == ["[1/2] uninstalling test_lifecycle_auto",
                                    "[2/2] uninstalling test_lifecycle"]
    # tables, columns on base's table, relation table, constraint on base's table
    assert addons_db.tables("test_lifecycle%") == set()
    assert not {"lifecycle_code", "lifecycle_item_ids"} & addons_db.columns("res_partner")
    assert "res_partner_lifecycle_color_check" not in addons_db.constraints("res_partner")
    # records, menus, views, actions, access rights, reflection, external ids
    assert addons_db.xmlids("test_lifecycle") == set()
    assert addons_db.xmlids("test_lifecycle_auto") == set()
    with addons_db.env() as env:
        after = {model: env[model].search_count([]) for model in counts}
        assert after["ir.ui.menu"] == counts["ir.ui.menu"] - 2
        assert after["ir.ui.view"] == counts["ir.ui.view"] - 1
        assert after["ir.actions.act_window"] == counts["ir.actions.act_window"] - 1
        assert after["ir.model.access"] == counts["ir.model.access"] - 1
        assert after["ir.model"] == counts["ir.model"] - 1
        assert not env["ir.model.fields"].search([("name", "like", "lifecycle")])
        assert not env["ir.model.fields"].search([("name", "=", "auto_flag")])
        # the composed classes no longer have the fields; other data survives
        assert "test.lifecycle.item" not in registry
        assert "lifecycle_code" not in registry["res.partner"]._fields
        assert env["res.partner"].browse(partner_id).name == "Kept"


def test_reinstall_after_uninstall(addons_db: AddonsDB) -> None:
    addons_db.install("test_lifecycle")
    addons_db.uninstall("test_lifecycle")
    addons_db.install("test_lifecycle")
    assert addons_db.states(*LIFECYCLE) == dict.fromkeys(LIFECYCLE, "installed")
    with addons_db.env() as env:
        assert env["test.lifecycle.item"].search_count([]) == 3


def test_uninstall_refuses_base_and_addons_not_installed(addons_db: AddonsDB) -> None:
    with pytest.raises(ManifestError, match="base addon cannot be uninstalled"):
        addons_db.uninstall("base")
    with pytest.raises(ManifestError, match=r"Cannot uninstall \['test_lifecycle'\]: not installed"):
        addons_db.uninstall("test_lifecycle")


def test_failed_install_rolls_back_that_addon_only(addons_db: AddonsDB) -> None:
    addons_db.scratch.copy(TEST_ADDONS / "test_lifecycle")
    addons_db.scratch.replace("test_lifecycle/data/lifecycle_data.xml",
                              '<field name="code">N1</field>', '<field name="code" ref="nope"/>')
    with pytest.raises(DataError) as info:
        addons_db.install("test_lifecycle")
    assert "lifecycle_data.xml:5: record item_normal" in str(info.value)
    assert addons_db.states("test_lifecycle", "base") == {"test_lifecycle": "uninstalled",
                                                          "base": "installed"}
    assert addons_db.tables("test_lifecycle%") == set()
    assert "lifecycle_code" not in addons_db.columns("res_partner")
    assert addons_db.param("test_lifecycle.pre_init") is None  # the hook's work is undone too
    # the process' registry matches the database again
    with addons_db.env() as env:
        assert "test.lifecycle.item" not in env


def test_missing_hook_is_named(addons_db: AddonsDB) -> None:
    addons_db.scratch.copy(TEST_ADDONS / "test_lifecycle")
    addons_db.scratch.replace("test_lifecycle/__manifest__.py", '"post_init"', '"post_init_typo"')
    with pytest.raises(ManifestError, match=r"Addon 'test_lifecycle': post_init_hook 'post_init_typo' "
                                        r"in .*__manifest__.py is not a function"):
        addons_db.install("test_lifecycle")
    assert addons_db.states("test_lifecycle") == {"test_lifecycle": "uninstalled"}


def test_addons_that_cannot_be_installed_are_listed_as_such(addons_db: AddonsDB) -> None:
    addons_db.scratch.write("scratch_off/__manifest__.py", "{'installable': False}")
    addons_db.scratch.write("scratch_off/__init__.py", "")
    addons_db.scratch.write("scratch_typo/__manifest__.py", "{'nmae': 'Typo'}")
    addons_db.scratch.write("scratch_typo/__init__.py", "")
    addons_db.install("test_inherit_a")  # a broken addon elsewhere on the path does not block
    assert addons_db.states("scratch_off", "scratch_typo", "test_inherit_a") == {
        "scratch_off": "uninstallable", "scratch_typo": "uninstallable",
        "test_inherit_a": "installed"}
    with pytest.raises(ManifestError, match=r"Addon 'scratch_off' \(.*\) is not installable"):
        addons_db.install("scratch_off")
    with pytest.raises(ManifestError, match=r"Addon 'scratch_typo': unknown key 'nmae' in .*"
                                            r"scratch_typo/__manifest__.py"):
        addons_db.install("scratch_typo")
