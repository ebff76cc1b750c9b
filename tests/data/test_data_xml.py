"""Loading XML data files: value forms, menus, templates, functions, deletions, upgrades."""

from __future__ import annotations

import base64
import datetime

import pytest

from postroom.data import DataError, load_file

MODULE = "data_test"


def _load(env, path, mode="init", **kwargs):
    return load_file(env, MODULE, path, mode, **kwargs)


def test_record_with_every_value_form(env, write, addon_dir):
    (addon_dir / "static").mkdir()
    (addon_dir / "static" / "logo.png").write_bytes(b"\x89PNG fake")
    path = write("data/partners.xml", """
<odoo>
    <record id="tag_a" model="data_test.tag"><field name="name">A</field></record>
    <record id="tag_b" model="data_test.tag"><field name="name">B</field></record>
    <record id="parent" model="data_test.partner">
        <field name="name">Parent Co</field>
        <field name="is_company">True</field>
    </record>
    <record id="view_demo" model="ir.ui.view">
        <field name="name">demo form</field>
        <field name="arch" type="xml">
            <form string="Demo"><button name="%(data_test.parent)d" type="action"/></form>
        </field>
    </record>
    <record id="partner" model="data_test.partner">
        <field name="name">  Demo Partner</field>
        <field name="note">line one
line two</field>
        <field name="color">7</field>
        <field name="rate" type="float">2.5</field>
        <field name="is_company">0</field>
        <field name="since" eval="(DateTime.today() + relativedelta(days=3)).strftime('%Y-%m-%d')"/>
        <field name="parent_id" ref="parent"/>
        <field name="tag_ids" eval="[(6, 0, [ref('tag_a'), ref('data_test.tag_b')])]"/>
        <field name="arch" type="xml"><div class="x">Hi <b>there</b></div>tail</field>
        <field name="body" type="html">Intro &amp; <p>One<br/>Two</p></field>
        <field name="image" type="base64" file="static/logo.png"/>
    </record>
    <record id="partner_int" model="data_test.partner">
        <field name="name" type="char">42</field>
        <field name="color" type="int">3</field>
        <field name="child_ids" eval="[(0, 0, {'name': 'Child'})]"/>
        <field name="note" eval="time.strftime('%Y')"/>
    </record>
</odoo>
""")
    loaded = _load(env, path)
    assert loaded == {f"{MODULE}.{name}" for name in
                      ("tag_a", "tag_b", "parent", "view_demo", "partner", "partner_int")}
    partner = env.ref("data_test.partner")
    parent = env.ref("data_test.parent")
    assert partner.name == "  Demo Partner"
    assert partner.note == "line one\nline two"
    assert partner.color == 7
    assert partner.rate == 2.5
    assert partner.is_company is False and parent.is_company is True
    assert partner.since == datetime.date.today() + datetime.timedelta(days=3)
    assert partner.parent_id == parent
    assert partner.tag_ids == env.ref("data_test.tag_a") | env.ref("data_test.tag_b")
    assert partner.arch == '<div class="x">Hi <b>there</b></div>tail'
    assert partner.body == "Intro &amp; <p>One<br>Two</p>"
    assert base64.b64decode(partner.image) == b"\x89PNG fake"
    view = env.ref("data_test.view_demo")
    assert view.arch == (f'<form string="Demo"><button name="{parent.id}" type="action"/>'
                         "</form>")
    other = env.ref("data_test.partner_int")
    assert (other.name, other.color) == ("42", 3)
    assert other.child_ids.mapped("name") == ["Child"]
    assert other.note == str(datetime.date.today().year)


def test_ref_to_another_module(env, write):
    other = write("other.xml", """
<odoo>
    <record id="shared_tag" model="data_test.tag"><field name="name">Shared</field></record>
</odoo>
""")
    load_file(env, "data_other", other)
    mine = write("mine.xml", """
<odoo>
    <record id="partner" model="data_test.partner">
        <field name="name">Mine</field>
        <field name="tag_ids" eval="[(6, 0, [ref('data_other.shared_tag')])]"/>
    </record>
    <record id="data_other.shared_tag" model="data_test.tag">
        <field name="name">Shared, renamed by data_test</field>
    </record>
</odoo>
""")
    loaded = _load(env, mine)
    tag = env.ref("data_other.shared_tag")
    assert env.ref("data_test.partner").tag_ids == tag
    assert tag.name == "Shared, renamed by data_test"
    assert loaded == {"data_test.partner", "data_other.shared_tag"}


