"""ir.mail_server: settings, Test Connection against real SMTP servers, choice by from_filter."""

from __future__ import annotations

import datetime
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from postroom.exceptions import AccessError, UserError, ValidationError
from postroom.testing.smtp import SMTPPeer

Make = Callable[..., Any]


@pytest.fixture
def make_server(env: Any) -> Make:
    """Create an ir.mail_server (on the SMTP peer given as ``peer``)."""
    def make(peer: SMTPPeer | None = None, **values: Any) -> Any:
        vals = {"name": "Test server", "smtp_host": "127.0.0.1",
                "smtp_port": peer.port if peer else 25, "smtp_timeout": 5}
        return env["ir.mail_server"].create({**vals, **values})
    return make


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Callable[[SMTPPeer], None]:
    """Trust a peer's self-signed certificate, as if a CA had signed it."""
    def trust_peer(peer: SMTPPeer) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", str(peer.cert_path))
    return trust_peer


@pytest.fixture
def notifications_address(env: Any) -> str:
    params = env["ir.config_parameter"]
    params.set_param("mail.default.from", "notifications")
    params.set_param("mail.catchall.domain", "example.com")
    return "notifications@example.com"


def _failure(server: Any) -> str:
    with pytest.raises(UserError) as info:
        server.test_smtp_connection()
    return str(info.value)


# ----------------------------------------------------------------------------------------
# Test Connection: success
# ----------------------------------------------------------------------------------------
def test_connection_plain(make_server: Make, smtp_peer: SMTPPeer) -> None:
    server = make_server(smtp_peer, from_filter="sales@example.com")
    result = server.test_smtp_connection()
    assert result["tag"] == "display_notification" and result["params"]["type"] == "success"
    assert "sales@example.com" in result["params"]["message"]
    assert smtp_peer.messages == []  # nothing was sent


def test_connection_starttls_and_login(make_server: Make, trust: Callable) -> None:
    with SMTPPeer(starttls=True, auth={"bob": "s3cret"}, max_size=5 * 2**20) as peer:
        trust(peer)
        server = make_server(peer, smtp_encryption="starttls", smtp_user="bob", smtp_pass="s3cret",
                             from_filter="example.com")
        message = server.test_smtp_connection()["params"]["message"]
        assert "noreply@example.com" in message and "5.0 MB" in message
        assert peer.messages == []


def test_connection_implicit_tls(make_server: Make, trust: Callable) -> None:
    with SMTPPeer(implicit_tls=True, auth={"bob": "s3cret"}) as peer:
        trust(peer)
        server = make_server(peer, smtp_encryption="ssl", smtp_user="bob", smtp_pass="s3cret")
        assert server.test_smtp_connection()["params"]["type"] == "success"


def test_self_signed_certificate_may_be_accepted_explicitly(make_server: Make) -> None:
    with SMTPPeer(starttls=True) as peer:
        server = make_server(peer, smtp_encryption="starttls")
        reason = _failure(server)
        assert "certificate" in reason and "self-signed" in reason
        assert "Verify Certificate" in reason
        server.smtp_ssl_verify = False
        assert server.test_smtp_connection()["params"]["type"] == "success"


# ----------------------------------------------------------------------------------------
# Test Connection: what went wrong, and what to do
# ----------------------------------------------------------------------------------------
def test_ssl_on_a_plain_port(make_server: Make, smtp_peer: SMTPPeer) -> None:
    reason = _failure(make_server(smtp_peer, smtp_encryption="ssl"))
    assert "TLS handshake" in reason
    assert "465" in reason and "STARTTLS" in reason


def test_plain_on_an_implicit_tls_port(make_server: Make) -> None:
    with SMTPPeer(implicit_tls=True) as peer:
        reason = _failure(make_server(peer, smtp_encryption="starttls", smtp_timeout=1))
        assert "no greeting" in reason and "SSL/TLS" in reason


def test_starttls_missing(make_server: Make, smtp_peer: SMTPPeer) -> None:
    reason = _failure(make_server(smtp_peer, smtp_encryption="starttls"))
    assert "does not offer STARTTLS" in reason


def test_login_refused_mentions_app_passwords(make_server: Make, trust: Callable) -> None:
    with SMTPPeer(starttls=True, auth={"bob": "s3cret"}) as peer:
        trust(peer)
        reason = _failure(make_server(peer, smtp_encryption="starttls", smtp_user="bob",
                                      smtp_pass="wrong"))
        assert "refused the username or password" in reason and "535" in reason
        assert "app password" in reason and "Gmail" in reason


def test_login_on_an_unencrypted_connection(make_server: Make) -> None:
    with SMTPPeer(starttls=True, auth={"bob": "s3cret"}) as peer:
        reason = _failure(make_server(peer, smtp_user="bob", smtp_pass="s3cret"))
        assert "unencrypted" in reason and "TLS (STARTTLS)" in reason and "587" in reason


def test_login_required(make_server: Make, trust: Callable) -> None:
    with SMTPPeer(starttls=True, auth={"bob": "s3cret"}) as peer:
        trust(peer)
        reason = _failure(make_server(peer, smtp_encryption="starttls"))
        assert "wants a login" in reason and "530" in reason


def test_sender_refused(make_server: Make, smtp_peer: SMTPPeer) -> None:
    async def refuse_sender(server: Any, session: Any, envelope: Any, address: str,
                            options: list[str]) -> str:
        return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user"

    smtp_peer._controller.handler.handle_MAIL = refuse_sender  # type: ignore[union-attr]
    reason = _failure(make_server(smtp_peer, from_filter="ceo@example.com"))
    assert "refused the sender address ceo@example.com" in reason and "553" in reason
    assert "From Filter" in reason


