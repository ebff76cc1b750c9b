"""The gateway's parser, without a database: headers, charsets, body, files, markers."""

from __future__ import annotations

import datetime

import pytest
from corpus import PNG, mail
from postroom.addons.mail_core.gateway.body import replace_cids, unflow
from postroom.addons.mail_core.gateway.charsets import codec_for, decode_header, decode_text
from postroom.addons.mail_core.gateway.imap import decode_folder, encode_folder
from postroom.addons.mail_core.gateway.parser import IncomingMail, parse_mail, read_message


def parse(raw: bytes | str) -> IncomingMail:
    if isinstance(raw, str):
        raw = raw.replace("\n", "\r\n").encode("latin-1")
    return parse_mail(read_message(raw))


HEAD = "From: Bob <bob@example.net>\nTo: support@example.com\nSubject: s\n"


# ----------------------------------------------------------------------------------------
# charsets and headers
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("label, codec", [
    ("UTF-8", "utf-8"), ("utf8", "utf-8"), ('"iso-8859-1"', "cp1252"), ("us-ascii", "cp1252"),
    ("ks_c_5601-1987", "cp949"), ("gb2312", "gb18030"), ("utf-8*en", "utf-8"),
    ("x-unknown", None), ("", None), ("rot13", None), ("unicode-escape", None), ("idna", None),
])
def test_charset_labels(label: str, codec: str | None) -> None:
    assert codec_for(label) == codec


def test_text_falls_back_from_a_wrong_label() -> None:
    assert decode_text("crème".encode("latin-1"), "utf-8") == "crème"  # mislabelled
    assert decode_text("crème".encode(), "us-ascii") == "crème"  # UTF-8 labelled ASCII
    assert decode_text(b"caf\xe9", "x-klingon") == "café"
    assert decode_text("Ελλάδα".encode("iso-8859-7"), "iso-8859-7") == "Ελλάδα"
    assert decode_text(b"a\x00b\x07c\td", None) == "abc\td"  # controls dropped, tab kept


@pytest.mark.parametrize("value, text", [
    ("=?utf-8?q?caf=C3=A9?= au lait", "café au lait"),
    ("=?iso-8859-1?q?caf=E9?= =?iso-8859-1?q?_cr=E8me?=", "café crème"),  # no space between
    ("Re: =?UTF-8?B?w6l0w6k=?=", "Re: été"),
    ("=?utf-8?b?w6l0w6k?=", "été"),  # padding missing
    ("=?utf-8?B?####?= end", "end"),
    ("=?nonexistent?q?caf=E9?=", "café"),
    ("Folded\r\n  over\r\n\tlines", "Folded over lines"),
    ("R\udce9sum\udce9", "Résumé"),  # raw latin-1 bytes, as the parser keeps them
    ("\udcc3\udcbcber", "über"),  # raw UTF-8 bytes
])
def test_header_decoding(value: str, text: str) -> None:
    assert decode_header(value) == text


def test_headers_of_a_message() -> None:
    parsed = parse("From: =?utf-8?q?Jos=C3=A9?= <jose@example.com>\nTo: a@x.org, \"B\" <b@x.org>\n"
                   "Cc: c@x.org\nDelivered-To: support@example.com\nReply-To: help@x.org\n"
                   "Subject: R\xe9union\nMessage-ID: <abc@x>\nIn-Reply-To: <p2@y>\n"
                   "References: <p1@y>\n <p2@y>\nDate: Tue, 1 Oct 2024 10:00:00 +0200\n\nbody\n")
    assert parsed.email_from == "José <jose@example.com>"
    assert parsed.subject == "Réunion"
    assert parsed.to == 'a@x.org, "B" <b@x.org>' and parsed.cc == "c@x.org"
    assert parsed.recipients == 'support@example.com, a@x.org, "B" <b@x.org>, c@x.org'
    assert parsed.reply_to == "help@x.org"
    assert parsed.message_id == "<abc@x>"
    assert parsed.in_reply_to == "<p2@y>" and parsed.references == ["<p1@y>", "<p2@y>"]
    assert parsed.date == datetime.datetime(2024, 10, 1, 8, 0)  # UTC
    assert parsed.auto_submitted is None


def test_bare_or_missing_message_id_and_bad_dates() -> None:
    assert parse(HEAD + "Message-ID: bare@token\n\nx").message_id == "<bare@token>"
    assert parse(HEAD + "\nx").message_id is None
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    for date in ("yesterday", "Tue, 1 Oct 2999 10:00:00 +0000", "Mon, 1 Jan 1900 00:00 +0000"):
        assert abs(parse(HEAD + f"Date: {date}\n\nx").date - now) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize("header, automatic", [
    ("Auto-Submitted: auto-replied", "auto-replied"),
    ("Auto-Submitted: auto-generated; owner-email=x@y", "auto-generated"),
    ("Auto-Submitted: no", None),
    ("X-Autoreply: yes", "auto-replied"),
    ("Precedence: auto_reply", "auto-replied"),
    ("Precedence: bulk", None),
    ("Content-Type: multipart/report; report-type=delivery-status; boundary=x", "auto-replied"),
])
def test_automatic_mail(header: str, automatic: str | None) -> None:
    assert parse(f"{HEAD}{header}\n\nx").auto_submitted == automatic