def test_field_search_and_context(env, write):
    path = write("search.xml", """
<odoo>
    <record id="tag_s" model="data_test.tag"><field name="name">Searched</field></record>
    <record id="partner" model="data_test.partner" context="{'default_color': 9}">
        <field name="name">P</field>
        <field name="tag_ids" search="[('name', '=', 'Searched')]"/>
        <field name="parent_id" model="data_test.partner" search="[('name', '=', 'nobody')]"/>
    </record>
</odoo>
""")
    _load(env, path)
    partner = env.ref("data_test.partner")
    assert partner.tag_ids == env.ref("data_test.tag_s")
    assert not partner.parent_id
    assert partner.color == 9


def test_menuitems(env, write):
    path = write("menus.xml", """
<odoo>
    <record id="group_user" model="res.groups"><field name="name">User</field></record>
    <record id="group_manager" model="res.groups"><field name="name">Manager</field></record>
    <record id="action_partners" model="ir.actions.act_window">
        <field name="name">Partners</field>
        <field name="res_model">data_test.partner</field>
    </record>
    <menuitem id="menu_root" name="Data" sequence="5" web_icon="data_test,static/icon.png"
              groups="group_user,data_test.group_manager">
        <menuitem id="menu_nested" name="Nested"/>
    </menuitem>
    <menuitem id="menu_partners" parent="menu_root" action="action_partners" sequence="20"/>
    <menuitem id="menu_bare"/>
</odoo>
""")
    _load(env, path)
    root, partners = env.ref("data_test.menu_root"), env.ref("data_test.menu_partners")
    action = env.ref("data_test.action_partners")
    user, manager = env.ref("data_test.group_user"), env.ref("data_test.group_manager")
    assert (root.name, root.sequence, root.web_icon) == ("Data", 5, "data_test,static/icon.png")
    assert root.groups_id == user | manager
    assert env.ref("data_test.menu_nested").parent_id == root
    assert partners.parent_id == root
    assert partners.name == "Partners"
    assert partners.action == f"ir.actions.act_window,{action.id}"
    assert env.ref("data_test.menu_bare").name == "menu_bare"

    change = write("menus_change.xml", """
<odoo>
    <menuitem id="menu_root" groups="-group_user"/>
    <menuitem id="menu_partners" groups="group_user"/>
</odoo>
""")
    _load(env, change)
    assert root.groups_id == manager
    assert root.name == "Data", "a menu keeps its name when the element gives none"
    assert partners.groups_id == user


def test_templates(env, write):
    path = write("templates.xml", """
<odoo>
    <template id="layout" name="Layout">
        <div class="page"><t t-out="0"/></div>
    </template>
    <template id="layout_footer" inherit_id="layout" priority="20">
        <xpath expr="//div" position="after"><footer/></xpath>
    </template>
</odoo>
""")
    _load(env, path)
    layout, footer = env.ref("data_test.layout"), env.ref("data_test.layout_footer")
    assert (layout.type, layout.key, layout.name) == ("qweb", "data_test.layout", "Layout")
    assert layout.arch.split() == ['<t', 't-name="data_test.layout">', '<div',
                                   'class="page"><t', 't-out="0"/></div>', '</t>']
    assert not layout.inherit_id and layout.priority == 16
    assert footer.inherit_id == layout and footer.priority == 20
    assert footer.name == "layout_footer" and footer.key == "data_test.layout_footer"
    assert footer.arch.startswith("<data>") and "<footer/>" in footer.arch
    assert "t-name" not in footer.arch


