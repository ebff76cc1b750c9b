"""Widgets for jobs and templates: progress bars, forms refreshing while a job runs,
pickers of a record of a model named by another field, domains evaluated on the record,
and HTML sources with a sanitized preview."""

from __future__ import annotations

import json

import pytest

from tests.web.helpers import csrf_of, form_values, page, text_of
from tests.web.test_dialogs import location


def screen(env, model, arch):
    """The form URL base of a window action showing ``arch``."""
    view = env["ir.ui.view"].create({"name": f"test.{model}.widgets", "model": model,
                                     "arch": arch})
    action = env["ir.actions.act_window"].create({"name": "Test", "res_model": model,
                                                  "view_id": view.id})
    return f"/web/action/{action.id}/record"


@pytest.fixture
def partner(env):
    return env["res.partner"].create({"name": "Zoe", "email": "zoe@example.org"})


@pytest.fixture
def composer(env, admin, partner):
    return env["mail.compose.message"].with_user(admin).create({
        "model": "res.partner", "res_ids": partner.ids, "subject": "Hello"})


@pytest.fixture
def templates(env):
    def make(name, model):
        return env["mail.template"].create({"name": name, "subject": name,
                                            "model_id": env["ir.model"]._get_id(model)})
    return make("Partner welcome", "res.partner"), make("User welcome", "res.users")


def test_progress_bars(env, admin_client, composer):
    base = screen(env, "mail.compose.message", """<form><group>
        <field name="progress_done" widget="progressbar"
               options="{'max_value': 'progress_total'}"/>
        <field name="failure_count" widget="progressbar"/>
    </group></form>""")
    composer.write({"progress_done": 3, "progress_total": 12, "failure_count": 40})
    tree = page(admin_client.get(f"{base}/{composer.id}"))
    bar = tree.xpath('//div[@id="f_progress_done"]')[0]
    progress = bar.xpath("./progress")[0]
    assert (progress.get("value"), progress.get("max")) == ("3", "12")
    assert progress.get("aria-label") == "Documents Done"
    assert text_of(bar, './span[@class="o_progress_text"]') == ["3 / 12"]
    assert text_of(tree, '//div[@id="f_failure_count"]/span') == ["40%"]
    assert not tree.xpath('//input[@name="progress_done"]'), "read-only"


def test_forms_refresh_while_their_job_runs(env, admin_client, composer):
    url = f"/web/action/{env.ref('mail_core.action_mail_compose_message').id}/record/" \
          f"{composer.id}"
    assert not page(admin_client.get(url)).xpath("//*[@data-refresh]")
    composer.state = "running"
    tree = page(admin_client.get(url))
    notice = tree.xpath("//*[@data-refresh]")[0]
    assert notice.get("data-refresh") == "3" and notice.get("role") == "status"
    assert notice.xpath(".//a/@href") == [url]
    # a view says when its form refreshes
    base = screen(env, "mail.compose.message",
                  '<form refresh="state == \'done\'"><field name="subject"/></form>')
    assert not page(admin_client.get(f"{base}/{composer.id}")).xpath("//*[@data-refresh]")
    composer.state = "done"
    assert page(admin_client.get(f"{base}/{composer.id}")).xpath("//*[@data-refresh]")


