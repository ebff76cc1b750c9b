"""The pieces under the pages: the HTML builder and the condition sandbox."""

from __future__ import annotations

import pytest
from lxml import etree
from markupsafe import Markup

from postroom.addons.web.rendering.conditions import Scope, ViewError
from postroom.addons.web.rendering.html import el


def test_the_html_builder_escapes_text_and_attributes():
    html = el("a", {"href": '/x?a=1&b="2"', "hidden": True, "title": None}, "<b>", Markup("<i>ok</i>"))
    assert html == Markup('<a href="/x?a=1&amp;b=&#34;2&#34;" hidden>&lt;b&gt;<i>ok</i></a>')
    assert el("input", {"value": "<x>"}) == Markup('<input value="&lt;x&gt;">')


def test_conditions_see_the_fields_they_name(env):
    values = {"state": "done", "count": 3, "partner_id": 7}
    scope = Scope.for_env(env, values.__getitem__)
    node = etree.fromstring("""<field invisible="state == 'done' and count &gt; 2"
        readonly="partner_id != 7" required="1" column_invisible="context.get('hide', False)"/>""")
    assert scope.condition(node, "invisible")
    assert not scope.condition(node, "readonly")
    assert scope.condition(node, "required")
    assert not scope.condition(node, "column_invisible")
    assert not scope.condition(node, "absent")


@pytest.mark.parametrize("expression", [
    "__import__('os').system('true')", "state.__class__", "open('/etc/passwd')",
    "state.upper.__globals__", "unknown_name == 1", "state ==",
])
def test_conditions_refuse_what_is_not_a_plain_expression(env, expression):
    scope = Scope.for_env(env, {"state": "draft"}.__getitem__)
    with pytest.raises(ViewError):
        scope.evaluate(expression)
