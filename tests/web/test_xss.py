"""What users type is shown as text, never as markup."""

from __future__ import annotations

from tests.web.helpers import USER_PASSWORD, csrf_of, page, text_of

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'


def assert_escaped(response):
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[-1500:]
    assert SCRIPT not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    return page(response)


def test_names_are_escaped_in_lists_forms_and_messages(env, admin_client):
    company = env["res.partner"].create({"name": SCRIPT, "is_company": True, "city": SCRIPT})
    person = env["res.partner"].create({"name": SCRIPT, "parent_id": company.id,
                                        "email": ATTRIBUTE, "comment": f"<p>Hi</p>{SCRIPT}",
                                        "category_id": [(0, 0, {"name": SCRIPT})]})
    view = env["ir.ui.view"].create({"name": "xss.partner.list", "model": "res.partner",
                                     "priority": 1, "arch": """<list>
        <field name="name"/><field name="email" widget="email"/><field name="parent_id"/>
        <field name="category_id"/><field name="comment"/></list>"""})
    search = env["ir.ui.view"].create({"name": "xss.partner.search", "model": "res.partner",
                                       "priority": 1, "arch": """<search><field name="name"/>
        <filter name="by_city" string="City" context="{'group_by': 'city'}"/></search>"""})
    action = env["ir.actions.act_window"].create({
        "name": SCRIPT, "res_model": "res.partner", "view_id": view.id,
        "search_view_id": search.id, "domain": f"[('id', 'in', {[company.id, person.id]})]"})
    url = f"/web/action/{action.id}"
    tree = assert_escaped(admin_client.get(url))
    assert text_of(tree, "//h1") == [SCRIPT]
    assert SCRIPT in text_of(tree, '//tr[contains(@class, "o_data_row")]/td[2]')
    assert tree.xpath('//a[starts-with(@href, "mailto:")]/@href') == [f"mailto:{ATTRIBUTE}"]
    assert_escaped(admin_client.get(f"{url}?s=1&groupby=city&q=" + "%3Cscript%3E"))
    form = assert_escaped(admin_client.get(f"{url}/record/{person.id}"))
    assert form.xpath('//input[@name="name"]/@value') == [SCRIPT]
    assert form.xpath('//input[@name="email"]/@value') == [ATTRIBUTE]
    assert_escaped(admin_client.get(f"{url}/record/{company.id}"))
    response = admin_client.post(f"{url}/record/{person.id}/delete",
                                 data={"csrf_token": csrf_of(admin_client.get(url))})
    assert response.status_code == 303
    tree = assert_escaped(admin_client.get(url))
    assert text_of(tree, '//*[@role="status"]') == [f"{SCRIPT}, {SCRIPT} was deleted."]


def test_html_fields_are_sanitized_when_shown(env, make_user, clients):
    make_user("viewer@example.com")
    client = clients("viewer@example.com", USER_PASSWORD)
    user = env["res.users"].search([("login", "=", "viewer@example.com")])
    env.cr.execute("UPDATE res_users SET signature = %s WHERE id = %s",
                   (f"<p>Regards</p>{SCRIPT}<img src=x onerror=alert(3)>", user.id))
    env.invalidate_all()
    action = env["ir.actions.act_window"].create({"name": "People", "res_model": "res.users"})
    response = client.get(f"/web/action/{action.id}/record/{user.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert SCRIPT not in body and "onerror=alert(3)" not in body
