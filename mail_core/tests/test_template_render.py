"""mail.template rendering: placeholders, defaults, QWeb, languages, amounts and dates,
errors refused when saved or named when rendering, sandbox refusals, editor rights."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from mail_template_fixtures import *  # the fixtures
from markupsafe import Markup

from postroom.exceptions import AccessError, UserError, ValidationError
from postroom.render import RenderError


def make_template(env: Any, **values: Any) -> Any:
    return env["mail.template"].create({
        "name": "Order", "model_id": env["ir.model"]._get_id("test.mail.order"), **values})


@pytest.fixture
def order(tenv: Any, make_order: Any) -> Any:
    return make_order(tenv, "SO042", customer="Acme Corp", amount_total=1500.0,
                      currency_id=tenv.ref("base.USD").id,
                      date_order=datetime.date(2024, 12, 15))


def render(template: Any, field: str, record: Any) -> Any:
    return template._generate_template([record.id], [field])[record.id][field]


# ------------------------------------------------------------------------------------
# placeholders and QWeb
# ------------------------------------------------------------------------------------
def test_inline_placeholders_and_defaults(tenv: Any, order: Any, make_order: Any) -> None:
    template = make_template(
        tenv, subject="Order {{ object.name }} - {{ object.partner_id.name ||| our customer }}")
    assert render(template, "subject", order) == "Order SO042 - Acme Corp"
    anonymous = make_order(tenv, "SO043")
    assert render(template, "subject", anonymous) == "Order SO043 - our customer"


def test_qweb_body_amounts_and_dates_in_english(tenv: Any, order: Any) -> None:
    template = make_template(tenv, body_html=(
        '<p>Dear <t t-out="object.partner_id.name"/>,</p>'
        '<p t-if="object.amount_total">Total: '
        '<t t-out="format_amount(object.amount_total, object.currency_id)"/></p>'
        '<ul><li t-foreach="[1, 2]" t-as="n" t-out="n"/></ul>'
        '<p>On <t t-out="format_date(object.date_order)"/></p>'))
    body = render(template, "body_html", order)
    assert isinstance(body, Markup)
    assert "<p>Dear Acme Corp,</p>" in body
    assert "Total: $1,500.00" in body
    assert "<li>1</li><li>2</li>" in body
    assert "On Dec 15, 2024" in body


def test_values_are_escaped_in_the_body(tenv: Any, make_order: Any) -> None:
    order = make_order(tenv, "SO<1>", customer="Ben & <b>Jerry</b>")
    template = make_template(tenv, body_html='<p t-out="object.partner_id.name"/>')
    assert render(template, "body_html", order) == \
        Markup("<p>Ben &amp; &lt;b&gt;Jerry&lt;/b&gt;</p>")


def test_each_recipient_gets_their_language(tenv: Any, make_order: Any) -> None:
    usd = tenv.ref("base.USD").id
    english = make_order(tenv, "E1", customer="Ann", lang="en_US", amount_total=1500,
                         currency_id=usd, date_order=datetime.date(2024, 12, 15))
    french = make_order(tenv, "F1", customer="Fanny", lang="fr_FR", amount_total=1500,
                        currency_id=usd, date_order=datetime.date(2024, 12, 15))
    french2 = make_order(tenv, "F2", customer="Fred", lang="fr_FR", amount_total=2,
                         currency_id=usd)
    template = make_template(
        tenv, lang="{{ object.partner_id.lang }}",
        body_html='<t t-out="format_amount(object.amount_total, object.currency_id)"/> '
                  '<t t-out="format_date(object.date_order)"/>')
    ids = [english.id, french.id, french2.id]
    assert template._classify_per_lang(ids) == {"en_US": [english.id],
                                                "fr_FR": [french.id, french2.id]}
    rendered = template._generate_template(ids, ["body_html"])
    assert rendered[english.id]["body_html"] == "$1,500.00 Dec 15, 2024"
    assert rendered[french.id]["body_html"] == "1\u202f500,00\xa0$US 15 déc. 2024"
    assert rendered[french2.id]["lang"] == "fr_FR"


def test_an_unknown_language_falls_back(tenv: Any, order: Any) -> None:
    template = make_template(tenv, lang="{{ object.note ||| xx-not a code }}")
    assert template._render_lang([order.id]) == {order.id: "en_US"}


def test_the_template_in_data_keeps_its_directives(tenv: Any, order: Any) -> None:
    template = tenv.ref("test_mail_template.mail_template_order")
    assert 't-out="object.partner_id.name' in template.body_html
    values = template._generate_template([order.id], ["subject", "body_html", "partner_to"])
    values = values[order.id]
    assert values["subject"] == "Order SO042 - Acme Corp"
    assert values["partner_ids"] == order.partner_id.ids
    assert "amounts to\n                    $1,500.00." in values["body_html"]


def test_local_links_become_absolute(tenv: Any, order: Any) -> None:
    tenv["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
    template = make_template(tenv, body_html=(
        '<a href="/web#id=1">doc</a><img src="/logo.png"/><a href="//cdn.example.com/x">cdn</a>'
        '<a href="https://other.example.com/y">other</a>'))
    body = render(template, "body_html", order)
    assert 'href="https://erp.example.com/web#id=1"' in body
    assert 'src="https://erp.example.com/logo.png"' in body
    assert 'href="//cdn.example.com/x"' in body
    assert 'href="https://other.example.com/y"' in body


# ------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("field", "source", "expected"), [
    ("subject", "Order {{ object.name + }}", "object.name +"),
    ("email_to", "{{ object.partner_id.email ) }}", "object.partner_id.email )"),
    ("body_html", "<p>Dear <t t-out='object.name'></p>", "invalid XML"),
    ("body_html", '<p t-if="object.name ==">x</p>', "object.name =="),
    ("body_html", '<p t-bogus="1"/>', "unknown directive t-bogus"),
])
def test_an_invalid_template_is_refused_when_saved(tenv: Any, field: str, source: str,
                                                    expected: str) -> None:
    with pytest.raises(ValidationError) as refused:
        make_template(tenv, **{field: source})
    message = str(refused.value)
    assert tenv["mail.template"]._fields[field].string in message
    assert expected in message


def test_an_error_while_rendering_names_the_expression(tenv: Any, order: Any) -> None:
    template = make_template(tenv, subject="{{ object.no_such_field }}")
    with pytest.raises(RenderError) as failed:
        render(template, "subject", order)
    assert failed.value.expression == "object.no_such_field"
    with pytest.raises(UserError, match="object.no_such_field"):
        template.send_mail(order.id)


@pytest.mark.parametrize("source", [
    "{{ object.sudo().name }}", "{{ object.env['res.users'] }}", "{{ object._name }}",
    "{{ object.__class__ }}",
])
def test_the_sandbox_refuses_escapes_when_saved(tenv: Any, source: str) -> None:
    with pytest.raises(ValidationError, match="not allowed|private"):
        make_template(tenv, subject=source)


@pytest.mark.parametrize(("source", "reason"), [
    ("{{ object.write({'name': 'pwned'}) }}", 'calling "write" on a record'),
    ("{{ object.partner_id.unlink() }}", 'calling "unlink" on a record'),
    ("{{ 'x' * 10000000 }}", "repeating would build"),
    ("{{ '{0.__class__}'.format(object) }}", '"format" is not allowed'),
])
def test_the_sandbox_refuses_when_rendering(tenv: Any, order: Any, source: str,
                                             reason: str) -> None:
    template = make_template(tenv, subject=source)
    with pytest.raises(RenderError, match=reason):
        render(template, "subject", order)
    assert order.name == "SO042"


# ------------------------------------------------------------------------------------
# header injection
# ------------------------------------------------------------------------------------
def test_line_breaks_in_a_rendered_subject_are_folded(tenv: Any, make_order: Any) -> None:
    order = make_order(tenv, "SO1", customer="Eve\r\nBcc: victim@example.net")
    template = make_template(tenv, subject="Hello {{ object.partner_id.name }}")
    assert render(template, "subject", order) == "Hello Eve Bcc: victim@example.net"


@pytest.mark.parametrize("field", ["email_from", "email_to", "email_cc", "reply_to",
                                   "partner_to"])
def test_line_breaks_in_a_rendered_address_are_refused(tenv: Any, make_order: Any,
                                                       field: str) -> None:
    order = make_order(tenv, "SO1", note="eve@example.org\r\nBcc: victim@example.net")
    template = make_template(tenv, **{field: "{{ object.note }}"})
    with pytest.raises(RenderError, match="line break"):
        render(template, field, order)
    with pytest.raises(UserError, match="line break"):
        template.send_mail(order.id)


# ------------------------------------------------------------------------------------
# who may write what
# ------------------------------------------------------------------------------------
@pytest.fixture
def restricted(tenv: Any) -> None:
    """Template rendering restricted: internal users are no longer editors."""
    tenv["ir.config_parameter"].set_param("mail.restrict.template.rendering", "True")


def test_internal_users_are_editors_unless_rendering_is_restricted(tenv: Any,
                                                                   new_user: Any) -> None:
    user = new_user(tenv, "Ursula")
    admin = new_user(tenv, "Ada", groups=("base.group_system",))
    editor = "mail_core.group_mail_template_editor"
    assert user.has_group(editor) and admin.has_group(editor)
    tenv["ir.config_parameter"].set_param("mail.restrict.template.rendering", "1")
    assert not user.has_group(editor)
    assert admin.has_group(editor)
    assert not new_user(tenv, "Newcomer").has_group(editor)
    tenv["ir.config_parameter"].set_param("mail.restrict.template.rendering", False)
    assert user.has_group(editor)


@pytest.mark.usefixtures("restricted")
def test_non_editors_write_plain_field_paths_only(tenv: Any, new_user: Any, order: Any) -> None:
    user = new_user(tenv, "Ursula")
    Template = tenv["mail.template"].with_user(user)
    template = make_template(Template.env, subject="{{ object.name }} for "
                             "{{ object.partner_id.name ||| you }}",
                             body_html='<p>Dear <t t-out="object.partner_id.name"/></p>')
    assert render(template, "subject", order) == "SO042 for Acme Corp"
    with pytest.raises(AccessError, match=r"Subject uses: object\.name\.upper\(\)"):
        template.write({"subject": "{{ object.name.upper() }}"})
    with pytest.raises(AccessError, match='t-if="object.amount_total"'):
        template.write({"body_html": '<p t-if="object.amount_total">x</p>'})
    with pytest.raises(AccessError, match="user.name"):
        make_template(Template.env, email_from="{{ user.name }}")
    template.write({"name": "Renamed"})  # other fields stay writable


@pytest.mark.usefixtures("restricted")
def test_non_editors_may_still_send_an_editors_template(tenv: Any, new_user: Any,
                                                        order: Any) -> None:
    template = make_template(tenv, subject="{{ object.name.lower() }}")
    user = new_user(tenv, "Ursula")
    mail_id = template.with_user(user).send_mail(order.id)
    assert tenv["mail.mail"].browse(mail_id).subject == "so042"
    with pytest.raises(AccessError):
        template.with_user(user).write({"name": "Mine now"})  # not theirs to change


def test_a_former_editor_may_still_change_the_rest_of_their_template(
        tenv: Any, new_user: Any) -> None:
    user = new_user(tenv, "Ursula")
    template = make_template(tenv(user=user.id), subject="{{ object.name.upper() }}")
    tenv["ir.config_parameter"].set_param("mail.restrict.template.rendering", "1")
    mine = template.with_user(user)
    mine.write({"name": "Renamed", "subject": "{{ object.name.upper() }}"})  # unchanged
    assert mine.name == "Renamed"
    with pytest.raises(AccessError):
        mine.write({"subject": "{{ object.name.lower() }}"})


def test_restricted_rendering_survives_an_upgrade(committed_db: Any) -> None:
    with committed_db.env() as env:
        env["ir.config_parameter"].set_param("mail.restrict.template.rendering", "1")
    committed_db.loader.upgrade(["mail_core"])
    committed_db.reload()
    with committed_db.env() as env:
        editor = env.ref("mail_core.group_mail_template_editor")
        assert editor not in env.ref("base.group_user").implied_ids
        assert editor in env.ref("base.group_system").implied_ids
