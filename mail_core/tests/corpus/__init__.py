"""Messages for the gateway tests, made on the fly (import ``corpus``).

- :func:`mail` builds one well-formed message (CRLF line ends) from a few keywords.
- :func:`real_world` gives messages as mail clients, servers and robots really send
  them, odd charsets and MIME layouts included; :func:`malformed` gives broken ones
  (boundaries that never come, huge headers, bad encodings, binary junk, deep nesting);
  :func:`mutations` derives seeded random corruptions of both. Each is ``(name, bytes)``.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

__all__ = ["NOT_MESSAGES", "mail", "malformed", "mutations", "real_world"]

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwAD"
                       "hgGAWjR9awAAAABJRU5ErkJggg==")
#: names of corpus messages that are not email at all (no header field)
NOT_MESSAGES = frozenset({"binary-junk", "no-header-at-all"})


def mail(*, subject: str = "Hello", sender: str = "Ann Smith <ann@example.org>",
         to: str = "support@example.com", body: str = "Hello there!", html: str | None = None,
         message_id: str | None = None, in_reply_to: str | None = None,
         references: str | None = None, headers: dict[str, str] | None = None,
         attachments: Iterable[tuple[str, bytes, str]] = ()) -> bytes:
    """A message with a text body (and an HTML alternative), files given as
    ``(name, content, mimetype)``."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, content, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _raw(text: str) -> bytes:
    """A hand-written message: LF line ends become CRLF; ``\\u00XX`` characters stand for
    raw bytes (latin-1), so that any byte sequence can be written."""
    return text.replace("\n", "\r\n").encode("latin-1")


_HEAD = "From: Bob <bob@example.net>\nTo: support@example.com\nDate: Mon, 7 Oct 2024 09:00:00 +0000\n"


