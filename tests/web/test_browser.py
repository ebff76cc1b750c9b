"""The backend in a real browser: Debian's Chromium driven by Playwright, on a live server.

Screenshots land in ``artifacts/``; the ``browser`` fixture and what happens without
Chromium are in :mod:`postroom.testing.browser`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postroom.testing.browser import DESKTOP, PASSWORD, PHONE, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def server(live_server: Any) -> str:
    url, db = live_server
    with db.env() as env:
        env.ref("base.user_admin")._set_password(PASSWORD)
    return url


def test_scheduled_actions_in_the_browser(browser: Any, server: str, artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = log_in(browser, server, DESKTOP)
    page.screenshot(path=artifacts / "web_home_1280.png")

    # Settings → Technical → Scheduled Actions
    page.get_by_role("link", name="Settings").click()
    page.get_by_text("Technical", exact=True).click()
    page.get_by_role("link", name="Scheduled Actions").click()
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Scheduled Actions")

    # create a job through the form; the model is picked from the suggestions
    page.get_by_role("link", name="New").click()
    page.get_by_label("Name").fill("Browser job")
    page.get_by_role("combobox", name="Model").fill("Contact")
    page.get_by_role("option", name="Contact", exact=True).click()
    page.get_by_label("Method").fill("search_count")
    page.get_by_label("Execute Every").fill("2")
    page.get_by_label("Interval Unit").select_option("days")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Browser job")

    # edit it, then run it
    page.get_by_label("Name").fill("Browser job (edited)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Browser job (edited)")
    page.get_by_role("button", name="Run Manually").click()
    expect(page.get_by_role("status")).to_have_text("Done.")
    assert page.locator("#f_lastcall").inner_text().strip()
    page.screenshot(path=artifacts / "web_form_1280.png", full_page=True)

    # filter the list by text, then group it by model
    page.get_by_role("link", name="Scheduled Actions").first.click()
    page.get_by_role("searchbox", name="Search").fill("Browser")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page.locator("tbody tr.o_data_row")).to_have_count(1)
    page.locator("summary", has_text="Group By").click()
    page.get_by_label("Model").check()
    expect(page.locator("tr.o_group_row")).to_have_count(1)
    expect(page.locator("tr.o_group_row")).to_contain_text("Contact (1)")
    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page.locator("tr.o_group_row")).not_to_have_count(0)
    page.screenshot(path=artifacts / "web_list_1280.png", full_page=True)
    page.close()


def test_phone_width(browser: Any, server: str, artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{server}/web/login")
    page.screenshot(path=artifacts / "web_login_390.png")
    page.close()
    page = log_in(browser, server, PHONE)
    page.get_by_role("link", name="Settings").click()
    page.get_by_text("Technical", exact=True).click()
    page.get_by_role("link", name="Scheduled Actions").click()
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Scheduled Actions")
    page.screenshot(path=artifacts / "web_list_390.png", full_page=True)
    page.locator("a.o_row_link").first.click()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form overflows the phone's width ({width}px)"
    page.screenshot(path=artifacts / "web_form_390.png", full_page=True)
    page.close()


SEND_FORM = """<form><header>
    <button name="action_send_mail" type="object" string="Send by Email"/>
</header><sheet><group><field name="name"/><field name="email"/></group></sheet></form>"""


@pytest.fixture
def contact(live_server: Any, server: str) -> str:
    """The form URL of a contact with a Send by Email button and a template for contacts."""
    _url, db = live_server
    with db.env() as env:
        view = env["ir.ui.view"].create({"name": "browser.partner.form", "model": "res.partner",
                                         "priority": 1, "arch": SEND_FORM})
        action = env["ir.actions.act_window"].create({"name": "Contacts",
                                                      "res_model": "res.partner",
                                                      "view_id": view.id})
        env["mail.template"].create({
            "name": "Welcome", "model_id": env["ir.model"]._get_id("res.partner"),
            "subject": "Welcome {{ object.name }}",
            "body_html": '<p>Dear <t t-out="object.name"/>, welcome.</p>'})
        zoe = env["res.partner"].create({"name": "Zoe", "email": "zoe@example.org"})
        return f"{server}/web/action/{action.id}/record/{zoe.id}"


def test_send_by_email_in_a_dialog(browser: Any, server: str, contact: str,
                                   artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = log_in(browser, server, DESKTOP)
    page.goto(contact)
    dialog = page.locator("dialog.o_modal")

    # the composer opens over the contact; closing it leaves the contact as it was
    page.get_by_role("button", name="Send by Email").click()
    expect(dialog).to_be_visible()
    composer = page.frame_locator("dialog.o_modal iframe")
    expect(composer.get_by_role("heading", name="Send by Email")).to_be_visible()
    expect(composer.get_by_label("Subject")).to_have_value("Welcome Zoe")
    composer.get_by_role("link", name="Close").click()
    expect(dialog).to_have_count(0)
    assert page.url == contact

    # open it again, edit the subject, preview the body, send
    page.get_by_role("button", name="Send by Email").click()
    expect(dialog).to_be_visible()
    composer.get_by_label("Subject").fill("Welcome aboard, Zoe")
    composer.get_by_role("tab", name="Message").click()
    composer.get_by_text("Preview", exact=True).click()
    expect(composer.locator("[data-html-preview-body]")).to_contain_text("Dear Zoe, welcome.")
    page.screenshot(path=artifacts / "web_dialog_1280.png")
    composer.get_by_role("button", name="Send", exact=True).click()
    expect(dialog).to_have_count(0)
    expect(page.locator("main > div[role=status]")).to_have_text("Done.")
    assert page.url == contact
    expect(page.locator("#o_chatter")).to_contain_text("Dear Zoe, welcome.")
    page.screenshot(path=artifacts / "web_dialog_sent_1280.png", full_page=True)
    page.close()