# ----------------------------------------------------------------------------------------
# body and files
# ----------------------------------------------------------------------------------------
def test_html_alternative_is_preferred_and_sanitized() -> None:
    parsed = parse_mail(read_message(mail(
        body="plain version",
        html="<html><head><style>p {}</style></head><body><p onclick='x()'>Hi <b>there</b></p>"
             "<script>alert(1)</script><a href='javascript:alert(2)'>link</a></body></html>")))
    assert "plain version" not in parsed.body
    assert "<p>Hi <b>there</b></p>" in parsed.body
    assert "script" not in parsed.body and "onclick" not in parsed.body
    assert "javascript" not in parsed.body and "p {}" not in parsed.body


def test_plain_text_is_escaped_and_flowed_text_unwrapped() -> None:
    parsed = parse(HEAD + "Content-Type: text/plain; format=flowed\n\nDear <customer>, this \n"
                   "line was wrapped.\n\nSecond paragraph\n-- \nBob\n")
    assert parsed.body == ("<p>Dear &lt;customer&gt;, this line was wrapped.</p>"
                           "<p>Second paragraph<br>-- <br>Bob</p>")
    assert unflow("a \nb \nc\n> q1 \n> q2", delsp=False) == "a b c\n> q1 q2"
    assert unflow("wr \napped", delsp=True) == "wrapped"


def test_mixed_parts_attachments_and_calendar() -> None:
    raw = (HEAD + "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\n"
           "first\n--m\nContent-Type: application/pdf\nContent-Disposition: attachment; "
           "filename*=iso-8859-1''r%E9sum%E9.pdf\nContent-Transfer-Encoding: base64\n\n"
           "JVBERi0=\n--m\nContent-Type: text/plain\nContent-Disposition: inline\n\nsecond\n--m\n"
           "Content-Type: text/plain; name=notes.txt\n\nfile, not body\n--m\nContent-Type: "
           "text/calendar\n\nBEGIN:VCALENDAR\n--m--\n")
    parsed = parse(raw)
    assert parsed.body == "<p>first</p>\n<p>second</p>"
    assert [(f.name, f.content, f.mimetype) for f in parsed.attachments] == [
        ("résumé.pdf", b"%PDF-", "application/pdf"),
        ("notes.txt", b"file, not body", "text/plain"),
        ("attachment-3.ics", b"BEGIN:VCALENDAR", "text/calendar")]


def test_inline_images_keep_their_content_id() -> None:
    raw = (HEAD + "Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n"
           '<p><img src="cid:logo%40x"></p>\n--r\nContent-Type: image/png\nContent-ID: <logo@x>\n'
           "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r--\n")
    parsed = parse(raw)
    [image] = parsed.attachments
    assert image.cid == "logo@x" and image.content.startswith(b"\x89PNG")
    assert replace_cids(parsed.body, {"logo@x": "https://example.com/web/image/7"}) == \
        '<p><img src="https://example.com/web/image/7"></p>'
    assert replace_cids(parsed.body, {}) == parsed.body


def test_embedded_messages_are_files_not_body() -> None:
    raw = (HEAD + "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/plain\n\n"
           "See below\n--a\nContent-Type: message/rfc822\n\nFrom: c@x\nSubject: Quarterly: "
           "figures\n\ninner text\n--a--\n")
    parsed = parse(raw)
    assert parsed.body == "<p>See below</p>"
    [attached] = parsed.attachments
    assert attached.name == "Quarterly_ figures.eml" and attached.mimetype == "message/rfc822"
    assert b"inner text" in attached.content and b"From: c@x" in attached.content


def test_file_names_are_made_safe() -> None:
    raw = mail(attachments=[("../../etc/passwd", b"root", "text/plain"),
                            ("a\x01b|c?.png", PNG, "image/png")])
    assert [f.name for f in parse_mail(read_message(raw)).attachments] == ["etc_passwd",
                                                                           "ab_c_.png"]


def test_broken_boundaries_still_show_the_text() -> None:
    never = parse(HEAD + "Content-Type: multipart/alternative; boundary=q\n\nno parts at all\n")
    assert never.body == "<p>no parts at all</p>"
    unclosed = parse(HEAD + "Content-Type: multipart/mixed; boundary=q\n\n--q\n"
                     "Content-Type: text/plain\n\nnever closed\n")
    assert unclosed.body == "<p>never closed</p>"


def test_deep_nesting_is_cut() -> None:
    deep = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(60))
    parsed = parse(HEAD + deep + "Content-Type: text/plain\n\nbottom\n")
    assert len(parsed.attachments) == 1 and b"bottom" in parsed.attachments[0].content


def test_folder_names_in_modified_utf7() -> None:
    for name, wire in [("INBOX", '"INBOX"'), ("Entwürfe", '"Entw&APw-rfe"'), ("a&b", '"a&-b"'),
                       ("日本語", '"&ZeVnLIqe-"'), ('Say "hi"', '"Say \\"hi\\""')]:
        assert encode_folder(name) == wire
        assert decode_folder(wire) == name