def test_a_record_of_the_model_another_field_names(env, admin_client, admin, partner,
                                                   templates):
    preview = env["mail.template.preview"].with_user(admin).create({
        "mail_template_id": templates[0].id, "res_id": partner.id})
    base = screen(env, "mail.template.preview", """<form><group>
        <field name="model"/>
        <field name="res_id" widget="many2one_reference" options="{'model_field': 'model'}"/>
    </group></form>""")
    url = f"{base}/{preview.id}"
    form = admin_client.get(url)
    tree = page(form)
    picker = tree.xpath('//input[@name="res_id.text"]/..')[0]
    assert picker.get("data-m2o-url") == "/web/m2o/res.partner"
    assert tree.xpath('//input[@name="res_id.text"]/@value') == ["Zoe"]
    assert tree.xpath('//input[@name="res_id"]/@value') == [str(partner.id)]
    other = env["res.partner"].create({"name": "Yann Reference"})
    response = admin_client.post(url, data=form_values(form, {
        "res_id": "", "res_id.text": "Yann Reference"}))
    assert location(response) == url and preview.res_id == other.id
    assert preview.record_name == "Yann Reference"
    response = admin_client.post(url, data=form_values(admin_client.get(url), {
        "res_id": "", "res_id.text": "Nobody at all"}))
    assert response.status_code == 422
    assert page(response).xpath('//input[@name="res_id.text"]/@value') == ["Nobody at all"]
    assert preview.res_id == other.id
    # while the record names no model (an empty field), a number
    base = screen(env, "mail.template.preview", """<form><group><field name="res_id"
        widget="many2one_reference" options="{'model_field': 'lang'}"/></group></form>""")
    assert page(admin_client.get(f"{base}/{preview.id}")).xpath(
        '//input[@name="res_id"][@type="number"]')


def test_many2one_domains_are_evaluated_on_the_record(env, admin_client, composer, templates):
    partner_template, user_template = templates
    base = screen(env, "mail.compose.message", """<form><group>
        <field name="model" invisible="1"/>
        <field name="subject"/>
        <field name="template_id" domain="[('model', '=', model)]"/>
    </group></form>""")
    url = f"{base}/{composer.id}"
    form = admin_client.get(url)
    picker = page(form).xpath('//input[@name="template_id.text"]/..')[0]
    domain = json.loads(picker.get("data-m2o-domain"))
    assert domain == [["model", "=", "res.partner"]]
    reply = admin_client.json_call("/web/m2o/mail.template", {"term": "welcome",
                                                              "domain": domain},
                                   csrf=csrf_of(form))
    assert [item["name"] for item in reply["result"]] == ["Partner welcome"]
    # a record outside the domain is refused, picked or typed
    for picked, typed in ((str(user_template.id), "User welcome"), ("", "User welcome")):
        response = admin_client.post(url, data=form_values(admin_client.get(url), {
            "template_id": picked, "template_id.text": typed, "subject": "Kept"}))
        assert response.status_code == 422, picked
        assert "Nothing matches" in text_of(page(response), '//p[@class="o_field_error"]')[0]
    assert not composer.template_id
    response = admin_client.post(url, data=form_values(admin_client.get(url), {
        "template_id": "", "template_id.text": "welcome", "subject": "Kept"}))
    assert location(response) == url and composer.template_id == partner_template


def test_html_sources_keep_their_directives_with_a_sanitized_preview(env, admin_client,
                                                                     templates):
    template = templates[0]
    source = ('<p t-if="object.name">Dear <t t-out="object.name"/></p>'
              '<script>alert(1)</script><img src="x" onerror="alert(2)"/>')
    template.body_html = source
    url = f"/web/action/{env.ref('mail_core.action_mail_template').id}/record/{template.id}"
    form = admin_client.get(url)
    tree = page(form)
    assert tree.xpath('//textarea[@name="body_html"]/text()') == [source]
    preview = tree.xpath('//details[@data-html-preview]/div[@data-html-preview-body]')[0]
    assert "<script>alert(1)</script>" not in form.get_data(as_text=True)
    assert text_of(preview, ".") == ["Dear"]
    assert not preview.xpath(".//script | .//*[@t-if or @t-out or @onerror]")
    reply = admin_client.json_call("/web/html/preview", {"source": source},
                                   csrf=csrf_of(form))
    html = reply["result"]["html"]
    assert html.startswith("<p>Dear </p>")
    assert "t-" not in html and "script" not in html and "onerror" not in html
    edited = '<p t-foreach="[1, 2]" t-as="n">Line <t t-out="n"/></p>'
    response = admin_client.post(url, data=form_values(form, {"body_html": edited}))
    assert location(response) == url and template.body_html == edited
