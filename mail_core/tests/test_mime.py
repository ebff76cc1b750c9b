"""The bytes of outgoing messages: structure, encodings, and header injection."""

from __future__ import annotations

import datetime
import email
import email.policy
import email.utils
import re

import pytest
from postroom.addons.mail_core.mailer.addresses import (
    InvalidAddress,
    _split,
    iter_addresses,
    parse_address,
    parse_addresses,
)
from postroom.addons.mail_core.mailer.mime import (
    Attachment,
    HeaderError,
    build_body,
    build_message,
    check_extra_headers,
)

from postroom.render.html import html_to_text

HTML = ("<p>Hello <b>Zoë</b>,</p><p>Your order is <a href='https://shop.example.com/o/7'>here"
        "</a>.</p><ul><li>one</li><li>two</li></ul>")


def _message(**overrides: object) -> bytes:
    values: dict = {
        "sender": parse_address("ann@example.com", "Ann Example"),
        "to": parse_addresses("bob@example.org"),
        "subject": "Your order",
        "message_id": "<order.7@example.com>",
        "body": build_body(html_to_text(HTML), HTML),
    }
    values.update(overrides)
    return build_message(**values)  # type: ignore[arg-type]


def _parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=email.policy.default)


def _header_block(data: bytes) -> list[str]:
    """The physical header lines, as sent."""
    return data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")


def test_alternative_parts_date_and_message_id() -> None:
    data = _message()
    message = _parse(data)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Message-Id"] == "<order.7@example.com>"
    assert message["MIME-Version"] == "1.0"
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert abs(sent - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain.get_content_charset() == "utf-8"
    assert plain.get_content().rstrip("\n") == html_to_text(HTML).rstrip("\n")
    assert "Zoë" in plain.get_content() and "[https://shop.example.com/o/7]" in plain.get_content()
    assert html.get_content().strip() == HTML
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain",
                                                                           "text/html"]


def test_message_is_seven_bit_with_crlf_and_short_lines() -> None:
    data = _message(subject="Ça coûte " + "très " * 40 + "cher",
                    sender=parse_address("ann@example.com", "Anné Ëxample"))
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78


def test_attachments_keep_their_bytes_names_and_types() -> None:
    pdf = bytes(range(256)) * 40
    body = build_body("see attached", "<p>see attached</p>", [
        Attachment("rapport d'été.pdf", pdf, "application/pdf"),
        Attachment("notes.txt", "plain text ünïcode\n".encode(), "text/plain"),
        Attachment('evil"\r\nX-Injected: 1.bin', b"\x00\x01", "not a mime type\r\nX: y")])
    message = _parse(_message(body=body))
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_attachments())
    assert [p.get_filename() for p in parts] == ["rapport d'été.pdf", "notes.txt",
                                                 "evil' X-Injected: 1.bin"]
    assert parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_content() == pdf
    assert parts[1].get_payload(decode=True) == "plain text ünïcode\n".encode()
    assert parts[2].get_content_type() == "application/octet-stream"
    assert "X-Injected" not in message and "X" not in parts[2]
    assert message.get_body(("plain",)).get_content().strip() == "see attached"


def test_non_ascii_headers_are_encoded_and_decode_back() -> None:
    data = _message(subject="Réunion à 10 h — ordre du jour",
                    sender=parse_address("ann@example.com", "Anne Müller"),
                    to=parse_addresses('"Zoë, la reine" <zoe@exämple.org>, bob@example.org'),
                    headers={"X-Topic": "Café"})
    lines = _header_block(data)
    assert any(line.startswith("Subject: =?utf-8?") for line in lines)
    message = _parse(data)
    assert message["Subject"] == "Réunion à 10 h — ordre du jour"
    assert message["From"].addresses[0].display_name == "Anne Müller"
    assert [a.addr_spec for a in message["To"].addresses] == ["zoe@xn--exmple-cua.org",
                                                              "bob@example.org"]
    assert message["To"].addresses[0].display_name == "Zoë, la reine"
    assert message["X-Topic"] == "Café"


def test_long_headers_are_folded_and_unfold_to_the_same_value() -> None:
    references = " ".join(f"<message.{n}.with.a.long.id@example.com>" for n in range(30))
    subject = "word " * 60 + "end"
    data = _message(subject=subject, headers={"References": references},
                    to=[parse_address(f"person{n}@example.org", f"Person {n}") for n in range(20)])
    assert max(len(line) for line in _header_block(data)) <= 78
    message = _parse(data)
    assert message["Subject"] == subject
    assert message["References"] == references
    assert len(message["To"].addresses) == 20


def test_subject_with_line_breaks_cannot_add_headers() -> None:
    message = _parse(_message(subject="Hello\r\nBcc: victim@example.net\r\n\r\nbody"))
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: victim@example.net body"
    assert message.get_body(("html",)).get_content().strip() == HTML


def test_names_with_line_breaks_cannot_add_headers() -> None:
    sender = parse_address("ann@example.com", "Ann\r\nBcc: victim@example.net")
    to = parse_addresses('"Bob\nX-Evil: 1" <bob@example.org>')
    message = _parse(_message(sender=sender, to=to))
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["From"].addresses[0].addr_spec == "ann@example.com"
    assert [a.addr_spec for a in message["To"].addresses] == ["bob@example.org"]


