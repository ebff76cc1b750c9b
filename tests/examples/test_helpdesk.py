"""The Helpdesk example addon: tickets with a chatter, the mail gateway, the backend screens,
and the demo data a fresh ``postroom serve --demo`` shows."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import html

from postroom import fields
from postroom.exceptions import AccessError
from postroom.modules.loader import AddonLoader
from postroom.orm.environment import SUPERUSER_ID, Environment
from postroom.orm.registry import Registry
from postroom.testing import plugin
from postroom.testing.dovecot import Dovecot
from postroom.testing.http import TestClient, shared_cursor_app

PASSWORD = "helpdesk-admin-pw"
NUMBER = re.compile(r"^HD/\d{4}/\d{4}$")


def make_user(env: Environment, login: str, *groups: str) -> Any:
    return env["res.users"].create({
        "name": login.title(), "login": login, "email": f"{login}@example.com",
        "notification_type": "inbox",
        "groups_id": [(6, 0, [env.ref(group).id for group in groups or ("base.group_user",)])],
    })


def raw_mail(subject: str, sender: str = "Ann Smith <ann@example.org>", body: str = "Help!",
             message_id: str | None = None, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"From: {sender}", "To: support@example.com", f"Subject: {subject}",
             f"Message-Id: {message_id or f'<{uuid.uuid4().hex}@example.org>'}",
             *(f"{name}: {value}" for name, value in (headers or {}).items()),
             "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


def tracked(message: Any) -> dict[str, tuple[Any, Any]]:
    """``{field: (old, new)}`` of a tracking message, as the chatter shows them."""
    return {value["field_name"]: (value["old_value"], value["new_value"])
            for value in message.tracking_value_ids._format_tracking_values()}


@pytest.fixture
def customer(env: Environment) -> Any:
    return env["res.partner"].create({"name": "Carla Customer", "email": "carla@example.org"})


@pytest.fixture
def ticket(env: Environment, customer: Any) -> Any:
    return env["helpdesk.ticket"].create({"name": "Printer jam", "partner_id": customer.id})


# ----------------------------------------------------------------------------------------
# the addon
# ----------------------------------------------------------------------------------------
def test_the_addon_is_installed_as_an_application(env: Environment) -> None:
    module = env["ir.module.module"].search([("name", "=", "helpdesk")])
    assert module.state == "installed"
    root = env.ref("helpdesk.menu_helpdesk_root")
    assert root.name == "Helpdesk" and not root.parent_id
    tickets = env.ref("helpdesk.menu_helpdesk_ticket")
    assert tickets.parent_id == root
    assert tickets.action == f"ir.actions.act_window,{env.ref('helpdesk.action_helpdesk_ticket').id}"
    assert "helpdesk.ticket" in env["mail.thread"]._thread_models()


def test_internal_users_work_on_tickets_and_managers_delete_them(env: Environment,
                                                                 ticket: Any) -> None:
    agent = make_user(env, "agent")
    manager = make_user(env, "manager", "base.group_user", "base.group_system")
    mine = env["helpdesk.ticket"].with_user(agent).create({"name": "Mine"})
    mine.write({"state": "in_progress"})
    assert ticket.with_user(agent).read(["name"])[0]["name"] == "Printer jam"
    with pytest.raises(AccessError):
        mine.unlink()
    ticket.with_user(manager).unlink()
    assert not ticket.exists()


# ----------------------------------------------------------------------------------------
# tickets and their chatter
# ----------------------------------------------------------------------------------------
def test_a_new_ticket_gets_a_number_and_logs_its_creation(env: Environment,
                                                          customer: Any) -> None:
    agent = make_user(env, "agent")
    first, second = env["helpdesk.ticket"].create([
        {"name": "Printer jam", "partner_id": customer.id, "user_id": agent.id},
        {"name": "Scanner"}])
    assert NUMBER.match(first.number) and NUMBER.match(second.number)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    assert first.display_name == f"{first.number} Printer jam"
    assert (first.state, first.priority) == ("new", "1")
    [log] = first.message_ids
    assert "Ticket created" in log.body
    assert tracked(log) == {"name": (False, "Printer jam"),
                            "partner_id": (False, "Carla Customer"),
                            "user_id": (False, "Agent"), "state": (False, "New")}
    copy = first.copy()
    assert copy.number not in (False, first.number)


def test_changes_are_tracked_and_solving_tells_the_customer(env: Environment,
                                                            ticket: Any, customer: Any) -> None:
    ticket.message_subscribe([customer.id])
    agent = make_user(env, "agent")
    ticket.write({"user_id": agent.id, "deadline": datetime.date(2030, 5, 17)})
    change = ticket.message_ids[0]
    assert tracked(change) == {"user_id": (False, "Agent"), "deadline": (False, "2030-05-17")}
    assert change.subtype_id == env.ref("mail_core.mt_note") and not change.notification_ids

    ticket.action_start()
    ticket.action_wait()
    assert tracked(ticket.message_ids[0]) == {"state": ("In Progress", "Waiting for Customer")}
    ticket.action_done()
    solved = ticket.message_ids[0]
    assert tracked(solved) == {"state": ("Waiting for Customer", "Solved")}
    assert solved.subtype_id == env.ref("helpdesk.mt_ticket_solved")
    [mail] = env["mail.mail"].search([("mail_message_id", "=", solved.id)])
    assert mail.recipient_ids == customer
    ticket.action_reopen()
    assert ticket.state == "in_progress"


def test_assign_to_me(env: Environment, ticket: Any) -> None:
    agent = make_user(env, "agent")
    ticket.with_user(agent).action_assign_to_me()
    assert ticket.user_id == agent
    assert ticket.with_user(agent).search_count([("user_id", "=", agent.id)]) == 1


def test_messages_reach_the_followers(env: Environment, ticket: Any, customer: Any) -> None:
    ticket.message_subscribe([customer.id])
    message = ticket.message_post(body="A replacement is on its way.", message_type="comment",
                                  subtype_xmlid="mail_core.mt_comment")
    assert message in ticket.message_ids
    [notification] = message.notification_ids
    assert (notification.res_partner_id, notification.notification_type) == (customer, "email")
    assert notification.mail_mail_id.headers["X-Postroom-Objects"] == \
        f"helpdesk.ticket-{ticket.id}"
    note = ticket.message_post(body="Called, no answer.", message_type="comment")
    assert not note.notification_ids  # notes reach internal users only


# ----------------------------------------------------------------------------------------
# the mail gateway
# ----------------------------------------------------------------------------------------
def test_a_new_email_opens_a_ticket_for_its_sender(env: Environment) -> None:
    raw = raw_mail("Cannot log in", body="The login page says my account is locked.")
    ticket_id = env["mail.thread"].message_process("helpdesk.ticket", raw)
    ticket = env["helpdesk.ticket"].browse(ticket_id)
    assert ticket.name == "Cannot log in" and ticket.state == "new"
    assert NUMBER.match(ticket.number)
    assert (ticket.partner_id.name, ticket.partner_id.email) == ("Ann Smith", "ann@example.org")
    assert "my account is locked" in ticket.description
    [email] = ticket.message_ids
    assert email.message_type == "email" and email.author_id == ticket.partner_id
    assert "my account is locked" in email.body
    assert ticket.partner_id in ticket.message_partner_ids


def test_a_known_sender_is_the_customer(env: Environment, customer: Any) -> None:
    raw = raw_mail("Invoice", sender="Carla <CARLA@example.org>")
    ticket = env["helpdesk.ticket"].browse(
        env["mail.thread"].message_process("helpdesk.ticket", raw))
    assert ticket.partner_id == customer
    assert env["res.partner"].search_count([("email", "=ilike", "carla@example.org")]) == 1


def test_replies_join_their_ticket(env: Environment) -> None:
    first = raw_mail("Broken glasses", message_id="<order-1@example.org>")
    ticket = env["helpdesk.ticket"].browse(
        env["mail.thread"].message_process("helpdesk.ticket", first))
    ticket.action_start()
    ticket.action_wait()
    reply = raw_mail("Re: Broken glasses", body="Here are the photos.",
                     headers={"In-Reply-To": "<order-1@example.org>",
                              "References": "<order-1@example.org>"})
    assert env["mail.thread"].message_process("helpdesk.ticket", reply) == ticket.id
    assert env["helpdesk.ticket"].search_count([("name", "ilike", "Broken glasses")]) == 1
    emails = ticket.message_ids.filtered(lambda message: message.message_type == "email")
    assert [m.subject for m in emails] == ["Re: Broken glasses", "Broken glasses"]
    assert ticket.state == "in_progress"  # the customer answered


def test_a_reply_from_someone_else_leaves_the_status(env: Environment) -> None:
    ticket = env["helpdesk.ticket"].browse(env["mail.thread"].message_process(
        "helpdesk.ticket", raw_mail("Question", message_id="<q-1@example.org>")))
    ticket.action_wait()
    reply = raw_mail("Re: Question", sender="Colleague <bob@example.org>",
                     headers={"In-Reply-To": "<q-1@example.org>"})
    env["mail.thread"].message_process("helpdesk.ticket", reply)
    assert ticket.state == "waiting"


@pytest.mark.external
def test_an_incoming_server_opens_tickets_and_threads_replies(
        committed_db: plugin.CommittedDatabase) -> None:
    """The demo's incoming server, pointed at a real IMAP mailbox (Dovecot)."""
    if not Dovecot.available():
        pytest.skip("Dovecot is not installed (Debian: dovecot-imapd dovecot-pop3d)")
    with Dovecot() as mailbox:
        mailbox.add_user("helpdesk", "helpdesk")
        with committed_db.env() as env:
            server = env["fetchmail.server"].create({
                "name": "Helpdesk", "server": "127.0.0.1", "port": mailbox.imap_port,
                "encryption": "none", "user": "helpdesk", "password": "helpdesk",
                "object_id": env["ir.model"]._get("helpdesk.ticket").id})
            server.button_confirm_login()
            server_id = server.id
        mailbox.deliver("helpdesk", raw_mail("Scanner offline", message_id="<scan@example.org>"))
        with committed_db.env() as env:
            env["fetchmail.server"].browse(server_id).fetch_mail()
        with committed_db.env() as env:
            [ticket] = env["helpdesk.ticket"].search([("name", "=", "Scanner offline")])
            answer = ticket.message_post(body="Is it plugged in?", message_type="comment",
                                         subtype_xmlid="mail_core.mt_comment")
            ticket.action_wait()
            ticket_id, answer_id = ticket.id, answer.message_id
        mailbox.deliver("helpdesk", raw_mail("Re: Scanner offline", body="It is now.",
                                             headers={"In-Reply-To": answer_id}))
        with committed_db.env() as env:
            env["fetchmail.server"].browse(server_id).fetch_mail()
        with committed_db.env() as env:
            ticket = env["helpdesk.ticket"].browse(ticket_id)
            assert ticket.partner_id.email == "ann@example.org"
            assert ticket.state == "in_progress"
            emails = ticket.message_ids.filtered(lambda message: message.message_type == "email")
            assert [m.subject for m in emails] == ["Re: Scanner offline", "Scanner offline"]
        assert all("\\Seen" in message.flags for message in mailbox.messages("helpdesk"))


