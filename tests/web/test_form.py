"""Form views: create, edit, validation next to the fields, record operations, buttons."""

from __future__ import annotations

import pytest

from tests.web.helpers import USER_PASSWORD, csrf_of, form_values, page, text_of


@pytest.fixture
def cron_action(env):
    return env.ref("web.action_cron")


@pytest.fixture
def job(env):
    return env["ir.cron"].create({
        "name": "Web job", "model_id": env["ir.model"]._get_id("res.partner"),
        "function": "search_count", "interval_number": 1, "interval_type": "days"})


def field_error(tree, name):
    """The error shown for input ``name``, checking that the input points to it."""
    inputs = tree.xpath(f'//*[@name="{name}" or @name="{name}.text"][@aria-invalid="true"]')
    assert inputs, f"{name} is not marked invalid"
    error_id = inputs[0].get("aria-describedby")
    return text_of(tree, f'//*[@id="{error_id}"]')[0]


def test_create_a_record(env, admin_client, cron_action):
    url = f"/web/action/{cron_action.id}"
    new = admin_client.get(f"{url}/new")
    assert new.status_code == 200
    values = form_values(new, {"name": "Nightly count", "model_id.text": "Contact",
                               "function": "search_count", "interval_number": "3",
                               "interval_type": "hours", "nextcall": "2030-01-02T08:30"})
    response = admin_client.post(f"{url}/new", data=values)
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    job = env["ir.cron"].search([("name", "=", "Nightly count")])
    assert response.headers["Location"].endswith(f"{url}/record/{job.id}")
    assert job.model_id.model == "res.partner"
    assert (job.interval_number, job.interval_type) == (3, "hours")
    assert str(job.nextcall) == "2030-01-02 08:30:00"
    shown = page(admin_client.get(f"{url}/record/{job.id}"))
    assert text_of(shown, '//*[@role="status"]') == ["Saved."]
    assert shown.xpath('//input[@name="nextcall"]/@value') == ["2030-01-02T08:30:00"]


def test_edit_and_discard(env, admin_client, cron_action, job):
    url = f"/web/action/{cron_action.id}/record/{job.id}"
    form = admin_client.get(url)
    tree = page(form)
    assert tree.xpath('//a[text()="Discard"]/@href') == [url]
    response = admin_client.post(url, data=form_values(form, {"name": "Renamed job",
                                                               "priority": "2", "active": None}))
    assert response.status_code == 303
    assert (job.name, job.priority, job.active) == ("Renamed job", 2, False)
    # the times shown in the user's time zone are saved in UTC
    env.ref("base.user_admin").tz = "Europe/Paris"
    admin_client.post("/web/logout", data={"csrf_token": csrf_of(form)})
    client = admin_client
    client.login("admin", "admin-secret")
    form = client.get(url)
    client.post(url, data=form_values(form, {"nextcall": "2030-06-01T10:00"}))
    assert str(job.nextcall) == "2030-06-01 08:00:00"


def test_validation_errors_are_shown_next_to_the_fields(env, admin_client, cron_action):
    url = f"/web/action/{cron_action.id}/new"
    values = form_values(admin_client.get(url), {
        "name": "", "function": "search_count", "interval_number": "many",
        "model_id.text": "No such model"})
    response = admin_client.post(url, data=values)
    assert response.status_code == 422
    tree = page(response)
    assert text_of(tree, '//*[@role="alert"]') == ["Some fields need attention."]
    assert field_error(tree, "name") == "This field is required."
    assert field_error(tree, "interval_number") == "Enter a whole number."
    assert field_error(tree, "model_id").startswith("Nothing matches “No such model”")
    # what the user typed is kept
    assert tree.xpath('//input[@name="function"]/@value') == ["search_count"]
    assert tree.xpath('//input[@name="interval_number"]/@value') == ["many"]
    assert not env["ir.cron"].search([("function", "=", "search_count"),
                                      ("name", "=", False)])


def test_model_constraints_are_reported(env, admin_client, cron_action, job):
    url = f"/web/action/{cron_action.id}/record/{job.id}"
    response = admin_client.post(url, data=form_values(admin_client.get(url),
                                                       {"function": "no_such_method",
                                                        "name": "Changed"}))
    assert response.status_code == 422
    assert "has no method 'no_such_method'" in text_of(page(response), '//*[@role="alert"]')[0]
    assert (job.name, job.function) == ("Web job", "search_count")


