"""Rendering: templates, the expression sandbox, formatting helpers and HTML cleaning.

Postroom renders two kinds of templates, both written by users and both evaluated in one
sandbox:

* **Inline templates** fill short text fields such as a mail's subject or recipients::

      >>> render_inline("Order {{ object.name }} ({{ object.ref ||| no ref }})", ctx)
      'Order SO042 (no ref)'

  The result is plain text (see :mod:`postroom.render.inline`).

* **QWeb templates** are XML with ``t-*`` directives, used for mail bodies and pages::

      >>> QWeb().render('<p>Dear <t t-out="object.partner_id.name"/></p>', ctx)
      Markup('<p>Dear Ada &amp; co</p>')

  The result is ``markupsafe.Markup``; values are escaped unless they already are
  ``Markup`` (see :mod:`postroom.render.qweb`). Named templates and ``t-call`` go
  through the ``loader`` given to :class:`QWeb`.

Every ``{{ ... }}`` and every directive value is a Jinja2 expression run by the sandbox
(:mod:`postroom.render.sandbox`): records expose their fields and a read-only API but
no ``write``/``unlink``/``sudo``/``env``; private names, ``str.format`` and data-altering
callables are refused; operators are bounded, and each render gets a time and an output
budget (:class:`RenderLimits`: 2 s and 1,000,000 characters by default). Whatever goes
wrong raises :class:`RenderError`, which names the expression (or template), the
directive when there is one, and the reason.

When a template is saved, :func:`validate_inline` and :func:`validate_qweb` report
syntax errors and always-refused names; :func:`inline_expressions`,
:func:`qweb_directives` and :func:`is_plain_field_path` tell whether it only reads plain
``object.field`` paths, which anyone may write.

Expressions can call the Babel helpers of :mod:`postroom.render.formatting`
(``format_amount``, ``format_date``, ``format_datetime``, ``format_decimal``); wrap a
render in ``with render_locale(lang, tz):`` to format for a given reader.

HTML from outside is cleaned with :func:`sanitize_html` (nh3); :func:`html_to_text` and
:func:`plaintext_to_html` convert between a mail's HTML and plain-text forms.
"""

from postroom.render.formatting import (
    current_lang,
    current_tz,
    format_amount,
    format_date,
    format_datetime,
    format_decimal,
    render_locale,
)
from postroom.render.html import html_to_text, plaintext_to_html, sanitize_html
from postroom.render.inline import (
    inline_expressions,
    is_plain_field_path,
    render_inline,
    validate_inline,
)
from postroom.render.qweb import QWeb, qweb_directives, validate_qweb
from postroom.render.sandbox import (
    Expression,
    RenderError,
    RenderLimits,
    compile_expression,
    evaluate,
)

__all__ = [
    "Expression",
    "QWeb",
    "RenderError",
    "RenderLimits",
    "compile_expression",
    "current_lang",
    "current_tz",
    "evaluate",
    "format_amount",
    "format_date",
    "format_datetime",
    "format_decimal",
    "html_to_text",
    "inline_expressions",
    "is_plain_field_path",
    "plaintext_to_html",
    "qweb_directives",
    "render_inline",
    "render_locale",
    "sanitize_html",
    "validate_inline",
    "validate_qweb",
]
