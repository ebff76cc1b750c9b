"""QWeb: every directive, escaping, t-call, validation and limits."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from postroom.render import QWeb, RenderError, RenderLimits, qweb_directives, validate_qweb


def render(arch: str, **values) -> str:
    return str(QWeb().render(arch, values))


def test_static_markup_and_result_type():
    result = QWeb().render('<p class="a">Hello <b>world</b></p>', {})
    assert isinstance(result, Markup)
    assert result == '<p class="a">Hello <b>world</b></p>'


def test_several_roots_text_comments_and_entities():
    arch = "intro <p>a&nbsp;b &amp; c &lt;d&gt;</p><!-- [if mso]>x<![endif] --><p>e</p> outro"
    assert (
        render(arch)
        == "intro <p>a\xa0b &amp; c &lt;d&gt;</p><!-- [if mso]>x<![endif] --><p>e</p> outro"
    )


def test_void_and_empty_elements():
    assert (
        render('<br/><img src="a.png"/><div/><td></td>')
        == '<br/><img src="a.png"/><div></div><td></td>'
    )


def test_t_element_renders_only_its_content():
    assert render("<t>in <t>side</t></t>") == "in side"


def test_t_out_escapes_unless_markup(order):
    assert (
        render('<p t-out="name"/>', name="<script>x</script>")
        == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    )
    assert render('<p t-out="html"/>', html=Markup("<b>ok</b>")) == "<p><b>ok</b></p>"
    assert (
        render('<t t-out="object.partner_id.name"/>', object=order)
        == "Ada &lt;Lovelace&gt; &amp; Co"
    )
    assert render('<t t-out="n"/>', n=0) == "0"


def test_t_esc_is_an_alias_of_t_out():
    assert render('<t t-esc="v"/>', v="<i>") == "&lt;i&gt;"
    assert render('<t t-esc="v"/>', v=Markup("<i>")) == "<i>"


def test_t_out_body_is_the_default():
    arch = '<span t-out="v">nothing</span>'
    assert render(arch, v=None) == "<span>nothing</span>"
    assert render(arch, v=False) == "<span>nothing</span>"
    assert render(arch, v="x") == "<span>x</span>"
    assert render('<t t-out="v"/>', v=None) == ""


def test_t_raw_is_refused_at_compile_time():
    with pytest.raises(
        RenderError, match="t-raw is not supported: use t-out with a markupsafe.Markup"
    ) as caught:
        validate_qweb('<div t-raw="body"/>')
    assert caught.value.directive == "t-raw"
    assert caught.value.expression == "body"


def test_t_if_elif_else():
    arch = """<p t-if="n &gt; 5">big</p>
