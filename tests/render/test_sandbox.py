"""The expression sandbox: what templates may do, and everything they may not."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from markupsafe import Markup

from postroom.render import RenderError, RenderLimits, compile_expression, evaluate


def test_field_paths_operators_and_filters(order):
    context = {"object": order}
    assert evaluate("object.partner_id.name", context) == "Ada <Lovelace> & Co"
    assert evaluate("object.amount_total * 2", context) == 2469.0
    assert evaluate("'%s (%s)' % (object.name, object.state)", context) == "SO042 (sale)"
    assert evaluate("'big' if object.amount_total > 1000 else 'small'", context) == "big"
    assert evaluate("object.line_ids|map(attribute='name')|join(', ')", context) == "Tea, Cake, Jam"
    assert evaluate("object.name ~ '-' ~ object.id", context) == "SO042-42"
    assert evaluate("object.partner_id.email.split('@')[1]", context) == "example.com"


def test_globals(order):
    context = {"object": order}
    assert evaluate("len(object.line_ids)", context) == 3
    assert evaluate("sorted(object.line_ids.mapped('name'))", context) == ["Cake", "Jam", "Tea"]
    assert evaluate("sum(object.line_ids.mapped('qty'))", context) == 3
    assert evaluate("max(1, 2) + min(3, 4) + abs(-1) + round(2.567, 1)", context) == 8.6
    assert evaluate("list(zip([1, 2], 'ab'))", context) == [(1, "a"), (2, "b")]
    assert evaluate("dict(a=1)", context) == {"a": 1}
    assert evaluate("(object.date_order + timedelta(days=1)).day", context) == 5
    assert evaluate("date(2025, 1, 2).isoformat()", context) == "2025-01-02"
    assert isinstance(evaluate("datetime.now()", context), datetime)
    assert evaluate("date.today()", context) == date.today()
    assert evaluate("format_amount(1500, 'USD', 'en_US')", context) == "$1,500.00"


def test_recordset_read_only_api(order, no_record_calls):
    context = {"object": order}
    assert evaluate("object.id", context) == 42
    assert evaluate("object.line_ids.ids", context) == [11, 12, 13]
    assert evaluate("object.display_name", context) == "#42 SO042"
    assert evaluate("object.line_ids.filtered('price').mapped('name')", context) == ["Tea", "Jam"]
    assert evaluate("object.line_ids.sorted('name')[0].name", context) == "Cake"
    assert evaluate("object.ensure_one().exists().name", context) == "SO042"
    assert evaluate("object['name']", context) == "SO042"
    assert evaluate("object.line_ids|map(attribute='qty')|list", context) == [2, 1, 0]
    assert evaluate("'yes' if object.partner_id else 'no'", context) == "yes"


def test_compiled_once():
    assert compile_expression("a + 1") is compile_expression("a + 1")
    assert compile_expression("a + 1")({"a": 1}) == 2


def test_context_is_not_copied_or_modified():
    context = {"items": [1, 2]}
    evaluate("items|list", context)
    assert context == {"items": [1, 2]}


def test_render_error_names_expression_and_reason(order):
    with pytest.raises(RenderError) as caught:
        evaluate("object.unlink()", {"object": order})
    error = caught.value
    assert error.expression == "object.unlink()"
    assert error.reason == 'calling "unlink" on a record is not allowed in templates'
    assert str(error) == (
        'Cannot render "object.unlink()": calling "unlink" on a record is not allowed in templates'
    )


def test_runtime_errors_become_render_errors():
    with pytest.raises(RenderError, match="ZeroDivisionError") as caught:
        evaluate("1 / x", {"x": 0})
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_undefined_names_are_errors():
    with pytest.raises(RenderError, match="'missing' is undefined"):
        evaluate("missing", {})
    with pytest.raises(RenderError, match="undefined"):
        evaluate("missing.name", {})
    assert evaluate("missing is defined", {}) is False


def test_syntax_errors():
    with pytest.raises(RenderError, match="invalid expression") as caught:
        compile_expression("object.name +")
    assert caught.value.expression == "object.name +"
    with pytest.raises(RenderError, match="after the expression"):
        compile_expression("a b")
    with pytest.raises(RenderError, match="invalid expression"):
        compile_expression("[x for x in y]")


ESCAPES = [
    # walking the class hierarchy
    "().__class__.__bases__[0].__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "object.__class__",
    "object._fields",
    "object['__class__']",
    "object|attr('__class__')",
    "len.__self__",
    "datetime.now.__globals__",
    "format_amount.__globals__",
    # str.format and friends
    "'{0.__class__}'.format(object)",
    "'{0.__class__}'.format_map([object])",
    "'{0}'|attr('format')",
    "str.format('{0.__class__}', object)",
    "'%s'|format(object)",
    # the environment and access rights
    "object.env",
    "object.partner_id.env",
    "object.sudo()",
    "object.sudo().name",
    "object.with_user(1)",
    "object.with_context(a=1)",
    "object.with_env(None)",
    "ctx.env",
    # methods that change data or reach other records
    "object.unlink()",
    "object.partner_id.unlink()",
    "object.write({'name': 'x'})",
    "object.create({})",
    "object.copy()",
    "object.search([])",
    "object.browse(1)",
    "object.read()",
    "object.message_post(body='hi')",
    "object.action_send()",
    "object|attr('unlink')",
    "object['unlink']",
    "object.line_ids|map(attribute='unlink')|list",
    # mutating containers
    "ctx.update({'a': 1})",
    "[].append(1)",
    "dict.update(ctx, {})",
    "list.append([], 1)",
    # Jinja's own helpers are not installed
    "lipsum(5)",
    "namespace()",
    "cycler(1, 2)",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_escape_attempts_are_refused(expression, order, no_record_calls):
    with pytest.raises(RenderError) as caught:
        evaluate(expression, {"object": order, "ctx": {"lang": "en_US"}})
    assert caught.value.expression == expression


def test_refusal_reasons(order):
    context = {"object": order}
    reasons = {
        "object.__class__": 'names starting with "_" are not allowed',
        "object.env": '"env" is not allowed in templates',
        "object.sudo()": '"sudo" is not allowed in templates',
        "object.write({})": 'calling "write" on a record is not allowed',
        "'{0.__class__}'.format(object)": '"format" is not allowed in templates',
        "str.format('{0}', 1)": 'reading "format" on the class "str"',
        "[].append(1)": "modifies data",
    }
    for expression, reason in reasons.items():
        with pytest.raises(RenderError, match=reason):
            evaluate(expression, context)


def test_always_refused_names_fail_at_compile_time():
    for expression in ("object.sudo()", "object.__class__", "x['_private']", "object.env"):
        with pytest.raises(RenderError):
            compile_expression(expression)


def test_record_methods_reached_indirectly_are_refused(order, no_record_calls):
    context = {"methods": [order.unlink, order.write], "mapped": order.mapped}
    with pytest.raises(RenderError, match='calling "unlink" on a record is not allowed'):
        evaluate("methods[0]()", context)
    with pytest.raises(RenderError, match='calling "write" on a record'):
        evaluate("(methods|last)({})", context)
    assert evaluate("mapped('name')", context) == ["SO042"]


def test_callables_that_alter_data_are_refused():
    def cancel() -> str:
        return "cancelled"

    cancel.alters_data = True
    with pytest.raises(
        RenderError, match='calling "cancel" is not allowed in templates: it alters data'
    ):
        evaluate("cancel()", {"cancel": cancel})


BOUNDED = [
    ("'a' * 10**9", "repeating would build"),
    ("10**9 * 'a'", "repeating would build"),
    ("[0] * 10**9", "repeating would build"),
    ("2 ** (10**8)", "integer of about"),
    ("10 ** 5000", "integer of about"),
    ("(10 ** 3000) * (10 ** 3000)", "integer of about"),
    ("range(10**9)", "Range too big"),
    ("'%0999999999d' % 1", "padding"),
    ("'%.999999999f' % 1.0", "padding"),
    ("'%*d' % (10**9, 1)", '"\\*" widths'),
    ("'a'.center(10**9)", "center"),
    ("'a'.ljust(10**9)", "ljust"),
    ("'1'.zfill(10**9)", "zfill"),
    ("'\\t'.expandtabs(10**9)", "expandtabs"),
    ("('a' * 100000).replace('a', 'a' * 100000)", "replace"),
    ("'x'.join(['a' * 100000] * 100000)", "joined string"),
    ("(['a' * 100000] * 100000)|join", "joined string"),
    ("round(1, -10**8)", "round"),
    ("sum([[1] * 1000] * 1000, [])", "adds numbers only"),
    ("'(' * 3 ~ " + "(" * 300 + "1" + ")" * 300, "nests too deeply"),
    ("1" + " + 1" * 5000, "nests too deeply"),
]


@pytest.mark.parametrize(("expression", "reason"), BOUNDED)
def test_work_is_bounded(expression, reason):
    started = time.monotonic()
    with pytest.raises(RenderError, match=reason):
        evaluate(expression, {})
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "expression",
    ["x|center(10**9)", "x|wordwrap(1)", "x|batch(10**9, 0)", "x|indent(10**9)", "x|pprint"],
)
def test_amplifying_filters_are_not_installed(expression):
    with pytest.raises(RenderError, match="No filter named"):
        compile_expression(expression)


def test_reasonable_sizes_are_allowed():
    assert len(evaluate("'-' * 1000", {})) == 1000
    assert evaluate("2 ** 64", {}) == 18446744073709551616
    assert len(evaluate("range(1000)|list", {})) == 1000
    assert evaluate("'%5.2f' % 3.14159", {}) == " 3.14"
    assert evaluate("'%%d'", {}) == "%%d"
    assert evaluate("body.replace('\\n', '<br>')", {"body": "a\nb"}) == "a<br>b"


def test_time_limit_is_checked_on_calls():
    def slow() -> int:
        time.sleep(0.03)
        return 1

    with pytest.raises(RenderError, match="took longer than 0.02 seconds"):
        evaluate("slow() + slow() + slow()", {"slow": slow}, limits=RenderLimits(time=0.02))


def test_markup_is_escaped_when_mixed():
    context = {"safe": Markup("<b>%s</b>"), "name": "<i>"}
    assert evaluate("safe % name", context) == Markup("<b>&lt;i&gt;</b>")
    assert evaluate("safe ~ name", context) == Markup("<b>%s</b>&lt;i&gt;")
    assert evaluate("[safe, name]|join(' ')", context) == Markup("<b>%s</b> &lt;i&gt;")
    assert evaluate("name ~ '!'", context) == "<i>!"
