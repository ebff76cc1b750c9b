"""Upgrading an addon whose code and data changed (v1 -> v2) in the same process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from postroom.modules.manifest import ManifestError

if TYPE_CHECKING:
    from tests.modules.conftest import AddonsDB

TEST_ADDONS = Path(__file__).resolve().parents[1] / "addons"

ITEM_V2 = '''
from postroom import fields, models


class LifecycleItem(models.Model):
    _name = "test.lifecycle.item"
    _description = "Lifecycle Item"

    name = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", ondelete="set null")
    priority = fields.Integer(default=5)
    tag_ids = fields.Many2many("test.lifecycle.tag")


class LifecycleTag(models.Model):
    _name = "test.lifecycle.tag"
    _description = "Lifecycle Tag"

    name = fields.Char(required=True)
'''

DATA_V2 = '''<?xml version="1.0" encoding="utf-8"?>
<odoo>
    <record id="item_normal" model="test.lifecycle.item">
        <field name="name">Normal v2</field>
    </record>
    <record id="tag_new" model="test.lifecycle.tag">
        <field name="name">New in v2</field>
    </record>
    <record id="item_new" model="test.lifecycle.item">
        <field name="name">New v2</field>
        <field name="tag_ids" eval="[(6, 0, [ref('tag_new')])]"/>
    </record>
    <data noupdate="1">
        <record id="item_sticky" model="test.lifecycle.item">
            <field name="name">Sticky v2</field>
        </record>
    </data>
</odoo>
'''

ACCESS_V2 = """id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
access_lifecycle_item_user,test.lifecycle.item user,model_test_lifecycle_item,base.group_user,1,1,1,1
access_lifecycle_tag_user,test.lifecycle.tag user,model_test_lifecycle_tag,base.group_user,1,1,1,1
"""


@pytest.fixture
def v1(addons_db: AddonsDB) -> AddonsDB:
    """test_lifecycle v1 installed from a scratch copy, with rows of the user's."""
    addons_db.scratch.copy(TEST_ADDONS / "test_lifecycle")
    addons_db.install("test_lifecycle")
    with addons_db.env() as env:
        env["test.lifecycle.item"].create({"name": "user item", "code": "U1"})
        env.ref("test_lifecycle.item_normal").write({"name": "Normal edited"})
        env.ref("test_lifecycle.item_sticky").write({"name": "Sticky edited"})
    return addons_db


def write_v2(db: AddonsDB) -> None:
    scratch = db.scratch
    scratch.write("test_lifecycle/models/lifecycle_item.py", ITEM_V2)
    scratch.write("test_lifecycle/data/lifecycle_data.xml", DATA_V2)
    scratch.replace("test_lifecycle/__manifest__.py", '"version": "1.0"', '"version": "2.0"')
    scratch.write("test_lifecycle/security/ir.model.access.csv", ACCESS_V2)
    scratch.replace("test_lifecycle/views/lifecycle_views.xml",
                    '<field name="code"/>', '<field name="priority"/>')
    scratch.forget("test_lifecycle")


def test_upgrade_adds_fields_and_tables_and_keeps_rows(v1: AddonsDB) -> None:
    write_v2(v1)
    registry = v1.upgrade("test_lifecycle")
    assert {"priority"} <= v1.columns("test_lifecycle_item")
    assert "test_lifecycle_tag" in v1.tables("test_lifecycle%")
    assert "priority" in registry["test.lifecycle.item"]._fields
    with v1.env() as env:
        user_item = env["test.lifecycle.item"].search([("name", "=", "user item")])
        assert user_item.priority == 5  # the new column's default fills old rows
        assert env["ir.model"]._get("test.lifecycle.tag")
        module = env["ir.module.module"]._get("test_lifecycle")
        assert (module.state, module.latest_version) == ("installed", "2.0")
        # the form view was reloaded with the new field
        assert "priority" in env.ref("test_lifecycle.view_item_form").arch


def test_upgrade_keeps_the_column_of_a_removed_field(v1: AddonsDB) -> None:
    write_v2(v1)  # v2 no longer defines `code`
    registry = v1.upgrade("test_lifecycle")
    assert "code" not in registry["test.lifecycle.item"]._fields
    assert "code" in v1.columns("test_lifecycle_item")  # data is never dropped silently
    assert v1.query("SELECT code FROM test_lifecycle_item WHERE name = 'user item'") == [("U1",)]
    assert "field_test_lifecycle_item__code" not in v1.xmlids("test_lifecycle")
    with v1.env() as env:
        assert not env["ir.model.fields"].search([("model", "=", "test.lifecycle.item"),
                                                  ("name", "=", "code")])


def test_upgrade_reloads_data_except_noupdate_and_deletes_obsolete(v1: AddonsDB) -> None:
    write_v2(v1)
    v1.upgrade("test_lifecycle")
    with v1.env() as env:
        assert env.ref("test_lifecycle.item_normal").name == "Normal v2"  # reset to the file
        assert env.ref("test_lifecycle.item_sticky").name == "Sticky edited"  # noupdate: kept
        assert env.ref("test_lifecycle.item_new").tag_ids.name == "New in v2"
        assert env.ref("test_lifecycle.item_obsolete", raise_if_not_found=False) is None
        names = env["test.lifecycle.item"].search([]).mapped("name")
        assert "Obsolete" not in names and "user item" in names
    assert "access_lifecycle_tag_user" in v1.xmlids("test_lifecycle")


def test_upgrade_without_changes_changes_nothing(v1: AddonsDB) -> None:
    before = v1.query("SELECT id, name FROM test_lifecycle_item ORDER BY id")
    v1.upgrade("test_lifecycle")
    after = v1.query("SELECT id, name FROM test_lifecycle_item ORDER BY id")
    assert [row for row in after if row[1] != "Normal v1"] == \
        [row for row in before if row[1] != "Normal edited"]
    assert v1.steps[-1] == "[2/2] upgrading test_lifecycle_auto"  # the addons above it too


def test_upgrade_installs_a_dependency_the_new_version_adds(v1: AddonsDB) -> None:
    v1.scratch.write("test_lifecycle_extra/__manifest__.py",
                     "{'name': 'Extra', 'depends': ['base']}\n")
    v1.scratch.write("test_lifecycle_extra/__init__.py", "")
    v1.scratch.replace("test_lifecycle/__manifest__.py", '"depends": ["base"]',
                       '"depends": ["base", "test_lifecycle_extra"]')
    v1.upgrade("test_lifecycle")
    assert v1.states("test_lifecycle_extra", "test_lifecycle") == {
        "test_lifecycle_extra": "installed", "test_lifecycle": "installed"}


def test_upgrade_refuses_addons_not_installed(v1: AddonsDB) -> None:
    with pytest.raises(ManifestError, match=r"Cannot upgrade \['test_inherit_a'\]: not installed"):
        v1.upgrade("test_inherit_a")
