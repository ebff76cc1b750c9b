"""The SMTP test peer, driven by the standard library's ``smtplib``."""

from __future__ import annotations

import email.policy
import smtplib
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from postroom.testing.smtp import SMTPPeer


def make_message(
    to: str = "alice@example.com", subject: str = "Hello", body: str = "Hi!"
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "sender@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


@pytest.fixture
def peer() -> Iterator[SMTPPeer]:
    with SMTPPeer() as running:
        yield running


@pytest.fixture
def secure_peer() -> Iterator[SMTPPeer]:
    with SMTPPeer(starttls=True, auth={"bob": "s3cret"}) as running:
        yield running


def test_starts_fast_and_stops() -> None:
    started = time.perf_counter()
    peer = SMTPPeer(starttls=True, auth={"bob": "s3cret"}).start()
    elapsed = time.perf_counter() - started
    port = peer.port
    peer.stop()
    assert elapsed < 1.0
    with pytest.raises(OSError):
        socket.create_connection((peer.host, port), timeout=1).close()


def test_plain_send(peer: SMTPPeer) -> None:
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        refused = client.send_message(make_message(), to_addrs=["alice@example.com"])
    assert refused == {}
    [received] = peer.wait_for(1)
    assert received.mail_from == "sender@example.com"
    assert received.rcpt_tos == ["alice@example.com"]
    assert received.message["Subject"] == "Hello"
    assert received.message.get_content() == "Hi!\n"
    assert b"Subject: Hello" in received.data
    assert received.authenticated_as is None


def test_starttls_and_auth(secure_peer: SMTPPeer) -> None:
    with smtplib.SMTP(secure_peer.host, secure_peer.port, timeout=5) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login("bob", "s3cret")
        code, _ = client.mail("sender@example.com")
        assert code == 530  # must issue STARTTLS first

        client.starttls(context=secure_peer.client_context())
        client.ehlo()
        assert client.has_extn("auth")
        assert set(client.esmtp_features["auth"].upper().split()) == {"LOGIN", "PLAIN"}
        code, _ = client.mail("sender@example.com")
        assert code == 530  # authentication required
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("bob", "wrong")
        client.login("bob", "s3cret")
        client.send_message(make_message())
    [received] = secure_peer.wait_for(1)
    assert received.authenticated_as == "bob"


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_each_auth_mechanism(secure_peer: SMTPPeer, mechanism: str) -> None:
    with smtplib.SMTP(secure_peer.host, secure_peer.port, timeout=5) as client:
        client.starttls(context=secure_peer.client_context())
        client.ehlo()
        client.user, client.password = "bob", "s3cret"
        authobject = getattr(client, f"auth_{mechanism.lower()}")
        code, _ = client.auth(mechanism, authobject, initial_response_ok=mechanism == "PLAIN")
        assert code == 235
        client.send_message(make_message())
    assert secure_peer.wait_for(1)[0].authenticated_as == "bob"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_auth_without_tls_when_allowed() -> None:
    with SMTPPeer(auth={"bob": "s3cret"}, auth_require_tls=False) as peer:
        with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
            client.login("bob", "s3cret")
            client.send_message(make_message())
        assert peer.wait_for(1)[0].authenticated_as == "bob"


def test_auth_needs_a_way_to_tls() -> None:
    with pytest.raises(ValueError):
        SMTPPeer(auth={"bob": "s3cret"})
    with pytest.raises(ValueError):
        SMTPPeer(starttls=True, implicit_tls=True)


def test_implicit_tls() -> None:
    with SMTPPeer(implicit_tls=True, auth={"bob": "s3cret"}) as peer:
        with smtplib.SMTP_SSL(
            peer.host, peer.port, timeout=5, context=peer.client_context()
        ) as client:
            client.login("bob", "s3cret")
            client.send_message(make_message())
        [received] = peer.wait_for(1)
    assert received.authenticated_as == "bob"


def test_implicit_tls_refuses_plaintext() -> None:
    with SMTPPeer(implicit_tls=True) as peer, pytest.raises(OSError):  # a timeout or EOF
        smtplib.SMTP(peer.host, peer.port, timeout=0.3)


def test_rejected_recipient_among_two(peer: SMTPPeer) -> None:
    peer.reject_rcpt["Ghost@Example.com"] = "550 5.1.1 No such user"
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        refused = client.send_message(
            make_message(to="alice@example.com, ghost@example.com"),
        )
    assert refused == {"ghost@example.com": (550, b"5.1.1 No such user")}
    [received] = peer.wait_for(1)
    assert received.rcpt_tos == ["alice@example.com"]


def test_all_recipients_rejected(peer: SMTPPeer) -> None:
    peer.reject_rcpt["ghost@example.com"] = "550 5.1.1 No such user"
    with (
        smtplib.SMTP(peer.host, peer.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.send_message(make_message(to="ghost@example.com"))
    assert peer.messages == []


@pytest.mark.parametrize(
    "reply", ["451 4.3.0 Try later", "552 5.3.4 Message too big", "554 5.7.1 Spam"]
)
def test_queued_data_reply_then_accepted(peer: SMTPPeer, reply: str) -> None:
    peer.next_replies.append(reply)
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as failure:
            client.send_message(make_message())
        assert failure.value.smtp_code == int(reply[:3])
        assert failure.value.smtp_error == reply[4:].encode()
        assert peer.messages == []
        client.send_message(make_message(subject="Second try"))
    [received] = peer.wait_for(1)
    assert received.message["Subject"] == "Second try"


def test_421_closes_the_connection(peer: SMTPPeer) -> None:
    peer.next_replies.append("421 4.3.2 Shutting down")
    client = smtplib.SMTP(peer.host, peer.port, timeout=5)
    client.ehlo()
    client.mail("sender@example.com")
    client.rcpt("alice@example.com")
    assert client.data(make_message().as_bytes()) == (421, b"4.3.2 Shutting down")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        client.noop()
    client.close()
    assert peer.messages == []


def test_on_data_callable_decides(peer: SMTPPeer) -> None:
    def judge(envelope: object) -> str | None:
        return "552 5.2.2 Mailbox full" if b"Subject: Big" in envelope.content else None  # type: ignore[attr-defined]

    peer.on_data = judge
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as failure:
            client.send_message(make_message(subject="Big"))
        assert failure.value.smtp_code == 552
        client.send_message(make_message(subject="Small"))
    assert [m.message["Subject"] for m in peer.wait_for(1)] == ["Small"]


def test_custom_accepting_reply(peer: SMTPPeer) -> None:
    peer.next_replies.append("250 2.0.0 Ok: queued as ABC123")
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        client.ehlo()
        client.mail("sender@example.com")
        client.rcpt("alice@example.com")
        assert client.data(make_message().as_bytes()) == (250, b"2.0.0 Ok: queued as ABC123")
    assert len(peer.wait_for(1)) == 1


def test_dropped_connection(peer: SMTPPeer) -> None:
    peer.drop_connection_next = 1
    with (
        smtplib.SMTP(peer.host, peer.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        client.send_message(make_message())
    assert peer.messages == []
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        client.send_message(make_message())
    assert len(peer.wait_for(1)) == 1


def test_dropped_connection_over_tls(secure_peer: SMTPPeer) -> None:
    secure_peer.drop_connection_next = 1
    with smtplib.SMTP(secure_peer.host, secure_peer.port, timeout=5) as client:
        client.starttls(context=secure_peer.client_context())
        client.login("bob", "s3cret")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.send_message(make_message())
    assert secure_peer.messages == []


def test_delay_slows_the_answer(peer: SMTPPeer) -> None:
    peer.delay = 0.3
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        started = time.perf_counter()
        client.send_message(make_message())
        assert time.perf_counter() - started >= 0.3
        client.sock.settimeout(0.1)
        with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
            client.send_message(make_message(subject="Too slow"))
    assert [m.message["Subject"] for m in peer.messages] == ["Hello"]


def test_size_limit_advertised_and_enforced() -> None:
    with SMTPPeer(max_size=2000) as peer:
        with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
            client.ehlo()
            assert client.esmtp_features["size"] == "2000"
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(make_message(body=("x" * 60 + "\n") * 50))
            assert refused.value.smtp_code == 552
            # A client that ignores SIZE is refused after DATA.
            client.mail("sender@example.com")
            client.rcpt("alice@example.com")
            big = make_message(body=("x" * 60 + "\n") * 50).as_bytes(policy=email.policy.SMTP)
            code, _ = client.data(big)
            assert code == 552
            client.send_message(make_message(body="small"))
        assert len(peer.wait_for(1)) == 1


def test_smtputf8_recorded(peer: SMTPPeer) -> None:
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        client.send_message(make_message(to="jörg@example.com"))
    [received] = peer.wait_for(1)
    assert received.rcpt_tos == ["jörg@example.com"]
    assert "SMTPUTF8" in received.mail_options


def test_wait_for_times_out(peer: SMTPPeer) -> None:
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        peer.wait_for(1, timeout=0.1)
    assert time.perf_counter() - started < 1


def test_clear_and_reset(peer: SMTPPeer) -> None:
    peer.reject_rcpt["ghost@example.com"] = "550 5.1.1 No such user"
    peer.next_replies.append("451 4.3.0 Try later")
    peer.drop_connection_next = 2
    peer.delay = 1.0
    with smtplib.SMTP(peer.host, peer.port, timeout=5) as client:
        peer.reset()
        client.send_message(make_message(to="ghost@example.com"))
        assert len(peer.wait_for(1)) == 1
        peer.clear()
        assert peer.messages == []