def test_functions(env, write):
    path = write("functions.xml", """
<odoo>
    <record id="partner" model="data_test.partner"><field name="name">P</field></record>
    <function model="data_test.partner" name="_data_test_create_tag" eval="['from eval']"/>
    <function model="data_test.partner" name="_data_test_create_tag">
        <value>from value</value>
    </function>
    <function model="data_test.partner" name="set_color">
        <value eval="[ref('partner')]"/>
        <value eval="4"/>
    </function>
    <data noupdate="1">
        <function model="data_test.partner" name="_data_test_create_tag" eval="['once']"/>
    </data>
</odoo>
""")
    _load(env, path)
    tags = env["data_test.tag"].search([])
    assert sorted(tags.mapped("name")) == ["from eval", "from value", "once"]
    assert env.ref("data_test.partner").color == 4
    _load(env, path, mode="update")
    names = env["data_test.tag"].search([]).mapped("name")
    assert sorted(names) == ["from eval", "from eval", "from value", "from value", "once"]


def test_delete(env, write):
    path = write("create.xml", """
<odoo>
    <record id="tag_x" model="data_test.tag"><field name="name">X</field></record>
    <record id="tag_y" model="data_test.tag"><field name="name">Y</field></record>
    <record id="tag_z" model="data_test.tag"><field name="name">Z</field></record>
</odoo>
""")
    _load(env, path)
    tag_z = env.ref("data_test.tag_z")
    delete = write("delete.xml", """
<odoo>
    <delete model="data_test.tag" id="tag_x"/>
    <delete model="data_test.tag" search="[('name', 'in', ['Y'])]"/>
    <delete model="data_test.tag" id="never_existed"/>
</odoo>
""")
    _load(env, delete)
    assert env["data_test.tag"].search([]) == tag_z
    assert env.ref("data_test.tag_x", raise_if_not_found=False) is None
    assert env.ref("data_test.tag_y", raise_if_not_found=False) is None


NOUPDATE_XML = """
<odoo>
    <record id="normal" model="data_test.partner"><field name="name">Normal</field></record>
    <data noupdate="1">
        <record id="kept" model="data_test.partner"><field name="name">Kept</field></record>
        <record id="recreated" model="data_test.partner">
            <field name="name">Recreated</field>
        </record>
        <record id="not_forced" model="data_test.partner" forcecreate="0">
            <field name="name">Not forced</field>
        </record>
    </data>
</odoo>
"""


def test_noupdate_on_update(env, write):
    path = write("noupdate.xml", NOUPDATE_XML)
    _load(env, path)
    normal, kept = env.ref("data_test.normal"), env.ref("data_test.kept")
    normal.name = kept.name = "Changed by the administrator"
    env.ref("data_test.recreated").unlink()
    env.ref("data_test.not_forced").unlink()
    loaded = _load(env, path, mode="update")
    assert loaded == {f"{MODULE}.{name}" for name in
                      ("normal", "kept", "recreated", "not_forced")}
    assert normal.name == "Normal"
    assert kept.name == "Changed by the administrator"
    assert env.ref("data_test.recreated").name == "Recreated"
    assert env.ref("data_test.not_forced", raise_if_not_found=False) is None
    assert env["ir.model.data"]._xmlid_lookup("data_test.kept")[3] is True


def test_noupdate_flag_set_by_the_administrator_is_honoured(env, write):
    path = write("flag.xml", """
<odoo>
    <record id="partner" model="data_test.partner"><field name="name">From file</field></record>
</odoo>
""")
    _load(env, path)
    partner = env.ref("data_test.partner")
    partner.name = "Mine"
    env["ir.model.data"].search([("name", "=", "partner")]).noupdate = True
    _load(env, path, mode="update")
    assert partner.name == "Mine"
    _load(env, path, mode="init")
    assert partner.name == "From file"


def test_noupdate_for_the_whole_file(env, write):
    path = write("demo.xml", """
<odoo>
    <record id="demo" model="data_test.partner"><field name="name">Demo</field></record>
    <data noupdate="0">
        <record id="demo_updated" model="data_test.partner"><field name="name">D</field></record>
    </data>
</odoo>
""")
    _load(env, path, noupdate=True)
    env.ref("data_test.demo").name = env.ref("data_test.demo_updated").name = "Edited"
    _load(env, path, mode="update", noupdate=True)
    assert env.ref("data_test.demo").name == "Edited"
    assert env.ref("data_test.demo_updated").name == "D"


# ----------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------
def _error(env, write, body: str, **kwargs) -> DataError:
    path = write("broken.xml", body)
    with pytest.raises(DataError) as info:
        _load(env, path, **kwargs)
    assert str(info.value).startswith(f"{path}:")
    return info.value


