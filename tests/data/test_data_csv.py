"""Loading CSV data files, and deleting what an upgrade no longer defines."""

from __future__ import annotations

import pytest

from postroom.data import DataError, delete_obsolete, load_file

MODULE = "data_test"


@pytest.fixture
def reflected(env):
    """``ir.model`` records with the xmlids the addon loader gives them (``model_<name>``)."""
    records = env["ir.model"].create([{"name": "Partner", "model": "data_test.partner"},
                                      {"name": "Tag", "model": "data_test.tag"}])
    env["ir.model.data"]._update_xmlids([
        {"xml_id": f"{MODULE}.model_{record.model.replace('.', '_')}", "record": record}
        for record in records])
    return records


ACCESS_CSV = """\
id,name,model_id:id,group_id:id,perm_read,perm_write,perm_create,perm_unlink
access_partner_user,partner user,model_data_test_partner,group_user,1,0,0,0
access_partner_manager,partner manager,data_test.model_data_test_partner,group_manager,1,1,True,False

access_tag_all,"tag, everyone",model_data_test_tag,,1,0,0,0
"""

GROUPS_XML = """
<odoo>
    <record id="group_user" model="res.groups"><field name="name">User</field></record>
    <record id="group_manager" model="res.groups"><field name="name">Manager</field></record>
</odoo>
"""


def test_access_csv(env, write, reflected):
    load_file(env, MODULE, write("security/groups.xml", GROUPS_XML))
    loaded = load_file(env, MODULE, write("security/ir.model.access.csv", ACCESS_CSV))
    assert loaded == {f"{MODULE}.{name}" for name in
                      ("access_partner_user", "access_partner_manager", "access_tag_all")}
    user = env.ref("data_test.access_partner_user")
    manager = env.ref("data_test.access_partner_manager")
    everyone = env.ref("data_test.access_tag_all")
    assert user.model_id.model == "data_test.partner"
    assert user.group_id == env.ref("data_test.group_user")
    assert (user.perm_read, user.perm_write, user.perm_create, user.perm_unlink) == \
        (True, False, False, False)
    assert (manager.perm_write, manager.perm_create, manager.perm_unlink) == (True, True, False)
    assert manager.group_id == env.ref("data_test.group_manager")
    assert everyone.name == "tag, everyone" and not everyone.group_id
    assert everyone.model_id.model == "data_test.tag"


def test_csv_many2many_ids_and_update(env, write):
    load_file(env, MODULE, write("tags.xml", """
<odoo>
    <record id="tag_a" model="data_test.tag"><field name="name">A</field></record>
    <record id="tag_b" model="data_test.tag"><field name="name">B</field></record>
</odoo>
"""))
    path = write("data/data_test.partner-demo.csv",
                 "id,name,color,rate,tag_ids/id,parent_id:id\n"
                 "p1,First,3,1.5,\"tag_a,data_test.tag_b\",\n"
                 "p2,Second,,,,p1\n")
    load_file(env, MODULE, path)
    first, second = env.ref("data_test.p1"), env.ref("data_test.p2")
    assert (first.color, first.rate) == (3, 1.5)
    assert first.tag_ids == env.ref("data_test.tag_a") | env.ref("data_test.tag_b")
    assert second.parent_id == first and second.color == 0 and not second.tag_ids
    path.write_text("id,name,tag_ids:id\np1,First again,tag_a\n")
    load_file(env, MODULE, path, "update")
    assert first.name == "First again" and first.tag_ids == env.ref("data_test.tag_a")


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("", 1, "the file is empty"),
    ("id,name,bogus\n", 1, "column 'bogus': model 'data_test.tag' has no field 'bogus'"),
    ("id,name:id\n", 1, "'name' is not a relation"),
    ("id,name\nt1,One\nt2\n", 3, "1 cells, but the header names 2 columns"),
])
def test_csv_errors(env, write, text, line, expected):
    path = write("data_test.tag.csv", text)
    with pytest.raises(DataError) as info:
        load_file(env, MODULE, path)
    assert info.value.line == line
    assert expected in str(info.value)


def test_csv_error_names_record_and_missing_xmlid(env, write, reflected):
    path = write("ir.model.access.csv", "id,name,model_id:id,perm_read\n"
                                        "a1,ok,model_data_test_tag,1\n"
                                        "a2,bad,model_missing,1\n")
    with pytest.raises(DataError) as info:
        load_file(env, MODULE, path)
    assert str(info.value).startswith(f"{path}:3: record a2: external id "
                                      "'data_test.model_missing' not found")
    path.write_text("id,name,model_id:id,perm_read\na1,ok,model_data_test_tag,perhaps\n")
    with pytest.raises(DataError, match=r":2: record a1: invalid boolean 'perhaps'"):
        load_file(env, MODULE, path)


def test_csv_unknown_model(env, write):
    with pytest.raises(DataError, match="unknown model 'no.such'"):
        load_file(env, MODULE, write("no.such.csv", "id,name\n"))


# ----------------------------------------------------------------------
# delete_obsolete
# ----------------------------------------------------------------------
V1 = """
<odoo>
    <record id="kept" model="data_test.tag"><field name="name">Kept</field></record>
    <record id="dropped" model="data_test.tag"><field name="name">Dropped</field></record>
    <record id="parent" model="data_test.partner"><field name="name">Parent</field></record>
    <data noupdate="1">
        <record id="demo" model="data_test.tag"><field name="name">Demo</field></record>
    </data>
</odoo>
"""
V2 = """
<odoo>
    <record id="kept" model="data_test.tag"><field name="name">Kept</field></record>
</odoo>
"""


def test_delete_obsolete(env, write, reflected):
    path = write("data.xml", V1)
    load_file(env, MODULE, path)
    dropped, parent = env.ref("data_test.dropped"), env.ref("data_test.parent")
    # a user's record still needs the parent: it cannot go, and stays with its xmlid
    env["data_test.partner"].create({"name": "Child", "parent_id": parent.id})
    path.write_text(V2)
    loaded = load_file(env, MODULE, path, "update")
    assert loaded == {"data_test.kept"}
    removed = delete_obsolete(env, MODULE, loaded)
    assert removed == ["data_test.dropped"]
    assert not dropped.exists()
    assert env.ref("data_test.parent") == parent
    assert env.ref("data_test.demo").name == "Demo", "noupdate records are kept"
    assert env.ref("data_test.kept")
    assert env.ref("data_test.model_data_test_tag") == reflected[1], "ir.model is the loader's"


def test_delete_obsolete_drops_xmlids_of_vanished_records(env, write):
    path = write("data.xml", V1)
    load_file(env, MODULE, path)
    env.cr.execute("DELETE FROM data_test_tag WHERE name = 'Dropped'")
    assert delete_obsolete(env, MODULE, {"data_test.kept", "data_test.parent"}) == \
        ["data_test.dropped"]
    assert env.ref("data_test.dropped", raise_if_not_found=False) is None