def real_world() -> list[tuple[str, bytes]]:
    """Messages as they come from the wild: every one of them must be processed."""
    korean = "안녕하세요 고객님".encode("cp949")
    japanese = "請求書の件".encode("iso2022_jp")
    chinese = "发票已附上".encode("gb2312")
    return [
        ("plain", mail()),
        ("html-alternative", mail(html="<p>Hello <b>there</b>!</p>")),
        ("latin1-labelled-utf8", _raw(_HEAD + "Subject: caf\xe9\nContent-Type: text/plain; "
                                      "charset=utf-8\n\nD\xe9j\xe0 vu, cr\xe8me br\xfbl\xe9e.\n")),
        ("utf8-labelled-ascii", _raw(_HEAD + "Subject: x\nContent-Type: text/plain; "
                                     "charset=us-ascii\n\n" + "naïve façade".encode().decode(
                                         "latin-1") + "\n")),
        ("unknown-charset", _raw(_HEAD + "Subject: =?x-klingon?q?Qapla=27?=\nContent-Type: "
                                 "text/plain; charset=x-klingon\n\nnuqneH \xff\n")),
        ("korean-ks_c_5601", _raw(_HEAD + "Subject: =?ks_c_5601-1987?B?"
                                  + base64.b64encode(korean).decode() + "?=\nContent-Type: "
                                  "text/plain; charset=ks_c_5601-1987\n\n" + korean.decode(
                                      "latin-1") + "\n")),
        ("japanese-iso2022", _raw(_HEAD + "Subject: =?iso-2022-jp?B?"
                                  + base64.b64encode(japanese).decode() + "?=\nContent-Type: "
                                  "text/plain; charset=iso-2022-jp\n\n" + japanese.decode(
                                      "latin-1") + "\n")),
        ("chinese-gb2312", _raw(_HEAD + "Subject: =?gb2312?B?" + base64.b64encode(chinese).decode()
                                + "?=\nContent-Type: text/plain; charset=gb2312\n\n"
                                + chinese.decode("latin-1") + "\n")),
        ("utf7", _raw(_HEAD + "Subject: utf-7\nContent-Type: text/plain; charset="
                      "unicode-1-1-utf-7\n\nHi +AOk-t+AOk-\n")),
        ("8bit-utf8-headers", _raw(_HEAD.replace("Bob", "Zoë Ångström".encode().decode("latin-1"))
                                   + "Subject: " + "Überweisung fällig".encode().decode("latin-1")
                                   + "\n\nBody\n")),
        ("8bit-latin1-headers", _raw(_HEAD + "Subject: R\xe9sum\xe9 \xe0 revoir\n\nBody\n")),
        ("encoded-word-charset-language", _raw(_HEAD + "Subject: =?utf-8*en?q?hello_world?=\n\nx\n")),
        ("flowed-delsp", _raw(_HEAD + "Subject: flowed\nContent-Type: text/plain; charset=utf-8; "
                              "format=flowed; delsp=yes\n\nThis is a long line that was wr \n"
                              "apped by the client.\n> quoted and \n> flowed\n-- \nBob\n")),
        ("inline-image", _raw(_HEAD + "Subject: logo\nContent-Type: multipart/related; "
                              "boundary=rel\n\n--rel\nContent-Type: text/html; charset=utf-8\n\n"
                              "<p>Logo: <img src=\"cid:logo%40x\"></p>\n--rel\nContent-Type: "
                              "image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n"
                              "\n" + base64.b64encode(PNG).decode() + "\n--rel--\n")),
        ("calendar-invite", _raw(_HEAD + "Subject: Meeting\nContent-Type: multipart/alternative; "
                                 "boundary=alt\n\n--alt\nContent-Type: text/plain\n\nMeet?\n--alt\n"
                                 "Content-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\n"
                                 "END:VCALENDAR\n--alt--\n")),
        ("delivery-report", _raw("From: MAILER-DAEMON@mx.example.net\nTo: support@example.com\n"
                                 "Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: "
                                 "auto-replied\nContent-Type: multipart/report; report-type="
                                 "delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\n"
                                 "Sorry.\n--r\nContent-Type: message/delivery-status\n\n"
                                 "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; "
                                 "x@example.org\nAction: failed\nStatus: 5.1.1\n\n--r\n"
                                 "Content-Type: message/rfc822\n\nFrom: support@example.com\n"
                                 "Subject: our mail\nMessage-ID: <ours@example.com>\n\nHi\n--r--\n")),
        ("forwarded-nested", _raw(_HEAD + "Subject: Fwd: Fwd: hi\nContent-Type: multipart/mixed; "
                                  "boundary=a\n\n--a\nContent-Type: text/plain\n\nSee below\n--a\n"
                                  "Content-Type: message/rfc822\n\nFrom: c@x\nSubject: Fwd: hi\n"
                                  "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
                                  "text/plain\n\ninner\n--b\nContent-Type: message/rfc822\n\n"
                                  "From: d@x\nSubject: hi\n\ninnermost\n--b--\n--a--\n")),
        ("rfc2231-filename", _raw(_HEAD + "Subject: file\nContent-Type: multipart/mixed; boundary=m"
                                  "\n\n--m\nContent-Type: text/plain\n\nsee file\n--m\nContent-Type:"
                                  " application/pdf\nContent-Disposition: attachment; filename*="
                                  "iso-8859-1''r%E9sum%E9.pdf\nContent-Transfer-Encoding: base64\n"
                                  "\nJVBERi0xLjQK\n--m--\n")),
        ("outlook-encoded-filename", _raw(_HEAD + "Subject: file\nContent-Type: multipart/mixed; "
                                          "boundary=m\n\n--m\nContent-Type: text/plain\n\nx\n--m\n"
                                          "Content-Type: application/octet-stream; name=\"=?utf-8?B?"
                                          + base64.b64encode("Übersicht.xlsx".encode()).decode()
                                          + "?=\"\nContent-Disposition: attachment\n\nabc\n--m--\n")),
        ("smime-signed", _raw(_HEAD + "Subject: signed\nContent-Type: multipart/signed; protocol="
                              "\"application/pkcs7-signature\"; boundary=s\n\n--s\nContent-Type: "
                              "text/plain\n\nsigned text\n--s\nContent-Type: application/pkcs7-"
                              "signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\n"
                              "MIAGCSqGSIb3DQEHAqCAMIACAQEx\n--s--\n")),
        ("tnef", _raw(_HEAD + "Subject: winmail\nContent-Type: multipart/mixed; boundary=t\n\n--t\n"
                      "Content-Type: text/plain\n\nsee attached\n--t\nContent-Type: application/"
                      "ms-tnef; name=winmail.dat\nContent-Transfer-Encoding: base64\n\neJ8+IgAA\n"
                      "--t--\n")),
        ("hostile-html", mail(html="<html><head><style>body{}</style><script>alert(1)</script>"
                                   "</head><body onload='x()'><a href='javascript:alert(2)'>x</a>"
                                   "<img src='http://t.example/p.gif' onerror='y()'><iframe src="
                                   "'http://e.example'></iframe><p style='position:fixed;color:red'"
                                   ">hi</p></body></html>")),
        ("many-attachments", mail(attachments=[(f"f{i}.txt", b"x" * i, "text/plain")
                                               for i in range(200)])),
        ("cr-only", (_HEAD + "Subject: old mac\n\nline one\nline two\n").replace("\n", "\r")
         .encode()),
        ("lf-only", (_HEAD + "Subject: unix\n\nline one\n").encode()),
        ("auto-reply-legacy", _raw(_HEAD + "Subject: Out of office\nX-Autoreply: yes\n\naway\n")),
    ]


