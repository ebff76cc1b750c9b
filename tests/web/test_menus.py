"""The app menu and the menu tree, filtered by the user's groups."""

from __future__ import annotations

from tests.web.helpers import page, text_of

TECHNICAL = ["Users", "Groups", "Models", "Attachments", "Scheduled Actions",
             "System Parameters", "Sequences", "Views", "Menus"]


def test_settings_technical_holds_the_technical_menus(env, admin_client):
    home = page(admin_client.get("/web"))
    assert "Settings" in text_of(home, '//span[@class="o_app_label"]')
    cron = env.ref("web.action_cron")
    tree = page(admin_client.get(f"/web/action/{cron.id}"))
    assert text_of(tree, '//a[@class="o_app_name"]') == ["Settings"]
    technical = tree.xpath('//ul[@class="o_sections"]/li/details[summary="Technical"]')[0]
    items = text_of(technical, './/a[@class="o_menu_item"]')
    assert [item for item in items if item in TECHNICAL] == TECHNICAL  # addons add more
    headings = text_of(technical, './/span[@class="o_menu_heading"]')
    for heading in ("Users & Groups", "Database Structure", "Automation", "Parameters",
                    "User Interface"):
        assert heading in headings
    links = technical.xpath('.//a[@class="o_menu_item"]/@href')
    assert f"/web/action/{cron.id}" in links
    for link in links:
        assert admin_client.get(link).status_code == 200, link


def test_an_app_opens_its_first_action(env, admin_client):
    response = admin_client.get(f"/web/menu/{env.ref('web.menu_settings').id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/web/action/{env.ref('web.action_users').id}")


def test_users_without_settings_rights_do_not_see_settings(env, user_client):
    home = user_client.get("/web")
    assert home.status_code == 200
    assert "Settings" not in text_of(page(home), '//span[@class="o_app_label"]')
    assert user_client.get(f"/web/menu/{env.ref('web.menu_settings').id}").status_code == 404
    response = user_client.get(f"/web/action/{env.ref('web.action_cron').id}")
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_menus_show_to_the_groups_they_name(env, user_client):
    action = env["ir.actions.act_window"].create({"name": "Contacts", "res_model": "res.partner"})
    app = env["ir.ui.menu"].create({"name": "Contacts", "sequence": 1,
                                    "groups_id": [(6, 0, [env.ref("base.group_user").id])]})
    env["ir.ui.menu"].create({"name": "All Contacts", "parent_id": app.id,
                              "action": f"ir.actions.act_window,{action.id}"})
    secret = env["ir.ui.menu"].create({"name": "Secret", "sequence": 2,
                                       "groups_id": [(6, 0, [env.ref("base.group_system").id])]})
    env["ir.ui.menu"].create({"name": "Inside", "parent_id": secret.id,
                              "action": f"ir.actions.act_window,{action.id}"})
    apps = text_of(page(user_client.get("/web")), '//span[@class="o_app_label"]')
    assert "Contacts" in apps and "Secret" not in apps
    response = user_client.get(f"/web/menu/{app.id}")
    assert response.headers["Location"].endswith(f"/web/action/{action.id}")
    tree = page(user_client.get(f"/web/action/{action.id}"))
    assert text_of(tree, '//a[@class="o_app_name"]') == ["Contacts"]
    assert text_of(tree, '//ul[@class="o_sections"]//a') == ["All Contacts"]
