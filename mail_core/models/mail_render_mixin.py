"""mail.render.mixin: render a model's template fields for records of another model.

Mail templates and the composer hold *sources*, rendered once per record of the model they
apply to (``render_model``):

- char fields (subject, From, To, Reply-To, language ...) are inline templates,
  ``Order {{ object.name }} ({{ object.client_ref ||| no reference }})``;
- HTML fields (the body) are QWeb, ``<p t-if="object.partner_id">Dear <t t-out="..."/></p>``.

Both evaluate in the runtime's sandbox (:mod:`postroom.render`) with ``object`` (the
record), ``user`` (the current user) and ``ctx`` (the context), plus the formatting helpers
(``format_amount``, ``format_date`` ...). Records are read with the current user's rights.
Rendering is batched per language: the ``lang`` source gives each record's language, and
amounts and dates come out formatted for it (``render_locale``).

Who may write what: anyone may use plain field paths (``object.partner_id.name``); any
other expression (calls, operators, ``user``, QWeb ``t-if``/``t-foreach``/``t-call`` ...)
needs the "Mail Template Editor" group. Models whose sources are checked when they are
saved (mail.template) set ``_unrestricted_rendering``; the others (the composer, whose
fields the user edits) are checked when they render.

Rendered header fields never carry a line break to the MIME layer: the subject's are
folded into spaces, and a From, To, Cc, Reply-To or recipient list holding one is refused.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from postroom import _, api, fields, models
from postroom.exceptions import AccessError
from postroom.http.templates import qweb_for
from postroom.render import (
    RenderError,
    inline_expressions,
    is_plain_field_path,
    qweb_directives,
    render_inline,
    render_locale,
)

EDITOR_GROUP = "mail_core.group_mail_template_editor"
#: QWeb directives a non-editor may use, with plain field paths only
_PLAIN_DIRECTIVES = ("t-out", "t-esc")
_LINE_BREAKS = re.compile(r"[\r\n\x00\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_LANG_CODE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,4})?(?:@[A-Za-z]+)?\Z")
_LOCAL_LINK = re.compile(r"""\b(href|src)=(["'])(/(?!/)[^"']*)\2""")


def single_line(text: str) -> str:
    """`text` with its line breaks (and the blanks around them) folded into one space."""
    return re.sub(rf"\s*(?:{_LINE_BREAKS.pattern})+\s*", " ", text).strip()


def check_single_line(label: str, value: str, source: str | None = None) -> str:
    """`value` stripped; RenderError if a line break is left inside (header injection)."""
    value = value.strip()
    if _LINE_BREAKS.search(value):
        raise RenderError(source or value, _(
            "the result %r holds a line break, which %s may not contain", value[:60], label))
    return value


class MailRenderMixin(models.AbstractModel):
    _name = "mail.render.mixin"
    _description = "Mail Render Mixin"
    #: sources checked when saved: rendering them needs no editor rights
    _unrestricted_rendering = False

    lang = fields.Char("Language", help="An inline template giving the recipient's language "
                       "code, e.g. {{ object.partner_id.lang }}; empty: the user's language.")
    render_model = fields.Char("Rendering Model", compute="_compute_render_model")

    def _compute_render_model(self) -> None:
        """The model whose records the sources render for (each model says which)."""
        for record in self:
            record.render_model = False

    # ------------------------------------------------------------------
    # who may write what
    # ------------------------------------------------------------------
    @api.model
    def _is_template_editor(self) -> bool:
        return self.env.su or self.env.user.has_group(EDITOR_GROUP)

    @api.model
    def _render_engine(self, field: str) -> str:
        """``qweb`` for HTML fields, ``inline`` for the others."""
        return "qweb" if self._fields[field].type == "html" else "inline"

    @api.model
    def _unsafe_expressions(self, source: str | None, engine: str) -> list[str]:
        """The expressions of `source` beyond plain ``object.field`` paths (an invalid
        source has none: saying why it is invalid is the validation's job)."""
        if not source:
            return []
        try:
            if engine == "qweb":
                return [f'{directive}="{value}"' for directive, value in qweb_directives(source)
                        if directive not in _PLAIN_DIRECTIVES or not is_plain_field_path(value)]
            return [expr for expr in inline_expressions(source) if not is_plain_field_path(expr)]
        except RenderError:
            return []

    @api.model
    def _check_template_editor(self, sources: Iterable[tuple[str, str | None]]) -> None:
        """AccessError unless the user may use every expression of `sources`,
        ``(field name, source)`` pairs."""
        if self._is_template_editor():
            return
        for field, source in sources:
            unsafe = self._unsafe_expressions(source, self._render_engine(field))
            if unsafe:
                group = self.env.ref(EDITOR_GROUP).name
                raise AccessError(_(
                    "Only members of the group \"%s\" may use expressions other than plain "
                    "field paths such as {{ object.partner_id.name }}. %s uses: %s",
                    group, self._fields[field].string, unsafe[0]))

    # ------------------------------------------------------------------
    # rendering
    # ------------------------------------------------------------------
    def _render_eval_context(self) -> dict[str, Any]:
        """What every expression sees besides ``object`` and the sandbox's helpers."""
        return {"user": self.env.user, "ctx": dict(self.env.context)}

    def _generate_template(self, res_ids: list[int], render_fields: list[str]
                           ) -> dict[int, dict[str, Any]]:
        """`render_fields` rendered for each record, batched per language:
        ``{res_id: {field: value, ..., "lang": language}}``."""
        self.ensure_one()
        results: dict[int, dict[str, Any]] = {res_id: {} for res_id in res_ids}
        for lang, ids in self._classify_per_lang(res_ids).items():
            for field in render_fields:
                for res_id, value in self._render_field(field, ids, set_lang=lang).items():
                    results[res_id][field] = value
            for res_id in ids:
                results[res_id]["lang"] = lang
        return results

    def _render_field(self, field: str, res_ids: list[int], *, set_lang: str | None = None
                      ) -> dict[int, str | Markup]:
        """This record's `field` rendered for each of `res_ids` of ``render_model``:
        ``{res_id: value}``, in language `set_lang`, else in each record's language."""
        self.ensure_one()
        groups = {set_lang: list(res_ids)} if set_lang else self._classify_per_lang(res_ids)
        results: dict[int, str | Markup] = {}
        for lang, ids in groups.items():
            results.update(self._render_template(field, ids, lang))
        return results

    def _render_template(self, field: str, res_ids: list[int], lang: str
                         ) -> dict[int, str | Markup]:
        """This record's `field` rendered for `res_ids` in `lang`, post-processed."""
        source = self[field]
        engine = self._render_engine(field)
        if not self._unrestricted_rendering:
            self._check_template_editor([(field, source)])
        if not source:
            return dict.fromkeys(res_ids, Markup("") if engine == "qweb" else "")
        records = self.env[self.render_model].with_context(lang=lang).browse(res_ids)
        base = self._render_eval_context()
        tz = self.env.context.get("tz") or self.env.user.tz
        with render_locale(lang, tz):
            if engine == "qweb":
                qweb = qweb_for(self.pool, self.env)
                # wrapped: a body made of one word would otherwise name a template
                wrapped = f"<t>{source}</t>"
                return {record.id: self._replace_local_links(
                    qweb.render(wrapped, {**base, "object": record})) for record in records}
            rendered = {record.id: render_inline(source, {**base, "object": record})
                        for record in records}
        return {res_id: self._render_post_process(field, source, value)
                for res_id, value in rendered.items()}

    def _render_post_process(self, field: str, source: str, value: str) -> str:
        """A rendered inline field on one line, as mail headers need it: the subject's line
        breaks are folded, any other field's are refused (header injection)."""
        if field == "subject":
            return single_line(value)
        return check_single_line(self._fields[field].string, value, source)

    def _replace_local_links(self, html: Markup) -> Markup:
        """Links and images to ``/path`` made absolute with ``web.base.url``: mail readers
        have no site to resolve them against."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        if not base_url or "/" not in html:
            return html
        return Markup(_LOCAL_LINK.sub(
            lambda match: f"{match[1]}={match[2]}{base_url.rstrip('/')}{match[3]}{match[2]}",
            str(html)))

    # ------------------------------------------------------------------
    # languages
    # ------------------------------------------------------------------
    def _render_lang(self, res_ids: list[int]) -> dict[int, str]:
        """Each record's language: ``lang`` rendered, else the context's or the user's."""
        self.ensure_one()
        default = self.env.context.get("lang") or self.env.user.lang or "en_US"
        if not self.lang:
            return dict.fromkeys(res_ids, default)
        rendered = self._render_field("lang", res_ids, set_lang=default)
        return {res_id: value if _LANG_CODE.match(value) else default
                for res_id, value in rendered.items()}

    def _classify_per_lang(self, res_ids: list[int]) -> dict[str, list[int]]:
        """`res_ids` grouped by language, to render each group once per field."""
        groups: dict[str, list[int]] = defaultdict(list)
        for res_id, lang in self._render_lang(res_ids).items():
            groups[lang].append(res_id)
        return dict(groups)
