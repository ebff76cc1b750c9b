"""Sanitizing foreign HTML, and converting between HTML and plain text."""

from __future__ import annotations

from markupsafe import Markup

from postroom.render import html_to_text, plaintext_to_html, sanitize_html

HOSTILE = """
<p onclick="steal()" style="color: red; position: fixed; background: url(javascript:alert(1))"
   t-if="True" t-out="object.sudo()">Hello<script>alert('x')</script><style>p{}</style></p>
<a href="javascript:alert(1)">js</a><a href="https://example.com/" target="_blank">ok</a>
<a href="/web/logout">relative</a>
<img src="data:image/png;base64,AAAA" alt="data"><img src="cid:logo@mail" alt="logo">
<img src="https://example.com/pixel.gif" onerror="x()">
<iframe src="https://example.com"></iframe><svg><script>x()</script></svg>
<form action="https://evil"><input name="password"></form>
<table border="1" cellpadding="4"><tr><td colspan="2" style="padding: 4px; text-align: right">cell</td></tr></table>
"""


def test_sanitize_drops_scripts_handlers_and_dangerous_urls():
    clean = sanitize_html(HOSTILE)
    assert isinstance(clean, Markup)
    for banned in (
        "script",
        "alert",
        "onclick",
        "onerror",
        "javascript:",
        "data:",
        "position",
        "url(",
        "t-if",
        "t-out",
        "sudo",
        "iframe",
        "svg",
        "form",
        "password",
        "/web/logout",
        "p{}",
    ):
        assert banned not in clean, banned


def test_sanitize_keeps_mail_content():
    clean = sanitize_html(HOSTILE)
    assert '<p style="color:red">Hello</p>' in clean
    assert '<img src="cid:logo@mail" alt="logo">' in clean
    assert '<img src="https://example.com/pixel.gif">' in clean
    assert (
        '<a href="https://example.com/" target="_blank" rel="noopener noreferrer">ok</a>' in clean
    )
    assert '<table border="1" cellpadding="4">' in clean
    assert '<td colspan="2" style="padding:4px;text-align:right">cell</td>' in clean
    assert sanitize_html('<a href="mailto:ada@example.com">mail</a>') == (
        '<a href="mailto:ada@example.com" rel="noopener noreferrer">mail</a>'
    )


def test_sanitize_strict_drops_images_styles_and_classes():
    clean = sanitize_html(
        '<p class="x" style="color:red">a<img src="cid:y"><b>b</b></p>', strict=True
    )
    assert clean == "<p>a<b>b</b></p>"


def test_sanitize_empty_input():
    assert sanitize_html("") == Markup("")
    assert sanitize_html(None) == Markup("")


def test_html_to_text():
    html = """<html><head><title>Title</title><style>p { color: red }</style></head><body>
    <h1>Hello&nbsp;Ada &amp; co</h1>
    <p>First   paragraph
       with a <a href="https://example.com/x">link</a>.<br>Second line</p>
    <p>Mail <a href="mailto:ada@example.com">ada@example.com</a>, see <a href="https://example.com">https://example.com</a></p>
    <ul><li>One</li><li>Two<ul><li>Nested</li></ul></li></ul>
    <ol><li>First</li><li>Second</li></ol>
    <blockquote><p>Quoted</p><p>twice</p></blockquote>
    <table><tr><td>A1</td><td>B1</td></tr><tr><td>A2</td><td>B2</td></tr></table>
    <script>alert(1)</script><div>end &lt;tag&gt;</div>
    </body></html>"""
    assert html_to_text(html) == (
        "Hello Ada & co\n"
        "\n"
        "First paragraph with a link [https://example.com/x].\n"
        "Second line\n"
        "\n"
        "Mail ada@example.com, see https://example.com\n"
        "\n"
        "* One\n"
        "* Two\n"
        "  * Nested\n"
        "\n"
        "1. First\n"
        "2. Second\n"
        "\n"
        "> Quoted\n"
        ">\n"
        "> twice\n"
        "\n"
        "A1 B1\n"
        "A2 B2\n"
        "\n"
        "end <tag>"
    )


def test_html_to_text_small_inputs():
    assert html_to_text("") == ""
    assert html_to_text(None) == ""
    assert html_to_text("<!-- only a comment -->") == ""
    assert html_to_text("plain &lt;text&gt;") == "plain <text>"
    assert html_to_text("a<br><br><br><br>b") == "a\n\nb"
    assert html_to_text("<pre>  keep\n    spacing</pre>") == "  keep\n    spacing"
    assert html_to_text('<img src="cid:x" alt="Logo"> <a href="#top">top</a>') == "Logo top"


def test_plaintext_to_html():
    html = plaintext_to_html("Hello <Ada> & co\nsecond line\n\nhttps://example.com")
    assert isinstance(html, Markup)
    assert html == "<p>Hello &lt;Ada&gt; &amp; co<br>second line</p><p>https://example.com</p>"
    assert plaintext_to_html("") == Markup("")
    assert plaintext_to_html("a\r\nb") == "<p>a<br>b</p>"
