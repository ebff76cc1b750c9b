"""The dovecot test peer, driven by the standard library's ``imaplib`` and ``poplib``."""

from __future__ import annotations

import imaplib
import poplib
import socket
import string
import time
from collections.abc import Iterator

import pytest

from postroom.testing import dovecot as dovecot_module
from postroom.testing.dovecot import Dovecot, DovecotError

pytestmark = pytest.mark.external

NOT_INSTALLED = "Dovecot is not installed: apt-get install dovecot-imapd dovecot-pop3d"
LOGIN, PASSWORD = "alice@test.local", "s3cret"

FIRST = b"From: bob@example.com\nTo: alice@test.local\nSubject: First\nMessage-ID: <1@x>\n\nOne\n"
SECOND = b"From: bob@example.com\nTo: alice@test.local\nSubject: Second\nMessage-ID: <2@x>\n\nTwo\n"


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\n", b"\r\n")


def start(tls: bool = False) -> Dovecot:
    if not Dovecot.available():
        pytest.skip(NOT_INSTALLED)
    server = Dovecot(tls=tls).start()
    server.add_user(LOGIN, PASSWORD)
    return server


@pytest.fixture
def server() -> Iterator[Dovecot]:
    running = start()
    yield running
    running.stop()


@pytest.fixture
def tls_server() -> Iterator[Dovecot]:
    running = start(tls=True)
    yield running
    running.stop()


def test_starts_fast_and_cleans_up() -> None:
    if not Dovecot.available():
        pytest.skip(NOT_INSTALLED)
    started = time.perf_counter()
    server = Dovecot(tls=True).start()
    elapsed = time.perf_counter() - started
    directory, ports = server.directory, [server.imap_port, server.pop3_port]
    assert server.imaps_port and server.pop3s_port
    assert "starting up for imap, pop3" in server.log()
    server.stop()
    assert elapsed < 2.0
    assert not directory.exists()
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection((server.host, port), timeout=1).close()


def test_without_tls_has_no_implicit_tls_ports(server: Dovecot) -> None:
    assert server.imaps_port is None and server.pop3s_port is None
    with pytest.raises(DovecotError):
        server.client_context()


def test_imap_read_flag_and_expunge(server: Dovecot) -> None:
    server.deliver(LOGIN, FIRST)
    server.deliver(LOGIN, SECOND, seen=True)
    client = imaplib.IMAP4(server.host, server.imap_port)
    client.login(LOGIN, PASSWORD)
    assert client.select("INBOX") == ("OK", [b"2"])
    assert client.search(None, "UNSEEN") == ("OK", [b"1"])
    status, data = client.fetch("1", "(BODY.PEEK[])")
    assert status == "OK" and data[0][1] == crlf(FIRST)
    assert server.messages(LOGIN)[0].flags == set()

    client.store("1", "+FLAGS", "\\Seen")
    assert [m.flags for m in server.messages(LOGIN)] == [{"\\Seen"}, {"\\Seen"}]

    client.store("2", "+FLAGS", "(\\Deleted \\Flagged)")
    assert server.messages(LOGIN)[1].flags == {"\\Seen", "\\Deleted", "\\Flagged"}
    client.expunge()
    client.logout()
    assert server.messages(LOGIN) == [({"\\Seen"}, FIRST)]


def test_imap_append_and_keywords(server: Dovecot) -> None:
    client = imaplib.IMAP4(server.host, server.imap_port)
    client.login(LOGIN, PASSWORD)
    status, _ = client.append("INBOX", "(\\Answered $Forwarded)", None, crlf(FIRST))
    assert status == "OK"
    client.logout()
    [(flags, raw)] = server.messages(LOGIN)
    assert flags == {"\\Answered", "$Forwarded"}
    assert raw.replace(b"\r\n", b"\n") == FIRST


def test_other_folders(server: Dovecot) -> None:
    server.deliver(LOGIN, FIRST, folder="Archive", seen=True)
    client = imaplib.IMAP4(server.host, server.imap_port)
    client.login(LOGIN, PASSWORD)
    _, folders = client.list()
    assert any(line.endswith(b"Archive") for line in folders)
    assert client.select("Archive") == ("OK", [b"1"])
    client.logout()
    assert server.messages(LOGIN, "Archive") == [({"\\Seen"}, FIRST)]
    assert server.messages(LOGIN) == []
    assert server.messages(LOGIN, "Never created") == []