def malformed() -> list[tuple[str, bytes]]:
    """Broken messages: none of them may crash a worker."""
    deep = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(150))
    return [
        ("unclosed-boundary", _raw(_HEAD + "Subject: x\nContent-Type: multipart/mixed; boundary=q"
                                   "\n\n--q\nContent-Type: text/plain\n\npart one, never closed\n")),
        ("boundary-never-appears", _raw(_HEAD + "Subject: x\nContent-Type: multipart/alternative; "
                                        "boundary=nowhere\n\nJust text, no parts.\n")),
        ("multipart-without-boundary", _raw(_HEAD + "Subject: x\nContent-Type: multipart/mixed\n\n"
                                            "--x\nContent-Type: text/plain\n\nhi\n--x--\n")),
        ("deep-nesting", _raw(_HEAD + "Subject: deep\n" + deep + "Content-Type: text/plain\n\n"
                              "bottom\n")),
        ("huge-subject", _raw(_HEAD + "Subject: " + "A" * 1_000_000 + "\n\nx\n")),
        ("ten-thousand-references", _raw(_HEAD + "Subject: refs\nReferences: " + " ".join(
            f"<r{i}@example.com>" for i in range(10_000)) + "\n\nx\n")),
        ("five-thousand-headers", _raw(_HEAD + "".join(f"X-Spam-{i}: {i}\n" for i in range(5000))
                                       + "Subject: many\n\nx\n")),
        ("garbage-header-lines", _raw(_HEAD + "this is not a header\n: empty name\nSubject: x\n\nb\n")),
        ("broken-encoded-words", _raw(_HEAD + "Subject: =?utf-8?B?####?= =?utf-8?Q?=ZZ?= "
                                      "=?nonexistent?q?x?= =?utf-8?x?y?=\n\nbody\n")),
        ("invalid-base64-body", _raw(_HEAD + "Subject: b64\nContent-Type: text/plain\n"
                                     "Content-Transfer-Encoding: base64\n\n!!!@@@###$$$\n")),
        ("invalid-quoted-printable", _raw(_HEAD + "Subject: qp\nContent-Type: text/plain\n"
                                          "Content-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=4\n")),
        ("uuencode", _raw(_HEAD + "Subject: uu\nContent-Type: text/plain\n"
                          "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n#86)C\n`\nend\n")),
        ("garbage-content-type", _raw(_HEAD + "Subject: ct\nContent-Type: text/;;;=\"\n\nbody\n")),
        ("rfc822-base64", _raw(_HEAD + "Subject: fwd\nContent-Type: multipart/mixed; boundary=m\n\n"
                               "--m\nContent-Type: message/rfc822\nContent-Transfer-Encoding: "
                               "base64\n\n" + base64.b64encode(b"From: a@b\r\n\r\nhi").decode()
                               + "\n--m--\n")),
        ("nul-bytes", _raw(_HEAD + "Subject: nul\x00here\n\nbody \x00 with nul\n")),
        ("path-traversal-filename", mail(attachments=[("../../etc/passwd", b"root", "text/plain")])),
        ("bad-date", _raw(_HEAD.replace("Mon, 7 Oct 2024 09:00:00 +0000", "yesterday at noon")
                          + "Subject: d\n\nx\n")),
        ("future-date", _raw(_HEAD.replace("2024", "2999") + "Subject: d\n\nx\n")),
        ("message-id-garbage", _raw(_HEAD + "Subject: id\nMessage-ID: not an id at all\n\nx\n")),
        ("empty-alternative", _raw(_HEAD + "Subject: e\nContent-Type: multipart/alternative; "
                                   "boundary=e\n\n--e--\n")),
        ("headers-only", _raw(_HEAD + "Subject: no body")),
        ("long-line", _raw(_HEAD + "Subject: long\n\n" + "x" * 2_000_000 + "\n")),
        ("binary-8bit-body", _HEAD.encode() + b"Subject: bin\r\nContent-Transfer-Encoding: 8bit\r\n"
                                                b"\r\n" + bytes(range(256)) * 20),
        ("no-header-at-all", b"Hello, this is just a line of text.\r\nAnd another.\r\n"),
        ("binary-junk", PNG * 50),
    ]


def mutations(count: int = 150, seed: int = 20241007) -> list[tuple[str, bytes]]:
    """``count`` seeded corruptions of corpus messages: truncated, bytes flipped, lines
    dropped or repeated."""
    rng = random.Random(seed)
    sources = [raw for _name, raw in real_world() + malformed()[:12] if len(raw) < 200_000]
    result = []
    for number in range(count):
        raw = bytearray(rng.choice(sources))
        operation = number % 4
        if operation == 0:
            del raw[rng.randrange(len(raw)):]
        elif operation == 1:
            for _ in range(rng.randint(1, 20)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        else:
            lines = bytes(raw).split(b"\r\n")
            index = rng.randrange(len(lines))
            if operation == 2:
                del lines[index]
            else:
                lines[index:index] = [lines[index]] * rng.randint(2, 5)
            raw = bytearray(b"\r\n".join(lines))
        result.append((f"mutation-{number}", bytes(raw)))
    return result
