"""Inline templates: placeholders, ||| defaults, plain-text output, validation."""

from __future__ import annotations

import pytest

from postroom.render import (
    RenderError,
    RenderLimits,
    inline_expressions,
    is_plain_field_path,
    render_inline,
    validate_inline,
)


def test_placeholders(order):
    template = "Order {{ object.name }} for {{object.partner_id.email}}"
    assert render_inline(template, {"object": order}) == "Order SO042 for ada@example.com"


def test_output_is_plain_text_not_html(order):
    assert render_inline("{{ object.partner_id.name }}", {"object": order}) == "Ada <Lovelace> & Co"


def test_defaults_after_triple_pipe(order):
    context = {"object": order, "empty": "", "nothing": None, "no": False, "zero": 0, "none": []}
    assert render_inline("{{ object.state ||| draft }}", context) == "sale"
    for name in ("empty", "nothing", "no", "none"):
        assert render_inline(f"Hi {{{{ {name} ||| there }}}}!", context) == "Hi there!"
    assert render_inline("{{ zero ||| n/a }}", context) == "0"
    assert (
        render_inline("{{ object.partner_id.state ||| no state }}", {"object": order}) == "no state"
    )


def test_false_and_none_render_empty():
    assert render_inline("[{{ a }}|{{ b }}|{{ c }}]", {"a": False, "b": None, "c": 0}) == "[||0]"


def test_text_around_is_kept_verbatim():
    assert render_inline("", {}) == ""
    assert render_inline(None, {}) == ""
    assert render_inline("no placeholders <b>&amp;</b>", {}) == "no placeholders <b>&amp;</b>"
    assert render_inline("{{ 1 + 1 }}{{ 'x' }}", {}) == "2x"
    assert render_inline("open {{ only", {}) == "open {{ only"
    assert render_inline("multi\n{{ a\n }}\nline", {"a": "A"}) == "multi\nA\nline"


def test_expressions_go_through_the_sandbox(order):
    with pytest.raises(RenderError, match='calling "unlink"') as caught:
        render_inline("Bye {{ object.unlink() }}", {"object": order})
    assert caught.value.expression == "object.unlink()"


def test_output_limit():
    with pytest.raises(RenderError, match="output is larger than 10 characters"):
        render_inline("{{ 'x' * 6 }}{{ 'y' * 6 }}", {}, limits=RenderLimits(output=10))


def test_inline_expressions():
    template = "{{ object.name }} <{{ object.email ||| nobody@example.com }}> {{1+1}}"
    assert inline_expressions(template) == ["object.name", "object.email", "1+1"]
    assert inline_expressions("nothing here") == []


def test_validate_inline_names_the_bad_expression():
    validate_inline("{{ object.name }} and {{ object.partner_id.name ||| x }}")
    with pytest.raises(RenderError) as caught:
        validate_inline("Hello {{ object.name }} {{ object.name + }}")
    assert caught.value.expression == "object.name +"
    with pytest.raises(RenderError, match="sudo"):
        validate_inline("{{ object.sudo().name }}")


@pytest.mark.parametrize(
    ("expression", "plain"),
    [
        ("object.name", True),
        ("object.partner_id.email", True),
        (" object.partner_id.country_id.code ", True),
        ("object", False),
        ("object.name.upper()", False),
        ("object.partner_id.name or ''", False),
        ("object['name']", False),
        ("object._name", False),
        ("user.name", False),
        ("objectx.name", False),
        ("object.name|upper", False),
        ("object.name\n.x()", False),
    ],
)
def test_is_plain_field_path(expression, plain):
    assert is_plain_field_path(expression) is plain
