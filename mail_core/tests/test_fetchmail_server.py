"""fetchmail.server: settings, Test & Confirm against a real Dovecot, failures explained.

The Dovecot fixtures (``dovecot``, ``tls_dovecot``) are shared with the fetch tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from lxml import html
from postroom.addons.mail_core.gateway.diagnosis import explain
from postroom.addons.mail_core.gateway.errors import RoutingError
from postroom.addons.mail_core.gateway.intake import Source
from postroom.addons.mail_core.gateway.mailbox import FetchFailure, MailboxConfig

from postroom.exceptions import UserError, ValidationError
from postroom.testing.dovecot import Dovecot
from postroom.testing.http import TestClient, shared_cursor_app

NOT_INSTALLED = "Dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d"
LOGIN, PASSWORD = "support@test.local", "s3cret"
Values = Callable[..., dict[str, Any]]


def start_dovecot(tls: bool = False) -> Dovecot:
    if not Dovecot.available():
        pytest.skip(NOT_INSTALLED)
    server = Dovecot(tls=tls).start()
    server.add_user(LOGIN, PASSWORD)
    return server


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """Dovecot without TLS, with the mailbox ``support@test.local``."""
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def tls_dovecot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dovecot]:
    """Dovecot with STARTTLS and implicit TLS; its certificate is trusted, as if a CA signed
    it (``SSL_CERT_FILE``)."""
    server = start_dovecot(tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_path))
    yield server
    server.stop()


def port_of(peer: Dovecot, protocol: str, security: str) -> int:
    if security == "ssl":
        return peer.imaps_port if protocol == "imap" else peer.pop3s_port  # type: ignore[return-value]
    return peer.imap_port if protocol == "imap" else peer.pop3_port


def server_values(peer: Dovecot, protocol: str = "imap", security: str = "none",
                  **values: Any) -> dict[str, Any]:
    """The values of a fetchmail.server on ``peer``'s mailbox."""
    return {"name": f"Support ({protocol}, {security})", "server_type": protocol,
            "server": "127.0.0.1", "port": port_of(peer, protocol, security),
            "encryption": security, "user": LOGIN, "password": PASSWORD, "timeout": 5, **values}


def failure(server: Any) -> str:
    with pytest.raises(UserError) as info:
        server.button_confirm_login()
    assert server.state == "draft"
    return str(info.value)


# ----------------------------------------------------------------------------------------
# settings
# ----------------------------------------------------------------------------------------
def test_port_follows_protocol_and_security(env: Any) -> None:
    server = env["fetchmail.server"].create({"name": "x", "server": "mail.example.com"})
    assert (server.server_type, server.encryption, server.port) == ("imap", "ssl", 993)
    for protocol, security, port in (("imap", "starttls", 143), ("pop", "ssl", 995),
                                     ("pop", "none", 110), ("imap", "ssl", 993)):
        server.write({"server_type": protocol, "encryption": security})
        server._onchange_server_type()
        assert server.port == port
    server.port = 10993
    server.encryption = "starttls"
    server._onchange_server_type()
    assert server.port == 10993  # a port of one's own is kept


@pytest.mark.parametrize("values", [{"port": 0}, {"port": 70000}, {"timeout": 0},
                                    {"folder": " "}])