def test_required_messages_of_the_orm_point_at_their_field(env, admin_client):
    action = env.ref("web.action_config_parameters")
    url = f"/web/action/{action.id}/new"
    response = admin_client.post(url, data=form_values(admin_client.get(url), {
        "key": "web.empty", "value": "  "}))
    assert response.status_code == 422
    assert field_error(page(response), "value") == "This field is required."


def test_delete_duplicate_archive(env, admin_client, cron_action, job):
    url = f"/web/action/{cron_action.id}/record/{job.id}"
    token = csrf_of(admin_client.get(url))
    tree = page(admin_client.get(url))
    assert text_of(tree, '//div[@class="o_cp_buttons"]//form/button') == ["Duplicate", "Archive", "Delete"]
    response = admin_client.post(f"{url}/duplicate", data={"csrf_token": token})
    copy = env["ir.cron"].search([("name", "=", "Web job"), ("id", "!=", job.id)])
    assert copy and response.headers["Location"].endswith(f"/record/{copy.id}")
    admin_client.post(f"{url}/archive", data={"csrf_token": token})
    assert not job.active
    assert "Unarchive" in text_of(page(admin_client.get(url)), '//div[@class="o_cp_buttons"]//form/button')
    admin_client.post(f"{url}/unarchive", data={"csrf_token": token})
    assert job.active
    response = admin_client.post(f"{url}/delete", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/web/action/{cron_action.id}")
    assert not job.exists()
    assert admin_client.get(url).status_code == 404


def test_buttons_call_their_method(env, admin_client, cron_action, job):
    url = f"/web/action/{cron_action.id}/record/{job.id}"
    form = admin_client.get(url)
    assert page(form).xpath('//button[@name="call_method"]/@value') == ["method_direct_trigger"]
    response = admin_client.post(url, data=form_values(form, {
        "call_method": "method_direct_trigger", "name": "Run from the form"}))
    assert response.status_code == 303
    assert job.lastcall and job.name == "Run from the form"
    assert text_of(page(admin_client.get(url)), '//*[@role="status"]') == ["Done."]


def test_only_the_buttons_of_the_form_can_be_called(env, admin_client, cron_action, job):
    url = f"/web/action/{cron_action.id}/record/{job.id}"
    response = admin_client.post(url, data=form_values(admin_client.get(url),
                                                       {"call_method": "unlink"}))
    assert response.status_code == 403
    assert job.exists()
    new = f"/web/action/{cron_action.id}/new"
    response = admin_client.post(new, data=form_values(admin_client.get(new), {
        "call_method": "method_direct_trigger", "name": "x", "model_id.text": "Contact",
        "function": "search_count"}))
    assert response.status_code == 403, "Run Manually is invisible on a new record"


def test_buttons_check_the_users_rights(env, make_user, clients, cron_action, job):
    make_user("reader@example.com")
    env["ir.model.access"].create({
        "name": "cron readers", "model_id": env["ir.model"]._get_id("ir.cron"),
        "group_id": env.ref("base.group_user").id, "perm_read": True})
    env.registry.clear_caches()
    client = clients("reader@example.com", USER_PASSWORD)
    url = f"/web/action/{cron_action.id}/record/{job.id}"
    form = client.get(url)
    assert form.status_code == 200
    tree = page(form)
    assert not tree.xpath('//button[text()="Save"]'), "a reader cannot edit"
    assert tree.xpath('//span[@id="f_function"]')
    response = client.post(url, data=form_values(form, {"call_method": "method_direct_trigger"}))
    assert response.status_code == 403
    assert "not allowed to modify" in response.get_data(as_text=True)
    assert not job.lastcall


def test_buttons_restricted_to_a_group(env, user_client):
    view = env["ir.ui.view"].create({"name": "test.partner.form", "model": "res.partner",
                                     "priority": 1, "arch": """
        <form><header>
            <button name="copy" type="object" string="Clone" groups="base.group_system"/>
        </header><sheet><group><field name="name"/></group></sheet></form>"""})
    action = env["ir.actions.act_window"].create({"name": "Contacts", "res_model": "res.partner",
                                                  "view_id": view.id})
    partner = env["res.partner"].create({"name": "Grace"})
    url = f"/web/action/{action.id}/record/{partner.id}"
    form = user_client.get(url)
    assert not page(form).xpath('//button[@value="copy"]')
    response = user_client.post(url, data=form_values(form, {"call_method": "copy"}))
    assert response.status_code == 403
    assert env["res.partner"].search_count([("name", "=", "Grace")]) == 1


def test_one2many_lines_are_edited_inline(env, admin_client):
    action = env.ref("web.action_groups")
    group = env["res.groups"].create({"name": "Web testers"})
    line = env["ir.model.access"].create({
        "name": "testers partners", "model_id": env["ir.model"]._get_id("res.partner"),
        "group_id": group.id, "perm_read": True})
    url = f"/web/action/{action.id}/record/{group.id}"
    form = admin_client.get(url)
    tree = page(form)
    assert tree.xpath(f'//input[@name="model_access.{line.id}.name"]/@value') == [
        "testers partners"]
    assert tree.xpath('//template[@data-o2m-template]')
    values = form_values(form, {
        f"model_access.{line.id}.perm_write": "1",
        "model_access.new0.name": "testers tags",
        "model_access.new0.model_id.text": "Contact Tag",
        "model_access.new0.perm_read": "1"})
    response = admin_client.post(url, data=values)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    assert line.perm_write
    added = group.model_access - line
    assert (added.name, added.model_id.model, added.perm_read) == (
        "testers tags", "res.partner.category", True)
    # a line without its required name is reported in its row; removing a line deletes it
    form = admin_client.get(url)
    values = form_values(form, {f"model_access.{line.id}.delete": "1",
                                "model_access.new0.perm_read": "1"})
    response = admin_client.post(url, data=values)
    assert response.status_code == 422
    assert field_error(page(response), "model_access.new0.name") == "This field is required."
    values = form_values(form, {f"model_access.{line.id}.delete": "1"})
    assert admin_client.post(url, data=values).status_code == 303
    assert not line.exists() and group.model_access == added


def test_many2many_checkboxes_and_password(env, admin_client, make_user, clients):
    user = make_user("newbie@example.com")
    action = env.ref("web.action_users")
    url = f"/web/action/{action.id}/record/{user.id}"
    form = admin_client.get(url)
    system = env.ref("base.group_system")
    boxes = page(form).xpath('//fieldset[@id="f_groups_id"]//input[@type="checkbox"]/@value')
    assert str(system.id) in boxes
    checked = form_values(form).getlist("groups_id")
    response = admin_client.post(url, data=form_values(form, {
        "groups_id": [*checked, str(system.id)], "password": "a-new-password"}))
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    assert user.has_group("base.group_system")
    clients("newbie@example.com", "a-new-password")
    # an empty password input leaves the password alone
    admin_client.post(url, data=form_values(admin_client.get(url), {"name": "Newbie"}))
    clients("newbie@example.com", "a-new-password")


def test_many2one_pickers_suggest_records(env, admin_client):
    env["res.partner"].create([{"name": "Picker Ada"}, {"name": "Picker Bob"}])
    token = csrf_of(admin_client.get("/web"))
    reply = admin_client.json_call("/web/m2o/res.partner", {"term": "Picker", "limit": 5},
                                   csrf=token)
    assert sorted(item["name"] for item in reply["result"]) == ["Picker Ada", "Picker Bob"]
    reply = admin_client.json_call("/web/m2o/no.such.model", {"term": "x"}, csrf=token)
    assert reply["error"]["code"] == 404


def test_form_sidebar_shows_what_addons_attach(env, admin_client, cron_action, job, monkeypatch):
    from markupsafe import Markup, escape
    extension = type(env["web.form.extension"])

    def sidebar(self, record):
        return [Markup('<section class="test_widget">{}</section>').format(
            escape(record.display_name or "new"))]
    monkeypatch.setattr(extension, "_form_sidebar", sidebar)
    tree = page(admin_client.get(f"/web/action/{cron_action.id}/record/{job.id}"))
    assert text_of(tree, '//aside[@class="o_form_sidebar"]/section') == ["Web job"]
    assert not tree.xpath('//form[@id="o_form"]//section[@class="test_widget"]')
    tree = page(admin_client.get(f"/web/action/{cron_action.id}/new"))
    assert text_of(tree, '//aside[@class="o_form_sidebar"]/section') == ["new"]