def test_unknown_host(make_server: Make) -> None:
    reason = _failure(make_server(smtp_host="smtp.nonexistent.invalid"))
    assert "'smtp.nonexistent.invalid' cannot be found" in reason


def test_nothing_listening(make_server: Make) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reason = _failure(make_server(smtp_port=port))
    assert f"Nothing accepts connections on 127.0.0.1:{port}" in reason


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose accept queue is full: connecting times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    pending = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        pending.append(client)
    yield port
    for client in pending:
        client.close()
    listener.close()


def test_timeout(make_server: Make, unanswered_port: int) -> None:
    reason = _failure(make_server(smtp_port=unanswered_port, smtp_timeout=1))
    assert "did not answer within 1 s" in reason and "587" in reason


# ----------------------------------------------------------------------------------------
# settings
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [{"smtp_port": 0}, {"smtp_port": 70000}, {"smtp_timeout": 0},
                                    {"send_rate_limit": -1}, {"from_filter": "not an address"},
                                    {"warmup_start_date": "2026-01-01",
                                     "warmup_first_day_limit": 0}])
def test_invalid_settings(make_server: Make, values: dict) -> None:
    with pytest.raises(ValidationError):
        make_server(**values)


def test_security_suggests_its_port(make_server: Make) -> None:
    server = make_server()
    for security, port in (("ssl", 465), ("starttls", 587), ("none", 25)):
        server.smtp_encryption = security
        server._onchange_smtp_encryption()
        assert server.smtp_port == port
    server.smtp_port = 2525
    server.smtp_encryption = "ssl"
    server._onchange_smtp_encryption()
    assert server.smtp_port == 2525  # a port of one's own is kept


def test_credentials_are_for_administrators(env: Any, make_server: Make) -> None:
    server = make_server(smtp_user="bob", smtp_pass="s3cret")
    employee = env["res.users"].create({"name": "Emma", "login": "emma",
                                        "groups_id": [(6, 0, [env.ref("base.group_user").id])]})
    with pytest.raises(AccessError):
        server.with_user(employee).read(["smtp_pass"])
    admin = env.ref("base.user_admin")
    assert server.with_user(admin).read(["smtp_pass"])[0]["smtp_pass"] == "s3cret"


def test_warmup_cap_grows_day_by_day(make_server: Make) -> None:
    today = datetime.date.today()
    server = make_server(warmup_start_date=today, warmup_first_day_limit=100,
                         warmup_daily_growth=50)
    assert server.warmup_daily_cap == 100
    assert server._warmup_cap(today + datetime.timedelta(days=1)) == 150
    assert server._warmup_cap(today + datetime.timedelta(days=2)) == 225
    assert make_server().warmup_daily_cap == 0


# ----------------------------------------------------------------------------------------
# which server sends a From, and as whom
# ----------------------------------------------------------------------------------------
@pytest.fixture
def servers(env: Any, make_server: Make) -> dict[str, Any]:
    env["ir.mail_server"].search([]).write({"active": False})
    return {
        "domain": make_server(name="example.com", from_filter="example.com", sequence=10),
        "ceo": make_server(name="ceo", from_filter="ceo@example.org, Boss@Example.net",
                           sequence=20),
        "domain_later": make_server(name="example.com again", from_filter="example.com",
                                    sequence=30),
    }


def _find(env: Any, email_from: str) -> tuple[str, str]:
    server, sender = env["ir.mail_server"]._find_mail_server(email_from)
    return server.name, sender


def test_exact_address_then_domain(env: Any, servers: dict) -> None:
    assert _find(env, "Ann <ann@example.com>") == ("example.com", "Ann <ann@example.com>")
    assert _find(env, "CEO <ceo@example.org>") == ("ceo", "CEO <ceo@example.org>")
    assert _find(env, "boss@EXAMPLE.NET") == ("ceo", "boss@EXAMPLE.NET")


def test_exact_address_wins_over_domain(env: Any, servers: dict, make_server: Make) -> None:
    make_server(name="ann only", from_filter="ann@example.com", sequence=50)
    assert _find(env, "ann@example.com")[0] == "ann only"
    assert _find(env, "bob@example.com")[0] == "example.com"


def test_unauthorised_from_becomes_the_notification_address(
        env: Any, servers: dict, notifications_address: str) -> None:
    assert _find(env, '"Joe Bloggs" <joe@gmail.com>') == (
        "example.com", 'Joe Bloggs <notifications@example.com>')
    assert _find(env, "joe@gmail.com") == ("example.com", "joe <notifications@example.com>")


def test_server_without_filter_sends_any_from(env: Any, servers: dict, make_server: Make) -> None:
    make_server(name="catch-all", sequence=99)
    assert _find(env, "joe@gmail.com") == ("catch-all", "joe@gmail.com")


def test_last_resort_is_the_first_server(env: Any, servers: dict,
                                         notifications_address: str) -> None:
    servers["domain"].from_filter = "example.net"
    servers["domain_later"].from_filter = "example.net"
    assert _find(env, "joe@gmail.com") == ("example.com", "joe <notifications@example.com>")


def test_no_server_at_all(env: Any) -> None:
    env["ir.mail_server"].search([]).write({"active": False})
    server, sender = env["ir.mail_server"]._find_mail_server("joe@gmail.com")
    assert not server and sender == "joe@gmail.com"