# ----------------------------------------------------------------------------------------
# the backend
# ----------------------------------------------------------------------------------------
def client_for(registry: Registry, env: Environment) -> TestClient:
    env.ref("base.user_admin")._set_password(PASSWORD)
    client = TestClient(shared_cursor_app(registry, env.cr))
    assert client.login("admin", PASSWORD).status_code == 303
    return client


def page(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return html.fromstring(response.get_data(as_text=True))


def words(tree: Any, xpath: str) -> str:
    return " ".join(" ".join(node.text_content().split()) for node in tree.xpath(xpath))


def test_list_form_and_search_screens(env: Environment, postroom_registry: Registry,
                                      ticket: Any) -> None:
    admin = env.ref("base.user_admin")
    late = env["helpdesk.ticket"].create({"name": "Overdue", "user_id": admin.id,
                                          "deadline": datetime.date.today()
                                          - datetime.timedelta(days=1)})
    client = client_for(postroom_registry, env)
    action = env.ref("helpdesk.action_helpdesk_ticket")
    listing = page(client, f"/web/action/{action.id}")
    assert "Printer jam" in words(listing, "//table") and "Overdue" in words(listing, "//table")
    late_rows = words(listing, '//tr[contains(@class, "o_row_danger")]')
    assert "Overdue" in late_rows and "Printer jam" not in late_rows
    for name, shown, hidden in (("my_tickets", "Overdue", "Printer jam"),
                                ("late", "Overdue", "Printer jam"),
                                ("unassigned", "Printer jam", "Overdue")):
        found = words(page(client, f"/web/action/{action.id}?s=1&filter={name}"), "//table")
        assert shown in found and hidden not in found, name
    grouped = page(client, f"/web/action/{action.id}?s=1&groupby=state")
    assert "New" in words(grouped, "//table")
    searched = words(page(client, f"/web/action/{action.id}?s=1&q={ticket.number}"), "//table")
    assert "Printer jam" in searched and "Overdue" not in searched

    form = page(client, f"/web/action/{action.id}/record/{late.id}")
    buttons = form.xpath('//button[@name="call_method"]/@value')
    assert {"action_start", "action_done", "action_send_mail"} <= set(buttons)
    assert "action_reopen" not in buttons and "action_assign_to_me" not in buttons
    assert "Ticket created" in words(form, '//aside[contains(@class, "o_form_sidebar")]')


# ----------------------------------------------------------------------------------------
# the demo: a fresh database, as `postroom serve --demo` makes it
# ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_registry(postroom_databases: plugin.TestDatabases) -> Iterator[Registry]:
    """A new, empty database in which the helpdesk is installed with its demo data."""
    database = postroom_databases.new_database(f"{postroom_databases.prefix}_helpdesk_demo")
    registry = AddonLoader(database, postroom_databases.addons_path).install(["helpdesk"],
                                                                            demo=True)
    yield registry
    postroom_databases.drop(database.dbname)


@pytest.fixture
def demo_env(demo_registry: Registry) -> Iterator[Environment]:
    """A superuser environment on the demo database; rolled back after the test."""
    with demo_registry.cursor() as cr:
        try:
            yield Environment(cr, SUPERUSER_ID, {}, registry=demo_registry)
        finally:
            cr.rollback()


def test_demo_tickets_have_a_history(demo_env: Environment) -> None:
    env = demo_env
    tickets = env["helpdesk.ticket"].search([])
    assert len(tickets) == 6
    assert set(tickets.mapped("state")) == {"new", "in_progress", "waiting", "done"}
    oven = env.ref("helpdesk.ticket_oven_display")
    kinds = [(m.message_type, m.subtype_id.name, m.author_id.name) for m in oven.message_ids]
    assert kinds == [("comment", "Discussions", "Maya Chen"),
                     ("notification", "Note", "System"),
                     ("comment", "Note", "Jonas Berg"),
                     ("email", "Discussions", "Lena Fischer"),
                     ("notification", "Note", "System")]
    assert tracked(oven.message_ids[1]) == {"state": ("New", "In Progress")}
    assert env.ref("helpdesk.partner_lena") in oven.message_partner_ids
    assert all(ticket.message_ids for ticket in tickets)


def test_demo_mail_opened_a_ticket_and_was_acknowledged(demo_env: Environment) -> None:
    env = demo_env
    [ticket] = env["helpdesk.ticket"].search([("name", "=", "Order 5531 arrived damaged")])
    assert ticket.partner_id.email == "nina.novak@example.com"
    [received] = env["mail.mail"].search([("model", "=", "helpdesk.ticket"),
                                          ("res_id", "=", ticket.id)])
    assert received.subject == f"{ticket.number}: Order 5531 arrived damaged"
    assert received.recipient_ids == ticket.partner_id
    assert "Hello Nina Novak" in received.body_html and ticket.number in received.body_html
    assert env["mail.mail"].search([]) == received  # the history was logged, not sent


def test_demo_templates_automations_and_incoming_server(demo_env: Environment) -> None:
    env = demo_env
    templates = env["mail.template"].search([("model", "=", "helpdesk.ticket")])
    assert set(templates.mapped("name")) == {"Ticket received", "Reminder 3 days before deadline"}
    rules = env["base.automation"].search([("model_name", "=", "helpdesk.ticket")])
    assert {(rule.trigger, rule.action_type, rule.template_id.name or rule.followers_field)
            for rule in rules} == {
        ("on_create", "mail_send", "Ticket received"),
        ("on_time", "mail_send", "Reminder 3 days before deadline"),
        ("on_create_or_write", "followers", "user_id")}
    reminder = env.ref("helpdesk.automation_deadline_reminder")
    assert (reminder.trg_date_id.name, reminder.trg_date_range) == ("deadline", -3)
    assert not rules.filtered("failure_count")
    server = env.ref("helpdesk.fetchmail_server_helpdesk")
    assert (server.state, server.server, server.port, server.server_type) == \
        ("draft", "localhost", 143, "imap")
    assert server.object_id.model == "helpdesk.ticket"


def test_demo_rules_acknowledge_new_tickets_and_subscribe_the_responsible(
        demo_env: Environment) -> None:
    env = demo_env
    maya = env.ref("helpdesk.user_maya")
    customer = env.ref("helpdesk.partner_priya")
    ticket = env["helpdesk.ticket"].create({"name": "Wrong size", "partner_id": customer.id,
                                            "user_id": maya.id})
    [mail] = env["mail.mail"].search([("model", "=", "helpdesk.ticket"),
                                      ("res_id", "=", ticket.id)])
    assert mail.recipient_ids == customer and mail.email_from == "Support <support@example.com>"
    assert mail.subject == f"{ticket.number}: Wrong size"
    assert "Maya Chen takes care of it." in " ".join(mail.body_html.split())
    assert maya.partner_id in ticket.message_partner_ids
    jonas = env.ref("helpdesk.user_jonas")
    ticket.user_id = jonas
    assert jonas.partner_id in ticket.message_partner_ids


def test_demo_reminder_three_days_before_the_deadline(demo_env: Environment) -> None:
    env = demo_env
    reminder = env.ref("helpdesk.automation_deadline_reminder")
    oven = env.ref("helpdesk.ticket_oven_display")  # due in 4 days
    reminder._process_date_rule(fields.Datetime.now() + datetime.timedelta(days=1, hours=1))
    [mail] = env["mail.mail"].search([("model", "=", "helpdesk.ticket"),
                                      ("subject", "like", "Reminder")])
    assert mail.res_id == oven.id and mail.recipient_ids == oven.user_id.partner_id
    assert "/web/record/helpdesk.ticket/" in mail.body_html


def test_demo_screens(demo_env: Environment, demo_registry: Registry) -> None:
    env = demo_env
    client = client_for(demo_registry, env)
    home = page(client, "/web")
    assert "Helpdesk" in words(home, "//body")
    action = env.ref("helpdesk.action_helpdesk_ticket")
    listing = words(page(client, f"/web/action/{action.id}"), "//table")
    assert "Oven display shows error E42" in listing
    assert "Change of billing address" not in listing  # solved: not Open
    oven = env.ref("helpdesk.ticket_oven_display")
    form = page(client, f"/web/action/{action.id}/record/{oven.id}")
    chatter = words(form, '//aside[contains(@class, "o_form_sidebar")]')
    assert "E42 points at the temperature probe" in chatter and "Lena Fischer" in chatter


def test_demo_send_by_email_opens_the_composer_from_ticket_received(
        demo_env: Environment, demo_registry: Registry) -> None:
    env = demo_env
    ticket = env.ref("helpdesk.ticket_password_reset")
    client = client_for(demo_registry, env)
    url = f"/web/action/{env.ref('helpdesk.action_helpdesk_ticket').id}/record/{ticket.id}"
    token = page(client, url).xpath('//input[@name="csrf_token"]/@value')[0]
    opened = client.post(url, data={"csrf_token": token, "call_method": "action_send_mail",
                                    "o_fields": ""})
    assert opened.status_code == 303
    composer = env["mail.compose.message"].search([("model", "=", "helpdesk.ticket")])
    assert (composer.res_ids, composer.composition_mode) == ([ticket.id], "comment")
    assert composer.template_id == env.ref("helpdesk.mail_template_ticket_received")
    assert composer.subject == f"{ticket.number}: Cannot reset my password"
    assert composer.partner_ids == ticket.partner_id
    dialog = page(client, opened.location)
    assert dialog.xpath('//button[@value="action_send_mail"]')
    sent = client.post(opened.location, data={"csrf_token": token,
                                              "call_method": "action_send_mail", "o_fields": ""})
    assert sent.status_code == 303 and sent.location.endswith(url)  # back to the ticket
    message = ticket.message_ids[0]
    assert (message.message_type, message.subject) == ("comment", composer.subject)
    assert message.notification_ids.res_partner_id == ticket.partner_id


def test_demo_survives_an_upgrade_and_uninstalls(postroom_databases: plugin.TestDatabases
                                                 ) -> None:
    database = postroom_databases.new_database(f"{postroom_databases.prefix}_helpdesk_upgrade")
    try:
        loader = AddonLoader(database, postroom_databases.addons_path)
        loader.install(["helpdesk"], demo=True)

        def counts() -> tuple[int, ...]:
            with database.cursor() as cr:
                cr.execute("""SELECT (SELECT count(*) FROM helpdesk_ticket),
                                     (SELECT count(*) FROM mail_message
                                       WHERE model = 'helpdesk.ticket'),
                                     (SELECT count(*) FROM mail_template
                                       WHERE model = 'helpdesk.ticket'),
                                     (SELECT count(*) FROM fetchmail_server)""")
                return cr.fetchone()

        installed = counts()
        loader.upgrade(["helpdesk"])
        assert counts() == installed  # demo data is loaded once, never again
        loader.uninstall(["helpdesk"])
        with database.cursor() as cr:
            cr.execute("SELECT to_regclass('helpdesk_ticket'), "
                       "(SELECT count(*) FROM mail_template)")
            assert cr.fetchone() == (None, 0)
    finally:
        postroom_databases.drop(database.dbname)
