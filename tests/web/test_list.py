"""List views: search, filters, group-by, sorting, pages, totals, bulk actions, CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web.helpers import csrf_of, page, text_of

PEOPLE = [("Ada", "Paris", False, 3), ("Bob", "Lyon", False, 5), ("Cleo", "Paris", True, 7),
          ("Dan", "Oslo", True, 11), ("Eve", "Paris", False, 13)]

LIST_ARCH = """<list default_order="name">
    <field name="name"/>
    <field name="email" widget="email"/>
    <field name="city"/>
    <field name="color" string="Score" sum="Total"/>
    <field name="is_company"/>
</list>"""
SEARCH_ARCH = """<search>
    <field name="name"/>
    <field name="email"/>
    <filter name="companies" string="Companies" domain="[('is_company', '=', True)]"/>
    <filter name="people" string="People" domain="[('is_company', '=', False)]"/>
    <separator/>
    <filter name="in_paris" string="In Paris" domain="[('city', '=', 'Paris')]"/>
    <group string="Group By">
        <filter name="by_city" string="City" context="{'group_by': 'city'}"/>
    </group>
</search>"""


@pytest.fixture
def partners(env):
    return env["res.partner"].create([
        {"name": name, "city": city, "is_company": company, "color": score, "ref": "webtest",
         "email": f"{name.lower()}@example.com"} for name, city, company, score in PEOPLE])


@pytest.fixture
def action(env, partners):
    views = env["ir.ui.view"]
    list_view = views.create({"name": "test.partner.list", "model": "res.partner",
                              "arch": LIST_ARCH, "priority": 1})
    search_view = views.create({"name": "test.partner.search", "model": "res.partner",
                                "arch": SEARCH_ARCH, "priority": 1})
    return env["ir.actions.act_window"].create({
        "name": "Test Contacts", "res_model": "res.partner", "domain": "[('ref', '=', 'webtest')]",
        "view_id": list_view.id, "search_view_id": search_view.id, "limit": 3})


def headers(tree):
    """The column titles (without the sort arrow, which is hidden from screen readers)."""
    return [text.strip("▲▼ ") for text in text_of(tree, "//table/thead/tr/th")][1:]


def names(response):
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return text_of(page(response), '//tr[contains(@class, "o_data_row")]/td[2]')


def test_the_list_shows_the_columns_of_its_view(admin_client, action):
    tree = page(admin_client.get(f"/web/action/{action.id}"))
    assert headers(tree) == ["Name", "Email", "City", "Score", "Is a Company"]
    first = tree.xpath('//tr[contains(@class, "o_data_row")]')[0]
    assert first.xpath('.//a[@class="o_row_link"]/@href')[0].startswith(
        f"/web/action/{action.id}/record/")
    assert first.xpath('.//td[3]//a/@href') == ["mailto:ada@example.com"]


def test_search_box_filters_and_defaults(admin_client, action):
    url = f"/web/action/{action.id}"
    assert names(admin_client.get(f"{url}?s=1&q=bob")) == ["Bob"]
    assert names(admin_client.get(f"{url}?s=1&q=eve@example")) == ["Eve"]
    assert names(admin_client.get(f"{url}?s=1&filter=companies")) == ["Cleo", "Dan"]
    # filters of one block are OR-ed, blocks are AND-ed
    assert len(names(admin_client.get(f"{url}?s=1&filter=companies&filter=people"))) == 3
    assert names(admin_client.get(f"{url}?s=1&filter=companies&filter=in_paris")) == ["Cleo"]
    action.context = "{'search_default_companies': 1}"
    tree = page(admin_client.get(url))
    assert tree.xpath('//input[@name="filter"][@value="companies"]/@checked')
    assert names(admin_client.get(url)) == ["Cleo", "Dan"]
    assert len(names(admin_client.get(f"{url}?s=1"))) == 3


def test_group_by(admin_client, action):
    tree = page(admin_client.get(f"/web/action/{action.id}?s=1&groupby=city"))
    assert text_of(tree, '//tr[@class="o_group_row"]') == ["Lyon (1)", "Oslo (1)", "Paris (3)"]
    assert len(tree.xpath('//tr[contains(@class, "o_data_row")]')) == 5
    assert tree.xpath('//input[@name="groupby"][@value="city"]/@checked')
    assert text_of(tree, '//span[@class="o_pager_value"]') == ["1–3 / 3 groups"]
    ignored = page(admin_client.get(f"/web/action/{action.id}?s=1&groupby=password"))
    assert not ignored.xpath('//tr[@class="o_group_row"]')


def test_group_by_dates(env, admin_client):
    action = env.ref("web.action_cron")
    env["ir.cron"].create([{
        "name": f"Dated job {day}", "model_id": env["ir.model"]._get_id("res.partner"),
        "function": "search_count", "nextcall": f"2031-03-0{day} 10:00:00"} for day in (4, 4, 5)])
    tree = page(admin_client.get(f"/web/action/{action.id}?s=1&q=Dated&groupby=nextcall:day"))
    assert text_of(tree, '//tr[@class="o_group_row"]') == ["04 Mar 2031 (2)", "05 Mar 2031 (1)"]


def test_sorting(admin_client, action):
    url = f"/web/action/{action.id}"
    tree = page(admin_client.get(f"{url}?s=1&order=name+desc"))
    assert names(admin_client.get(f"{url}?s=1&order=name+desc")) == ["Eve", "Dan", "Cleo"]
    header = tree.xpath('//th[@aria-sort]')[0]
    assert header.get("aria-sort") == "descending"
    assert header.xpath(".//a/@href") == [f"{url}?s=1&order=name+asc"]
    assert names(admin_client.get(f"{url}?s=1&order=color+desc")) == ["Eve", "Dan", "Cleo"]
    # sorting on something that is not a stored field falls back to the default order
    assert names(admin_client.get(f"{url}?s=1&order=display_name+desc")) == ["Ada", "Bob", "Cleo"]


def test_pages_and_totals(admin_client, action):
    url = f"/web/action/{action.id}"
    tree = page(admin_client.get(url))
    assert text_of(tree, '//span[@class="o_pager_value"]') == ["1–3 / 5"]
    assert tree.xpath('//a[@rel="next"]/@href') == [f"{url}?s=1&page=2"]
    assert not tree.xpath('//a[@rel="prev"]')
    assert text_of(tree, "//tfoot//td") == ["", "", "", "", "15", ""]
    second = admin_client.get(f"{url}?s=1&page=2")
    assert names(second) == ["Dan", "Eve"]
    assert text_of(page(second), '//span[@class="o_pager_value"]') == ["4–5 / 5"]


def test_bulk_archive_and_delete(env, admin_client, action, partners):
    url = f"/web/action/{action.id}"
    listing = admin_client.get(url)
    token = csrf_of(listing)
    ada, bob = partners[0], partners[1]
    response = admin_client.post(f"{url}/bulk", data={
        "csrf_token": token, "ids": [ada.id, bob.id], "operation": "archive",
        "back": f"{url}?s=1&q=a"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}?s=1&q=a")
    assert not ada.active and not bob.active
    listing = admin_client.get(url)
    assert "2 records archived." in text_of(page(listing), '//*[@role="status"]')
    assert names(admin_client.get(f"{url}?s=1&filter=archived")) == ["Ada", "Bob"]
    admin_client.post(f"{url}/bulk", data={"csrf_token": token, "ids": [ada.id],
                                           "operation": "unarchive"})
    assert ada.active
    admin_client.post(f"{url}/bulk", data={"csrf_token": token, "ids": [ada.id, bob.id],
                                           "operation": "delete", "back": "https://evil.example"})
    assert not (ada | bob).exists()


def test_bulk_errors_are_shown(env, admin_client):
    action = env.ref("web.action_users")
    token = csrf_of(admin_client.get(f"/web/action/{action.id}"))
    admin = env.ref("base.user_admin")
    response = admin_client.post(f"/web/action/{action.id}/bulk", data={
        "csrf_token": token, "ids": [1], "operation": "delete"})
    assert response.status_code == 303
    message = text_of(page(admin_client.get(f"/web/action/{action.id}")), '//*[@role="status"]')
    assert message == ["The superuser cannot be deleted."]
    assert admin.exists()


def test_csv_export(admin_client, action, partners):
    url = f"/web/action/{action.id}"
    response = admin_client.get(f"{url}/export?s=1&filter=in_paris&order=name+desc")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="res_partner.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["ID", "Name", "Email", "City", "Score", "Is a Company"]
    assert [row[1] for row in rows[1:]] == ["Eve", "Cleo", "Ada"]
    assert rows[1][1:] == ["Eve", "eve@example.com", "Paris", "13", "No"]
    token = csrf_of(admin_client.get(url))
    selected = admin_client.post(f"{url}/export", data={
        "csrf_token": token, "ids": [partners[1].id, partners[3].id]})
    rows = list(csv.reader(io.StringIO(selected.get_data(as_text=True))))
    assert [row[1] for row in rows[1:]] == ["Bob", "Dan"]


def test_csv_export_neutralises_formulas(env, admin_client, action, partners):
    partners[0].name = "=HYPERLINK(\"http://evil.example\")"
    response = admin_client.get(f"/web/action/{action.id}/export?s=1&q=evil")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil.example\")"


def test_default_views_are_generated(env, admin_client):
    model = "res.partner.category"
    assert not env["ir.ui.view"].search([("model", "=", model)])
    action = env["ir.actions.act_window"].create({"name": "Tags", "res_model": model})
    env[model].create({"name": "VIP", "color": 4})
    tree = page(admin_client.get(f"/web/action/{action.id}?s=1&q=VIP"))
    assert headers(tree) == ["Name", "Color", "Active"]
    assert text_of(tree, '//tr[contains(@class, "o_data_row")]/td[2]') == ["VIP"]
    form = page(admin_client.get(f"/web/action/{action.id}/new"))
    labels = text_of(form, '//*[@class="o_form_label"]')
    assert labels[:3] == ["Name", "Color", "Active"]
    assert form.xpath('//input[@name="name"][@required]')