<p t-elif="n == 3">three</p>
<p t-else="">other</p>"""
    assert render(arch, n=9).strip() == "<p>big</p>"
    assert render(arch, n=3).strip() == "<p>three</p>"
    assert render(arch, n=1).strip() == "<p>other</p>"
    assert render('<t t-if="flag">yes</t>', flag=False) == ""


def test_elif_must_follow_if():
    for arch in ('<p t-elif="x"/>', '<p t-else=""/>', '<p t-if="a"/>text<p t-else=""/>'):
        with pytest.raises(RenderError, match="must follow an element with t-if"):
            validate_qweb(arch)


def test_t_foreach_variables():
    arch = (
        '<t t-foreach="items" t-as="it">'
        '[<t t-out="it"/> <t t-out="it_index"/> <t t-out="it_size"/>'
        '<t t-if="it_first"> first</t><t t-if="it_last"> last</t>]</t>'
    )
    assert render(arch, items=["a", "b", "c"]) == "[a 0 3 first][b 1 3][c 2 3 last]"
    assert render(arch, items=[]) == ""
    assert render(arch, items=iter("xy")) == "[x 0 2 first][y 1 2 last]"


def test_t_foreach_over_mapping_and_records(order):
    arch = '<t t-foreach="d" t-as="k"><t t-out="k"/>=<t t-out="k_value"/>;</t>'
    assert render(arch, d={"a": 1, "b": 2}) == "a=1;b=2;"
    arch = '<li t-foreach="object.line_ids" t-as="line" t-out="line.name"/>'
    assert render(arch, object=order) == "<li>Tea</li><li>Cake</li><li>Jam</li>"


def test_t_foreach_with_t_if_filters_items(order):
    arch = '<li t-foreach="object.line_ids" t-as="line" t-if="line.price" t-out="line.name"/>'
    assert render(arch, object=order) == "<li>Tea</li><li>Jam</li>"


def test_t_foreach_scope():
    arch = (
        '<t t-set="seen" t-value="0"/>'
        '<t t-foreach="[1, 2, 3]" t-as="i"><t t-set="seen" t-value="seen + i"/><t t-set="inner" t-value="i"/></t>'
        '<t t-out="seen"/>:<t t-out="(inner is defined)|string"/>:<t t-out="(i is defined)|string"/>'
    )
    assert render(arch) == "6:False:False"


def test_t_foreach_needs_t_as_and_a_collection():
    with pytest.raises(RenderError, match="t-foreach and t-as go together"):
        validate_qweb('<t t-foreach="items"/>')
    with pytest.raises(RenderError, match="cannot loop over a int") as caught:
        render('<t t-foreach="5" t-as="i"/>')
    assert caught.value.directive == "t-foreach"


def test_t_set_with_value_and_body():
    assert render('<t t-set="x" t-value="2 * 21"/><t t-out="x"/>') == "42"
    arch = (
        '<t t-set="snippet"><b>bold <t t-out="v"/></b></t><t t-out="snippet"/><t t-out="snippet"/>'
    )
    assert render(arch, v="&") == "<b>bold &amp;</b><b>bold &amp;</b>"
    assert render('<div t-set="x" t-value="1">not rendered</div><t t-out="x"/>') == "1"
    context = {"x": 1}
    QWeb().render('<t t-set="x" t-value="2"/><t t-set="y" t-value="3"/>', context)
    assert context == {"x": 1}


def test_t_value_without_t_set_is_invalid():
    with pytest.raises(RenderError, match="t-value needs t-set"):
        validate_qweb('<t t-value="1"/>')


def test_t_att_forms():
    assert render(
        '<a t-att-href="url" t-att-title="None" t-att-hidden="False">x</a>', url="/a?b=1&c=2"
    ) == ('<a href="/a?b=1&amp;c=2">x</a>')
    assert render('<input t-att-checked="True"/>') == '<input checked="checked"/>'
    assert render('<p class="static" t-att-class="dynamic"/>', dynamic="d") == '<p class="d"></p>'
    assert render('<p class="static" t-att-class="None"/>') == "<p></p>"
    assert render("<p t-att=\"{'data-a': 1, 'data-b': None}\"/>") == '<p data-a="1"></p>'
    assert render("<p t-att=\"['data-x', 'y']\"/>") == '<p data-x="y"></p>'
    assert (
        render('<p t-att-title="v"/>', v='"><script>') == '<p title="&#34;&gt;&lt;script&gt;"></p>'
    )


def test_t_att_refuses_bad_attribute_names():
    with pytest.raises(RenderError, match="not a valid attribute name"):
        render('<p t-att="attrs"/>', attrs={'x"><script>': 1})
    with pytest.raises(RenderError, match="mapping or a"):
        render('<p t-att="5"/>')


def test_t_attf_both_syntaxes():
    arch = '<li t-attf-class="row {{ kind }} n-#{n + 1}" t-attf-data-empty="[{{ none }}]"/>'
    assert (
        render(arch, kind="<odd>", n=1, none=None)
        == '<li class="row &lt;odd&gt; n-2" data-empty="[]"></li>'
    )


def test_t_call_with_loader_and_body():
    templates = {
        "mail.layout": '<div class="layout"><t t-out="0"/><footer t-out="signature"/></div>',
        "mail.greeting": "<p>Hello <t t-out='name'/></p>",
    }
    qweb = QWeb(templates.__getitem__)
    arch = '<t t-call="mail.layout"><t t-set="signature" t-value="\'-- \' ~ team"/><t t-call="mail.greeting"/></t>'
    result = qweb.render(arch, {"name": "<Ada>", "team": "Sales"})
    assert result == '<div class="layout"><p>Hello &lt;Ada&gt;</p><footer>-- Sales</footer></div>'
    assert qweb.render("mail.greeting", {"name": "Bob"}) == "<p>Hello Bob</p>"


def test_t_call_does_not_leak_variables():
    qweb = QWeb({"inner": '<t t-set="leak" t-value="1"/><t t-out="x"/>'}.__getitem__)
    arch = '<t t-call="inner"><t t-set="x" t-value="2"/></t>[<t t-out="(x is defined)|string"/> <t t-out="(leak is defined)|string"/>]'
    assert qweb.render(arch, {}) == "2[False False]"


def test_t_call_without_loader_or_template():
    with pytest.raises(RenderError, match="no template loader"):
        render('<t t-call="some.template"/>')
    with pytest.raises(RenderError, match="there is no template with this name") as caught:
        QWeb({}.__getitem__).render('<p><t t-call="missing.template"/></p>', {})
    assert caught.value.expression == "missing.template"


def test_infinite_t_call_is_refused():
    qweb = QWeb({"a": '<t t-call="b"/>', "b": '<p><t t-call="a"/></p>'}.__getitem__)
    with pytest.raises(RenderError, match="t-call nests deeper than") as caught:
        qweb.render("a", {})
    assert caught.value.directive == "t-call"


def test_expressions_are_sandboxed_and_errors_name_the_directive(order, no_record_calls):
    with pytest.raises(RenderError) as caught:
        render('<p t-out="object.unlink()"/>', object=order)
    assert caught.value.directive == "t-out"
    assert caught.value.expression == "object.unlink()"
    assert 'calling "unlink"' in caught.value.reason
    with pytest.raises(RenderError) as caught:
        render('<p t-if="object.write({})"/>', object=order)
    assert caught.value.directive == "t-if"
    with pytest.raises(RenderError, match="undefined"):
        render('<p t-out="missing"/>')


@pytest.mark.parametrize(
    ("arch", "directive", "expression", "reason"),
    [
        ('<p t-out="1 +"/>', "t-out", "1 +", "invalid expression"),
        ('<p t-if="object.sudo()"/>', "t-if", "object.sudo()", '"sudo" is not allowed'),
        ('<p t-att-class="x._y"/>', "t-att-class", "x._y", "private"),
        ('<p t-attf-id="a-{{ b. }}"/>', "t-attf-id", "b.", "invalid expression"),
        ('<p t-frobnicate="1"/>', "t-frobnicate", "1", "unknown directive"),
        ('<t t-set="not a name" t-value="1"/>', "t-set", "not a name", "expected a variable name"),
    ],
)
def test_validate_qweb_reports_directive_expression_and_reason(arch, directive, expression, reason):
    with pytest.raises(RenderError, match=reason) as caught:
        validate_qweb(arch)
    assert caught.value.directive == directive
    assert caught.value.expression == expression


def test_invalid_xml():
    with pytest.raises(RenderError, match="invalid XML"):
        validate_qweb("<p>unclosed")


def test_time_limit_stops_long_loops():
    arch = '<t t-foreach="range(100000)" t-as="i"><t t-foreach="range(100000)" t-as="j"><t t-out="j"/></t></t>'
    with pytest.raises(RenderError, match="took longer than 0.05 seconds"):
        QWeb(limits=RenderLimits(time=0.05)).render(arch, {})


def test_output_limit():
    arch = '<t t-foreach="range(1000)" t-as="i">0123456789</t>'
    with pytest.raises(RenderError, match="output is larger than 5,000 characters"):
        QWeb(limits=RenderLimits(output=5000)).render(arch, {})


def test_t_set_values_are_bounded():
    arch = '<t t-set="s" t-value="\'x\' * 100000"/>' + '<t t-set="s" t-value="s ~ s"/>' * 10
    with pytest.raises(RenderError, match='the value of "s"'):
        render(arch)


def test_templates_are_compiled_once():
    arch = '<p t-out="x"/>'
    assert QWeb().template(arch) is QWeb().template(arch)


def test_qweb_directives_lists_every_directive():
    arch = (
        '<t t-name="n"><p t-if="a" class="c"><t t-foreach="b" t-as="c"><t t-out="c.name"/></t>'
        '<t t-call="x"/><i t-attf-title="{{ d }}"/></p></t>'
    )
    assert qweb_directives(arch) == [
        ("t-if", "a"),
        ("t-foreach", "b"),
        ("t-as", "c"),
        ("t-out", "c.name"),
        ("t-call", "x"),
        ("t-attf-title", "{{ d }}"),
    ]