def test_invalid_settings(env: Any, values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        env["fetchmail.server"].create({"name": "x", "server": "mail.example.com", **values})


def test_fallback_model_must_have_a_chatter(env: Any) -> None:
    country = env["ir.model"]._get("res.country")
    with pytest.raises(ValidationError, match="has no chatter"):
        env["fetchmail.server"].create({"name": "x", "server": "h", "object_id": country.id})
    partner = env["ir.model"]._get("res.partner")
    server = env["fetchmail.server"].create({"name": "x", "server": "h", "object_id": partner.id})
    assert server._source().model == "res.partner"


def test_changing_the_connection_asks_for_a_new_confirmation(env: Any) -> None:
    server = env["fetchmail.server"].create({"name": "x", "server": "h"})
    server.write({"state": "done"})
    server.write({"priority": 3, "attach": False})
    assert server.state == "done"
    server.write({"password": "new one"})
    assert server.state == "draft"


def test_fetchmail_service_and_menus(env: Any) -> None:
    cron = env.ref("mail_core.ir_cron_mail_gateway_action")
    assert (cron.name, cron.model_name, cron.function) == ("Mail: Fetchmail Service",
                                                         "fetchmail.server", "_fetch_mails")
    assert (cron.interval_number, cron.interval_type, cron.active) == (5, "minutes", True)
    email_menu = env.ref("mail_core.menu_email_technical")
    for xmlid in ("mail_core.menu_fetchmail_server", "mail_core.menu_mail_incoming_failed"):
        assert env.ref(xmlid).parent_id == email_menu
    assert email_menu.parent_id == env.ref("web.menu_technical")


# ----------------------------------------------------------------------------------------
# Test & Confirm
# ----------------------------------------------------------------------------------------
@pytest.mark.external
@pytest.mark.parametrize("protocol, security", [
    ("imap", "none"), ("imap", "starttls"), ("imap", "ssl"),
    ("pop", "none"), ("pop", "starttls"), ("pop", "ssl")])
def test_confirm_logs_in_for_real(env: Any, tls_dovecot: Dovecot, protocol: str,
                                  security: str) -> None:
    server = env["fetchmail.server"].create(server_values(tls_dovecot, protocol, security))
    result = server.button_confirm_login()
    assert server.state == "done" and not server.last_error
    assert result["params"]["type"] == "success"
    assert f"as {LOGIN}" in result["params"]["message"]


@pytest.mark.external
def test_wrong_password_suggests_an_app_password(env: Any, dovecot: Dovecot) -> None:
    for protocol in ("imap", "pop"):
        server = env["fetchmail.server"].create(server_values(dovecot, protocol,
                                                              password="wrong"))
        message = failure(server)
        assert f"refused the username '{LOGIN}' or its password" in message
        assert "app password" in message and "Gmail" in message and "Microsoft 365" in message


@pytest.mark.external
def test_wrong_port_for_the_security(env: Any, tls_dovecot: Dovecot) -> None:
    ssl_on_plain_port = env["fetchmail.server"].create(
        server_values(tls_dovecot, "imap", "ssl", port=tls_dovecot.imap_port))
    assert "does not start with TLS on port" in failure(ssl_on_plain_port)
    assert "use port 993 with SSL/TLS" in failure(ssl_on_plain_port)
    plain_on_tls_port = env["fetchmail.server"].create(
        server_values(tls_dovecot, "pop", "none", port=tls_dovecot.pop3s_port, timeout=1))
    message = failure(plain_on_tls_port)
    assert "accepted the connection but sent no POP3 greeting" in message
    assert "set Connection Security to SSL/TLS" in message


@pytest.mark.external
def test_wrong_protocol_for_the_port(env: Any, dovecot: Dovecot) -> None:
    imap_on_pop = env["fetchmail.server"].create(server_values(dovecot, "imap",
                                                               port=dovecot.pop3_port))
    assert "does not speak IMAP" in failure(imap_on_pop)
    pop_on_imap = env["fetchmail.server"].create(server_values(dovecot, "pop",
                                                               port=dovecot.imap_port))
    message = failure(pop_on_imap)
    assert "does not speak POP3 (it answered: * OK" in message and "IMAP server" in message


@pytest.mark.external
def test_folder_not_found_lists_the_folders(env: Any, dovecot: Dovecot) -> None:
    dovecot.deliver(LOGIN, b"From: a@b\r\nSubject: x\r\n\r\nx\r\n", folder="Archive")
    server = env["fetchmail.server"].create(server_values(dovecot, folder="Support"))
    message = failure(server)
    assert "The folder 'Support' does not exist" in message
    assert "Folders there: Archive, INBOX." in message


@pytest.mark.external
def test_certificates_are_checked(env: Any, tls_dovecot: Dovecot,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    server = env["fetchmail.server"].create(server_values(tls_dovecot, "imap", "ssl"))
    assert "certificate of 127.0.0.1 was not accepted" in failure(server)
    server.ssl_verify = False
    server.button_confirm_login()
    assert server.state == "done"


@pytest.mark.external
def test_starttls_needs_a_server_that_offers_it(env: Any, dovecot: Dovecot) -> None:
    server = env["fetchmail.server"].create(server_values(dovecot, "imap", "starttls"))
    assert "does not offer STARTTLS" in failure(server)


def test_unknown_host_and_closed_port(env: Any) -> None:
    unknown = env["fetchmail.server"].create({"name": "x", "server": "no-such-host.invalid",
                                              "user": "u", "password": "p", "timeout": 5})
    assert "The server name 'no-such-host.invalid' cannot be found" in failure(unknown)
    closed = env["fetchmail.server"].create({"name": "x", "server": "127.0.0.1", "port": 1,
                                             "encryption": "none", "user": "u", "password": "p"})
    message = failure(closed)
    assert "Nothing accepts connections on 127.0.0.1:1" in message
    assert "IMAP uses port 993 with SSL/TLS" in message


@pytest.mark.parametrize("kind, step, expected", [
    ("login_disabled", "login", "refuses logins on an unencrypted connection"),
    ("unsupported", "list", "does not support UIDL"),
    ("network", "fetch", "lost while downloading a message (reset). The next fetch tries again"),
    ("timeout", "connect", "did not answer within 60 s"),
    ("protocol", "acknowledge", "answered unexpectedly while marking a message as processed"),
])
def test_every_failure_is_explained(kind: str, step: str, expected: str) -> None:
    config = MailboxConfig(host="mail.example.com", port=143, protocol="imap")
    assert expected in explain(FetchFailure(step, kind, "reset"), config)


# ----------------------------------------------------------------------------------------
# screens
# ----------------------------------------------------------------------------------------
@pytest.fixture
def admin_pages(env: Any, postroom_registry: Any) -> Callable[[str], Any]:
    """GET a backend page as the administrator; its parsed HTML."""
    env.ref("base.user_admin")._set_password("admin-password-for-gateway-tests")
    client = TestClient(shared_cursor_app(postroom_registry, env.cr))
    assert client.login("admin", "admin-password-for-gateway-tests").status_code == 303

    def page(url: str) -> Any:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
        return html.fromstring(response.get_data(as_text=True))

    page.client = client  # type: ignore[attr-defined]
    return page


def test_server_screens(env: Any, admin_pages: Callable[[str], Any]) -> None:
    server = env["fetchmail.server"].create({"name": "Support box", "server": "imap.example.com",
                                             "user": "support", "password": "s3cret"})
    action = env.ref("mail_core.action_fetchmail_server")
    form = admin_pages(f"/web/action/{action.id}/record/{server.id}")
    assert form.xpath('//button[@name="call_method"]/@value') == ["button_confirm_login"]
    assert form.xpath('//input[@type="password"]')
    assert "s3cret" not in html.tostring(form, encoding=str)
    server.write({"state": "done"})
    form = admin_pages(f"/web/action/{action.id}/record/{server.id}")
    assert form.xpath('//button[@name="call_method"]/@value') == ["fetch_mail", "set_draft"]
    assert "Support box" in admin_pages(f"/web/action/{action.id}").text_content()


def test_failed_message_screens(env: Any, admin_pages: Callable[[str], Any]) -> None:
    raw = b"From: ann@example.org\r\nSubject: Lost mail\r\n\r\nHello\r\n"
    failed = env["mail.incoming.failed"]._record_failure(
        raw, Source(), RoutingError("Nothing says where this message goes."))
    assert (failed.subject, failed.email_from, failed.size) == ("Lost mail", "ann@example.org",
                                                               len(raw))
    action = env.ref("mail_core.action_mail_incoming_failed")
    listing = admin_pages(f"/web/action/{action.id}")
    assert "Lost mail" in listing.text_content() and "No route" in listing.text_content()
    url = f"/web/action/{action.id}/record/{failed.id}"
    form = admin_pages(url)
    assert form.xpath('//button[@name="call_method"]/@value') == ["action_replay",
                                                                  "action_discard"]
    assert "Nothing says where this message goes." in form.text_content()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html.tostring(form, encoding=str))
    response = admin_pages.client.post(url, data={  # type: ignore[attr-defined]
        "csrf_token": token.group(1), "call_method": "action_discard", "o_fields": ""})
    assert response.status_code == 303 and response.location.endswith(f"/web/action/{action.id}")
    assert not failed.exists()
