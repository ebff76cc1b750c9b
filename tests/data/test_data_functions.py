"""``<function>`` in XML data files: positional and keyword arguments, and their mistakes."""

from __future__ import annotations

import pytest

from postroom.data import DataError, load_file

MODULE = "data_test"
PARTNER = '<record id="p" model="data_test.partner"><field name="name">P</field></record>'


def _load(env, path, mode="init"):
    return load_file(env, MODULE, path, mode)


def _calls(env):
    """What ``_data_test_record_call`` was called with, in order."""
    return [tag.name for tag in env["data_test.tag"].search([], order="id")]


def test_keyword_arguments_from_named_values(env, write):
    path = write("kwargs.xml", f"""
<odoo>
    {PARTNER}
    <function model="data_test.partner" name="_data_test_create_tag" eval="['big']">
        <value name="suffix"> top</value>
    </function>
    <function model="data_test.partner" name="set_color" eval="[[ref('p')], 5]">
        <value name="note" eval="'from ' + 'kwargs'"/>
    </function>
    <function model="data_test.partner" name="set_color">
        <value eval="[ref('p')]"/>
        <value name="note">keyword before positional</value>
        <value type="int">6</value>
    </function>
</odoo>
""")
    _load(env, path)
    assert env["data_test.tag"].search([]).mapped("name") == ["big top"]
    partner = env.ref("data_test.p")
    assert (partner.color, partner.note) == (6, "keyword before positional")


def test_every_value_form_works_for_keywords(env, write):
    path = write("forms.xml", f"""
<odoo>
    {PARTNER}
    <function model="data_test.partner" name="_data_test_record_call" eval="[1]"
              context="{{'lang': 'fr_FR'}}">
        <value>positional text</value>
        <value name="text">plain</value>
        <value name="number" type="int">7</value>
        <value name="ids" eval="[ref('p')]"/>
        <value name="partner" ref="p"/>
        <value name="found" model="data_test.partner" search="[('name', '=', 'P')]"/>
    </function>
</odoo>
""")
    _load(env, path)
    partner_id = env.ref("data_test.p").id
    kwargs = {"text": "plain", "number": 7, "ids": [partner_id], "partner": partner_id,
              "found": [partner_id]}
    assert _calls(env) == [repr(((1, "positional text"), kwargs, "fr_FR"))]


def test_keyword_arguments_honour_noupdate(env, write):
    path = write("once.xml", """
<odoo>
    <data noupdate="1">
        <function model="data_test.partner" name="_data_test_create_tag" eval="['once']">
            <value name="suffix">!</value>
        </function>
    </data>
</odoo>
""")
    _load(env, path)
    _load(env, path, mode="update")
    assert env["data_test.tag"].search([]).mapped("name") == ["once!"]


def _error(env, write, body: str) -> DataError:
    path = write("bad.xml", f"<odoo>\n{PARTNER}\n{body}\n</odoo>")
    with pytest.raises(DataError) as info:
        _load(env, path)
    assert str(info.value).startswith(f"{path}:")
    return info.value


@pytest.mark.parametrize(("body", "line", "expected"), [
    # a keyword the method does not take: named, with what it does take
    ("<function model='data_test.partner' name='_data_test_create_tag' eval=\"['x']\">\n"
     "<value name='sufix'>!</value>\n</function>", 3,
     "function data_test.partner._data_test_create_tag: the arguments do not fit "
     "_data_test_create_tag(name, suffix=''): got an unexpected keyword "
     "argument 'sufix'; give the ones it lists"),
    # a keyword that repeats a positional argument
    ("<function model='data_test.partner' name='_data_test_create_tag' eval=\"['x']\">\n"
     "<value name='name'>y</value>\n</function>", 3, "multiple values for argument 'name'"),
    # a required argument missing
    ("<function model='data_test.partner' name='set_color' eval=\"[[ref('p')]]\">\n"
     "<value name='note'>n</value>\n</function>", 3, "missing a required argument: 'color'"),
    # keyword-only parameters cannot be given by position
    ("<function model='data_test.partner' name='set_color' eval=\"[[ref('p')], 1, 'n']\"/>",
     3, "too many positional arguments"),
    # the same keyword twice: the line of the second one
    ("<function model='data_test.partner' name='_data_test_create_tag' eval=\"['x']\">\n"
     "<value name='suffix'>a</value>\n<value name='suffix'>b</value>\n</function>", 5,
     "keyword argument 'suffix' is given twice"),
    ("<function model='data_test.partner' name='_data_test_create_tag'>\n"
     "<value name='2nd'>a</value>\n</function>", 4, "needs a Python identifier"),
    ("<function model='data_test.partner' name='_data_test_create_tag'>\n"
     "<value name='class'>a</value>\n</function>", 4, "needs a Python identifier"),
    ("<function model='data_test.partner' name='_data_test_record_call'>\n"
     "<value name='context' eval=\"{'lang': 'fr_FR'}\"/>\n</function>", 4,
     'give the context with the context="{…}" attribute of <function>'),
    ("<function model='data_test.partner' name='_data_test_record_call'>\n"
     "<field name='x'>a</field>\n</function>", 4,
     '<value name="key" …> for a keyword argument'),
    # a mistake in a keyword's value is reported at its line
    ("<function model='data_test.partner' name='_data_test_record_call'>\n"
     "<value>fine</value>\n<value name='ids' eval=\"[ref('missing')]\"/>\n</function>", 5,
     "'data_test.missing' not found"),
])
def test_keyword_argument_mistakes(env, write, body, line, expected):
    error = _error(env, write, body)
    assert error.line == line
    assert expected in str(error)
    assert not env["data_test.tag"].search([])  # nothing was called
