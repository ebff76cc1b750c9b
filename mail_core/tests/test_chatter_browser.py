"""The chatter in a real browser: a message reaches the SMTP server, a note does not.

Debian's Chromium driven by Playwright on a live server (a committed copy of the
test database) with a real SMTP peer; the queue is run as its cron job runs it.
Screenshots land in ``artifacts/``. Without Chromium or Playwright the test skips,
unless ``CI`` is set (see ``tests/web/test_browser.py``, whose fixture it uses).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from postroom.testing.browser import DESKTOP, PASSWORD, PHONE, log_in
from postroom.testing.smtp import SMTPPeer

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(live_server: Any, smtp_peer: SMTPPeer) -> dict[str, Any]:
    """A contact followed by a customer, an administrator who reads notifications in
    Postroom, and outgoing mail to the SMTP peer."""
    url, db = live_server
    with db.env() as env:
        admin = env.ref("base.user_admin")
        admin._set_password(PASSWORD)
        admin.write({"notification_type": "inbox", "email": "admin@example.com"})
        env["ir.config_parameter"].set_param("web.base.url", url)
        env["ir.mail_server"].search([]).write({"active": False})
        env["ir.mail_server"].create({"name": "Peer", "smtp_host": smtp_peer.host,
                                      "smtp_port": smtp_peer.port, "smtp_timeout": 5})
        env["ir.actions.act_window"].create({"name": "Contacts", "res_model": "res.partner"})
        acme = env["res.partner"].create({"name": "Acme Corporation"})
        carla = env["res.partner"].create({"name": "Carla Customer",
                                           "email": "carla@example.org"})
        bob = env["res.partner"].create({"name": "Bob Nomail"})
        acme.message_post(body="Welcome aboard!", message_type="comment",
                          subtype_xmlid="mail_core.mt_comment", partner_ids=bob.ids)
        acme.message_subscribe([carla.id])
        acme.message_post(body="Could you quote 40 chairs?", message_type="email",
                          author_id=carla.id, subtype_xmlid="mail_core.mt_comment",
                          attachments=[("chairs.pdf", b"%PDF-1.4 " + b"0" * 24_000)])
        return {"url": url, "db": db, "record_url": f"{url}/web/record/res.partner/{acme.id}",
                "acme_id": acme.id}


def test_message_is_emailed_and_note_is_not(browser: Any, shop: dict[str, Any],
                                            smtp_peer: SMTPPeer, artifacts: Path) -> None:
    from playwright.sync_api import expect
    page = log_in(browser, shop["url"], DESKTOP)
    page.goto(shop["record_url"])  # the link of notification emails
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Acme Corporation")
    chatter = page.locator("#o_chatter")
    expect(chatter.get_by_text("Followers: Carla Customer")).to_be_hidden()  # composer closed

    chatter.get_by_role("button", name="Send message").click()
    expect(chatter.get_by_text("Followers: Carla Customer")).to_be_visible()
    chatter.get_by_role("textbox", name="Send message").fill("Your order shipped today.")
    chatter.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Message sent.")

    chatter.get_by_role("button", name="Log note").click()
    chatter.get_by_role("textbox", name="Log note").fill("Internal: the customer is a VIP.")
    chatter.get_by_role("button", name="Log", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Note logged.")
    messages = chatter.locator(".o_chatter_messages > li")
    expect(messages.first).to_contain_text("Internal: the customer is a VIP.")
    expect(messages.nth(1)).to_contain_text("Waiting to be sent to Carla Customer")

    # the queue delivers what was queued: the message, never the note
    with shop["db"].env() as env:
        env["mail.mail"].process_email_queue()
    [received] = smtp_peer.wait_for(1)
    assert received.rcpt_tos == ["carla@example.org"]
    body = received.message.get_body(("html",)).get_content()
    assert "Your order shipped today." in body
    assert f"/web/record/res.partner/{shop['acme_id']}" not in body, "no backend link for customers"
    assert not [m for m in smtp_peer.messages if b"VIP" in m.data]

    page.reload()
    messages = chatter.locator(".o_chatter_messages > li")
    expect(messages.nth(1)).to_contain_text("Sent to Carla Customer")
    expect(messages.nth(3).locator("summary")).to_have_text("Not delivered to Bob Nomail")
    expect(messages.nth(3).locator(".o_delivery_reason")).to_have_text(
        "The recipient has no email address.")
    page.locator(".o_chatter_followers summary").click()
    expect(chatter.locator(".o_follower")).to_have_count(2)
    chatter.screenshot(path=artifacts / "chatter_followers_1280.png")
    page.locator(".o_chatter_followers summary").click()
    page.screenshot(path=artifacts / "chatter_form_1280.png", full_page=True)
    chatter.get_by_role("button", name="Send message").click()
    chatter.screenshot(path=artifacts / "chatter_1280.png")

    # add a follower with the contact picker
    page.locator(".o_chatter_followers summary").click()
    chatter.get_by_role("combobox", name="Add a follower").fill("Bob")
    chatter.get_by_role("option", name="Bob Nomail").click()
    expect(chatter.get_by_role("checkbox", name="Bob Nomail")).to_be_checked()
    chatter.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status").first).to_have_text("Followers added.")
    expect(chatter.locator(".o_chatter_followers summary")).to_have_text("3")
    page.close()

    page = log_in(browser, shop["url"], PHONE)
    page.goto(shop["record_url"])
    chatter = page.locator("#o_chatter")
    chatter.get_by_role("button", name="Send message").click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the chatter overflows the phone's width ({width}px)"
    chatter.screenshot(path=artifacts / "chatter_390.png")
    page.close()


def test_inbox_in_the_browser(browser: Any, shop: dict[str, Any], artifacts: Path
                              ) -> None:
    from playwright.sync_api import expect
    with shop["db"].env() as env:
        admin = env.ref("base.user_admin")
        colleague = env["res.users"].create({
            "name": "Ines Support", "login": "ines@example.com", "email": "ines@example.com",
            "groups_id": [(6, 0, [env.ref("base.group_user").id])]})
        acme = env["res.partner"].browse(shop["acme_id"])
        acme.message_subscribe([admin.partner_id.id])
        acme.with_user(colleague).message_post(
            body="Acme asked for a quote on 40 chairs.", message_type="comment",
            subtype_xmlid="mail_core.mt_comment")
        acme.with_user(colleague).message_post(
            body="Their buyer prefers calls after 2 pm.", message_type="comment",
            partner_ids=admin.partner_id.ids)  # notes reach the people named only
    page = log_in(browser, shop["url"], DESKTOP)
    page.get_by_role("link", name="Discuss").click()
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Inbox")
    items = page.locator(".o_inbox_messages > li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Their buyer prefers calls after 2 pm.")
    expect(items.first.locator(".o_message_badge")).to_have_text("Note")
    page.screenshot(path=artifacts / "inbox_1280.png", full_page=True)

    items.first.get_by_role("button", name="Mark as read").click()
    expect(items).to_have_count(1)
    items.first.get_by_role("link", name="Acme Corporation").click()
    expect(page.locator(".o_breadcrumb h1")).to_have_text("Acme Corporation")
    page.go_back()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("All caught up")).to_be_visible()
    page.close()
