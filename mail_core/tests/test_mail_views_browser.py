"""Outgoing mail servers and the Emails list in a real browser: Test Connection against a
real SMTP server shows its notification; the list's Action menu cancels the selection.

Debian's Chromium driven by Playwright on a live server (a committed copy of the test
database). Screenshots land in ``artifacts/``. Without Chromium or Playwright the tests
skip, unless ``CI`` is set (see ``tests/web/test_browser.py``, whose fixture it uses).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from postroom.testing.browser import DESKTOP, PASSWORD, log_in
from postroom.testing.smtp import SMTPPeer

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server: Any) -> dict[str, Any]:
    url, db = live_server
    with db.env() as env:
        env.ref("base.user_admin")._set_password(PASSWORD)
        return {"url": url, "db": db,
                "servers": env.ref("mail_core.action_ir_mail_server").id,
                "emails": env.ref("mail_core.action_mail_mail").id}


def test_test_connection_shows_the_servers_answer(browser: Any, site: dict[str, Any],
                                                  smtp_peer: SMTPPeer, artifacts: Path) -> None:
    from playwright.sync_api import expect
    with site["db"].env() as env:
        server = env["ir.mail_server"].create({
            "name": "Peer relay", "smtp_host": smtp_peer.host, "smtp_port": smtp_peer.port,
            "smtp_timeout": 5, "from_filter": "sales@example.com"})
        form_url = f"{site['url']}/web/action/{site['servers']}/record/{server.id}"
    page = log_in(browser, site["url"], DESKTOP)
    page.goto(form_url)
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Peer relay")
    page.get_by_role("button", name="Test Connection").click()
    notice = page.locator("main > div[role=status]")
    expect(notice).to_have_class("o_alert o_alert_success")
    expect(notice.locator("strong")).to_have_text("Connection Test Successful!")
    expect(notice).to_contain_text(f"Connected to {smtp_peer.host}:{smtp_peer.port} and the "
                                   "server accepts mail from sales@example.com.")
    expect(notice).not_to_contain_text("Done.")
    # still the server's form, usable as before
    assert page.url == form_url
    expect(page.get_by_role("button", name="Test Connection")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    page.screenshot(path=artifacts / "mail_server_test_connection_1280.png", full_page=True)
    assert smtp_peer.messages == []
    page.close()


def test_cancel_selected_emails_from_the_action_menu(browser: Any,
                                                     site: dict[str, Any],
                                                     artifacts: Path) -> None:
    from playwright.sync_api import expect
    later = datetime.datetime(2999, 1, 1)
    with site["db"].env() as env:
        mails = env["mail.mail"].create([
            {"subject": subject, "email_to": "someone@example.org", "scheduled_date": later}
            for subject in ("Invoice 1", "Invoice 2", "Invoice 3")])
        ids = mails.ids
    page = log_in(browser, site["url"], DESKTOP)
    list_url = f"{site['url']}/web/action/{site['emails']}"
    page.goto(list_url)
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Emails")
    page.get_by_role("checkbox", name="Select Invoice 1").check()
    page.get_by_role("checkbox", name="Select Invoice 3").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.locator("summary", has_text="Action").click()
    menu = page.locator(".o_bulk_bar .o_dropdown_menu")
    expect(menu.get_by_role("button")).to_have_text(["Cancel", "Retry", "Send Now"])
    page.screenshot(path=artifacts / "mail_mail_action_menu_1280.png")
    menu.get_by_role("button", name="Cancel").click()
    expect(page.locator("main > div[role=status]")).to_have_text("Cancel: done.")
    assert page.url == list_url
    with site["db"].env() as env:
        states = {mail.subject: mail.state for mail in env["mail.mail"].browse(ids)}
    assert states == {"Invoice 1": "cancel", "Invoice 2": "outgoing", "Invoice 3": "cancel"}
    page.close()
