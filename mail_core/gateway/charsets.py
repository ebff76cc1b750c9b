"""Text of incoming mail in whatever charset it claims, or fails to claim.

Mail arrives labelled with charsets that are misspelt (``utf8``, ``x-unknown``),
proprietary (``ks_c_5601-1987``), or simply wrong (``us-ascii`` on UTF-8 text).
:func:`decode_text` never raises: it tries the declared charset (through the
aliases mail clients need), then UTF-8, then Windows-1252, and replaces what
still does not decode. :func:`decode_header` does the same for header values:
raw 8-bit bytes (RFC 6532) and RFC 2047 encoded words, even malformed ones. Both drop
the control characters that text never holds (NUL, which PostgreSQL refuses, among them).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import functools
import re

__all__ = ["codec_for", "decode_header", "decode_text"]

# What mail clients write in charset= and what Python calls it. WHATWG's rule applies to
# ISO-8859-1 and ASCII too: text labelled so is nearly always Windows-1252 in practice.
_ALIASES = {
    "ansi_x3.4-1968": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "iso_8859-1": "cp1252",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "big5": "big5hkscs", "shift_jis": "cp932", "x-sjis": "cp932", "sjis": "cp932",
    "iso-8859-8-i": "iso-8859-8", "iso-8859-8-e": "iso-8859-8", "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874", "x-mac-roman": "mac_roman", "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7", "utf8": "utf-8",
}  # fmt: skip
# Text codecs that interpret their input (escapes, IDNA) rather than map characters.
_REFUSED = frozenset({"unicode-escape", "raw-unicode-escape", "punycode", "idna"})
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"\?=\s+=\?")
_FOLDING = re.compile(r"\s*[\r\n]+\s*")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


@functools.lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """The Python codec for a MIME ``charset`` label, or None if there is no usable one."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower().split("*", 1)[0]  # RFC 2231: charset*lang
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return info.name


def decode_text(data: bytes, charset: str | None = None) -> str:
    """``data`` as text: the declared ``charset``, else UTF-8, else Windows-1252; never raises."""
    codec = codec_for(charset)
    for candidate in (codec, "utf-8"):
        if candidate and candidate != "cp1252":
            try:
                return _without_controls(data.decode(candidate))
            except UnicodeError:
                pass
    # Invalid UTF-8 is most often Windows-1252 mislabelled; another charset keeps its word.
    return _without_controls(data.decode("cp1252" if codec in (None, "utf-8") else codec,
                                         "replace"))


def _without_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, text = match.groups()
    try:
        if encoding in "bB":
            raw = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            raw = binascii.a2b_qp(text.replace("_", " ").encode("ascii", "replace"))
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_text(raw, charset)


def decode_header(value: object) -> str:
    """A header value as one line of text: 8-bit bytes and RFC 2047 words decoded, unfolded."""
    if value is None:
        return ""
    text = str(value)
    if not text.isascii():
        # raw bytes of an 8-bit header, kept by the parser as surrogate escapes; a str
        # message is already text
        with contextlib.suppress(UnicodeError):
            text = decode_text(text.encode("ascii", "surrogateescape"), "utf-8")
    if "=?" in text:
        text = _ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub("?==?", text))
    return _without_controls(_FOLDING.sub(" ", text).strip())