@pytest.mark.parametrize("text", [
    "bob@example.org\r\nBcc: victim@example.net",
    "bob@example.org\nBcc: victim@example.net",
])
def test_address_lists_with_line_breaks_stay_address_lists(text: str) -> None:
    # a line break separates entries: the second one is an address like any other, never a
    # header; and what goes into To is written from the parsed addresses
    addresses = parse_addresses(text)
    message = _parse(_message(to=addresses))
    assert message["Bcc"] is None
    assert all("\n" not in a.header() and "\r" not in a.header() for a in addresses)


@pytest.mark.parametrize("address", [
    "bob@exa\r\nmple.org", "bob\r\n@example.org", "bob@example.org>\r\nBcc: x@y.org",
    "bob", "@example.org", "bob@", "bo b@example.org", "bob@-example.org", "a..b@example.org",
])
def test_invalid_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidAddress):
        parse_address(address)


def test_address_lists_report_each_bad_entry() -> None:
    entries = list(iter_addresses('Ann <ann@example.com>, nobody, "Bo" <bo@bad_domain>, '
                                  'ANN@example.com, cé@exämple.org'))
    assert [type(entry).__name__ for entry in entries] == ["Address", "InvalidAddress",
                                                           "InvalidAddress", "Address"]
    assert entries[1].entry == "nobody"
    assert entries[3].email == "cé@xn--exmple-cua.org" and entries[3].needs_smtputf8
    with pytest.raises(InvalidAddress, match="nobody"):
        parse_addresses("ann@example.com, nobody")


@pytest.mark.parametrize("text", [
    "alice@example.org, Bob <bob@example.net>", "J. R. Smith <jrs@example.org>",
    "<bare@example.org>", "Nameless <>", "nobody", "a@example.org,,b@example.org",
    " spaced@example.org ,  Zoë   Z  <zoe@example.org> ", "ann@example.org\nbob@example.org",
    # what the fast path leaves to the RFC 5322 parser
    '"Smith, Ann" <ann@example.org>', "ann@example.org (Ann)", "Ann Smith",
    "team: ann@example.org, bob@example.org;", "bob@example.org <bob@example.org>",
    "ann@[192.0.2.1]", 'Ann \\ <ann@example.org>',
])
def test_address_lists_read_as_the_email_package_reads_them(text: str) -> None:
    def entries(pairs: object) -> list[tuple[str, str]]:
        return [(" ".join(name.split()), email) for name, email in pairs]

    expected = email.utils.getaddresses([text.replace("\n", ",")])
    assert entries(_split(text)) == entries(expected)


def test_utf8_local_parts_are_written_for_smtputf8() -> None:
    data = _message(to=[parse_address("zoë@example.org", "Zoë")])
    assert "To: \"Zoë\" <zoë@example.org>".encode() in data
    parsed = email.message_from_string(data.decode().replace("\r\n", "\n"),
                                       policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec == "zoë@example.org"


@pytest.mark.parametrize("headers, message", [
    ({"X-Evil": "a\r\nBcc: victim@example.net"}, "line breaks"),
    ({"X-Evil": "a\nb"}, "line breaks"),
    ({"Bcc": "victim@example.net"}, "set by the message itself"),
    ({"from": "ceo@example.com"}, "set by the message itself"),
    ({"Content-Type": "text/html"}, "set by the message itself"),
    ({"Bad Name": "x"}, "not a valid header name"),
    ({"X-A\r\nBcc": "x"}, "not a valid header name"),
    ({"X-Colon:": "x"}, "not a valid header name"),
    ({"X-List": ["a", "b"]}, "must be text"),
    (["X-A", "b"], "must be a mapping"),
])
def test_extra_headers_are_checked(headers: object, message: str) -> None:
    with pytest.raises(HeaderError, match=message):
        check_extra_headers(headers)  # type: ignore[arg-type]
    with pytest.raises(HeaderError):
        _message(headers=headers)


def test_extra_headers_pass_through() -> None:
    headers = {"Auto-Submitted": "auto-generated", "List-Unsubscribe": "<https://x.example/u/1>",
               "X-Postroom-Objects": "res.partner-7", "X-Count": 3}
    message = _parse(_message(headers=headers))
    for name, value in headers.items():
        assert message[name] == str(value)


def test_invalid_message_id_is_refused() -> None:
    with pytest.raises(HeaderError):
        _message(message_id="<a@b>\r\nBcc: victim@example.net")


def test_text_only_message() -> None:
    message = _parse(_message(body=build_body("Just text.\nTwo lines.")))
    assert message.get_content_type() == "text/plain"
    assert message.get_content().rstrip("\n") == "Just text.\nTwo lines."


def test_dots_and_long_lines_survive_quoted_printable() -> None:
    html = "<p>" + "x" * 3000 + "</p>\n.\n.. starts with dots"
    message = _parse(_message(body=build_body("a\n.\nb", html)))
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n").strip() == html
    assert re.search(rb"^\.", _message(body=build_body("a\n.\nb", html)), re.MULTILINE)