def test_error_bad_eval(env, write):
    error = _error(env, write, """
<odoo>
    <record id="evil" model="data_test.partner">
        <field name="name">Evil</field>
        <field name="note" eval="__import__('os').system('true')"/>
    </record>
</odoo>
""")
    assert error.line == 4 and error.subject == "record evil"
    assert "__import__" in str(error)
    assert str(error).startswith(f"{error.path}:4: record evil: ")


def test_error_unknown_xmlid(env, write):
    error = _error(env, write, """
<odoo>
    <record id="orphan" model="data_test.partner">
        <field name="name">Orphan</field>
        <field name="parent_id" ref="data_test.missing_parent"/>
    </record>
</odoo>
""")
    assert error.line == 4
    assert "record orphan" in str(error) and "'data_test.missing_parent' not found" in str(error)

    error = _error(env, write, """
<odoo>
    <record id="orphan" model="data_test.partner">
        <field name="name">Orphan</field>
        <field name="tag_ids" eval="[(6, 0, [ref('nowhere')])]"/>
    </record>
</odoo>
""")
    assert error.line == 4 and "'data_test.nowhere' not found" in str(error)


def test_error_unknown_field_and_model(env, write):
    error = _error(env, write, """
<odoo>
    <record id="p" model="data_test.partner">
        <field name="name">P</field>
        <field name="no_such_field">x</field>
    </record>
</odoo>
""")
    assert f"{error.path}:4: record p: model 'data_test.partner' has no field 'no_such_field'" \
        == str(error)
    error = _error(env, write, '<odoo>\n<record id="p" model="no.such.model"/>\n</odoo>')
    assert error.line == 2 and "unknown model 'no.such.model'" in str(error)


def test_error_malformed_xml(env, write):
    error = _error(env, write, """
<odoo>
    <record id="p" model="data_test.partner">
        <field name="name">P</field>
    </recrod>
</odoo>
""")
    assert error.line == 4 and "malformed XML" in str(error)


PARTNER = "<record id='p' model='data_test.partner'>"


@pytest.mark.parametrize(("lines", "line", "expected"), [
    (["<data/>"], 1, "root element must be <odoo>"),
    (["<odoo>", "<act_window id='x'/>", "</odoo>"], 2, "unknown element <act_window>"),
    (["<odoo>", PARTNER, "<field name='color'>lots</field>", "</record>", "</odoo>"], 3,
     "invalid int 'lots'"),
    (["<odoo>", PARTNER, "<field name='is_company'>maybe</field>", "</record>", "</odoo>"], 3,
     "invalid boolean"),
    (["<odoo>", PARTNER, "<field name='parent_id'>Parent</field>", "</record>", "</odoo>"], 3,
     "is a relation"),
    (["<odoo>", PARTNER, "<field name='note' type='blob'>x</field>", "</record>", "</odoo>"], 3,
     "unknown type 'blob'"),
    (["<odoo>", PARTNER, "</record>", "</odoo>"], 2,
     "cannot create the data_test.partner record: The field 'Name' is required"),
    (["<odoo>", "<record id='a.b.c' model='data_test.partner'/>", "</odoo>"], 2,
     "invalid external id"),
    (["<odoo>", "<function model='data_test.partner' name='nope'/>", "</odoo>"], 2,
     "has no method 'nope'"),
    (["<odoo>", PARTNER + "<field name='name'>P</field></record>",
      "<function model='data_test.partner' name='action_fail' eval='[[ref(\"p\")]]'/>",
      "</odoo>"], 3,
     "function data_test.partner.action_fail: the call failed: this method always fails"),
    (["<odoo>", PARTNER, "<field name='image' type='base64' file='../../etc/passwd'/>",
      "</record>", "</odoo>"], 3, "outside the addon"),
    (["<odoo>", "<delete model='data_test.tag'/>", "</odoo>"], 2, "id= or search="),
])
def test_errors_name_file_and_line(env, write, lines, line, expected):
    error = _error(env, write, "\n".join(lines))
    assert error.line == line
    assert expected in str(error)


def test_unsupported_extension(env, write):
    with pytest.raises(DataError, match="unsupported data file"):
        load_file(env, MODULE, write("notes.txt", "hello"))