def test_messages_keep_delivery_order(server: Dovecot) -> None:
    bodies = [FIRST.replace(b"One", f"Number {n}".encode()) for n in range(12)]
    for body in bodies:
        server.deliver(LOGIN, body)
    assert [raw for _, raw in server.messages(LOGIN)] == bodies
    client = imaplib.IMAP4(server.host, server.imap_port)
    client.login(LOGIN, PASSWORD)
    client.select("INBOX")
    _, data = client.fetch("12", "(BODY.PEEK[TEXT])")
    client.logout()
    assert data[0][1] == b"Number 11\r\n"
    assert [raw for _, raw in server.messages(LOGIN)] == bodies


def test_pop3_stat_retr_dele(server: Dovecot) -> None:
    server.deliver(LOGIN, FIRST)
    server.deliver(LOGIN, SECOND)
    client = poplib.POP3(server.host, server.pop3_port)
    client.user(LOGIN)
    client.pass_(PASSWORD)
    count, size = client.stat()
    assert count == 2 and size == len(crlf(FIRST)) + len(crlf(SECOND))
    _, lines, _ = client.retr(1)
    assert b"\n".join(lines) + b"\n" == FIRST
    client.dele(1)
    client.quit()
    assert [raw for _, raw in server.messages(LOGIN)] == [SECOND]


def test_pop3_without_quit_keeps_mail(server: Dovecot) -> None:
    server.deliver(LOGIN, FIRST)
    client = poplib.POP3(server.host, server.pop3_port)
    client.user(LOGIN)
    client.pass_(PASSWORD)
    client.dele(1)
    client.close()  # no QUIT: no UPDATE state, nothing is deleted
    time.sleep(0.1)
    assert len(server.messages(LOGIN)) == 1


def test_wrong_password_refused(server: Dovecot) -> None:
    started = time.perf_counter()
    client = imaplib.IMAP4(server.host, server.imap_port)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(LOGIN, "wrong")
    client.shutdown()
    pop = poplib.POP3(server.host, server.pop3_port)
    pop.user(LOGIN)
    with pytest.raises(poplib.error_proto, match="Authentication failed"):
        pop.pass_("wrong")
    pop.close()
    assert time.perf_counter() - started < 3.0
    assert "auth failed" in server.log() or "Password mismatch" in server.log()


def test_imap_starttls(tls_server: Dovecot) -> None:
    tls_server.deliver(LOGIN, FIRST)
    client = imaplib.IMAP4(tls_server.host, tls_server.imap_port)
    assert "STARTTLS" in client.capabilities
    client.starttls(ssl_context=tls_server.client_context())
    client.login(LOGIN, PASSWORD)
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()


def test_pop3_stls(tls_server: Dovecot) -> None:
    tls_server.deliver(LOGIN, FIRST)
    client = poplib.POP3(tls_server.host, tls_server.pop3_port)
    assert "STLS" in client.capa()
    client.stls(context=tls_server.client_context())
    client.user(LOGIN)
    client.pass_(PASSWORD)
    assert client.stat()[0] == 1
    client.quit()


def test_implicit_tls_ports(tls_server: Dovecot) -> None:
    context = tls_server.client_context()
    assert tls_server.imaps_port is not None and tls_server.pop3s_port is not None
    imap = imaplib.IMAP4_SSL(tls_server.host, tls_server.imaps_port, ssl_context=context)
    imap.login(LOGIN, PASSWORD)
    imap.logout()
    pop = poplib.POP3_SSL(tls_server.host, tls_server.pop3s_port, context=context)
    pop.user(LOGIN)
    pop.pass_(PASSWORD)
    pop.quit()


def test_user_validation(server: Dovecot) -> None:
    for login in ("", "a:b", "../x", "a/b"):
        with pytest.raises(ValueError):
            server.add_user(login, "pw")
    with pytest.raises(ValueError):
        server.add_user(LOGIN, "again")
    with pytest.raises(KeyError):
        server.deliver("nobody@test.local", FIRST)
    with pytest.raises(KeyError):
        server.messages("nobody@test.local")
    server.add_user("bob", "pw")
    client = imaplib.IMAP4(server.host, server.imap_port)
    client.login("bob", "pw")
    client.logout()


def test_start_failure_reports_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    if not Dovecot.available():
        pytest.skip(NOT_INSTALLED)
    broken = string.Template(dovecot_module._CONFIG.template + "no_such_setting = 1\n")
    monkeypatch.setattr(dovecot_module, "_CONFIG", broken)
    server = Dovecot()
    with pytest.raises(DovecotError, match="no_such_setting"):
        server.start()
    with pytest.raises(DovecotError, match="not running"):
        server.log()
