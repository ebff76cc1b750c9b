"""QWeb's output limit: each character counted once, however deeply t-calls nest, and
blow-ups (loops of calls, recursion, deep nesting) refused at once."""

from __future__ import annotations

import time

import pytest

from postroom.render import QWeb, RenderError, RenderLimits

LIMIT = RenderLimits().output

#: a page in a layout in a frame: the page's text is captured as a t-call body twice over
LAYOUTS = {
    "frame": '<html><t t-out="0"/></html>',
    "layout": '<t t-call="frame"><body><t t-out="0"/></body></t>',
    "card": '<div><t t-out="text"/></div>',
}
PAGE = '<t t-call="layout"><t t-set="title">Report</t><h1 t-out="title"/><t t-call="card"/></t>'


def page_of(length: int) -> str:
    """Render PAGE with a text that makes its output `length` characters long."""
    qweb = QWeb(LAYOUTS.__getitem__)
    overhead = len(qweb.render(PAGE, {"text": ""}))
    return qweb.render(PAGE, {"text": "x" * (length - overhead)})


def test_nested_calls_just_under_the_limit_pass():
    assert len(page_of(LIMIT)) == LIMIT


def test_nested_calls_just_over_the_limit_fail_with_a_clear_reason():
    with pytest.raises(RenderError) as caught:
        page_of(LIMIT + 1)
    assert caught.value.expression == PAGE
    assert caught.value.reason == (
        "the output is larger than 1,000,000 characters, the most one render may produce; "
        "make the template produce less, e.g. loop over fewer records or leave long values out"
    )


def test_a_body_written_twice_counts_twice():
    qweb = QWeb({"twice": '<t t-out="0"/><t t-out="0"/>', "once": '<t t-out="0"/>'}.__getitem__)
    body = {"text": "x" * (LIMIT // 2 + 1)}
    assert len(qweb.render('<t t-call="once"><t t-out="text"/></t>', body)) == LIMIT // 2 + 1
    with pytest.raises(RenderError, match="output is larger than 1,000,000 characters"):
        qweb.render('<t t-call="twice"><t t-out="text"/></t>', body)


ROW = '<tr><td t-out="i"/>' + "<td>cell</td>" * 20 + "</tr>"


@pytest.mark.parametrize(
    ("templates", "arch"),
    [
        pytest.param(
            {"row": ROW},
            '<t t-foreach="range(100000)" t-as="i"><t t-call="row"/></t>',
            id="a loop of calls",
        ),
        pytest.param(
            {"row": ROW},
            '<t t-foreach="range(100000)" t-as="i"><t t-set="unused"><t t-call="row"/></t></t>',
            id="a loop of calls captured and dropped",
        ),
        pytest.param(
            {"boom": '<t t-call="boom"><t t-out="0"/><t t-out="0"/></t>'},
            '<t t-call="boom">0123456789</t>',
            id="a recursion doubling its body",
        ),
        pytest.param(
            {"twice": '<t t-out="0"/><t t-out="0"/>'},
            '<t t-call="twice">' * 30 + "0123456789" + "</t>" * 30,
            id="nested calls doubling their body",
        ),
    ],
)
def test_blow_ups_are_stopped_by_the_output_limit_at_once(templates: dict[str, str], arch: str):
    qweb = QWeb(templates.__getitem__, limits=RenderLimits(time=60))  # the limit, not the clock
    start = time.monotonic()
    with pytest.raises(RenderError, match="output is larger than 1,000,000 characters"):
        qweb.render(arch, {})
    assert time.monotonic() - start < 5


def test_calls_that_fan_out_without_output_are_stopped_by_the_clock():
    fan = '<t t-if="n &lt; 30"><t t-set="n" t-value="n + 1"/><t t-call="fan"/><t t-call="fan"/></t>'
    qweb = QWeb({"fan": fan}.__getitem__, limits=RenderLimits(time=0.1))
    start = time.monotonic()
    with pytest.raises(RenderError, match="took longer than 0.1 seconds"):
        qweb.render('<t t-set="n" t-value="0"/><t t-call="fan"/>', {})
    assert time.monotonic() - start < 5
