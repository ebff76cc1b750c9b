"""res.lang: languages users and partners read mail in, from the CLDR (Babel)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from postroom import api, fields, models
from postroom.exceptions import UserError

#: languages offered out of the box (activate others with ``_activate_lang``)
COMMON_LANGS = ("en_US", "en_GB", "fr_FR", "fr_BE", "de_DE", "nl_NL", "nl_BE", "es_ES",
                "it_IT", "pt_BR", "pt_PT", "pl_PL", "sv_SE", "da_DK", "ja_JP", "zh_CN", "ar_SA")


class ResLang(models.Model):
    _name = "res.lang"
    _description = "Language"
    _order = "active desc, name"

    name = fields.Char(required=True)
    code = fields.Char("Locale Code", required=True, help="e.g. en_US, fr_FR")
    iso_code = fields.Char("ISO code")
    active = fields.Boolean()
    direction = fields.Selection([("ltr", "Left-to-Right"), ("rtl", "Right-to-Left")],
                                 default="ltr", required=True)

    _sql_constraints = [("code_uniq", "UNIQUE (code)", "The language code must be unique.")]

    @api.model
    def _lang_values(self, code: str) -> dict:
        try:
            locale = Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            raise UserError(f"Unknown language {code!r}: use a locale code such as fr_FR") from None
        return {"name": locale.get_display_name("en_US"), "code": code,
                "iso_code": locale.language, "direction": "rtl" if locale.text_direction == "rtl"
                else "ltr"}

    @api.model
    def _load_common_langs(self) -> None:
        """Create the common languages (inactive but English), with ``base.lang_<code>`` ids."""
        existing = set(self.with_context(active_test=False).search([]).mapped("code"))
        langs = self.create([{**self._lang_values(code), "active": code == "en_US"}
                             for code in COMMON_LANGS if code not in existing])
        self.env["ir.model.data"]._update_xmlids([
            {"xml_id": f"base.lang_{lang.code.split('_')[0] if lang.code == 'en_US' else lang.code}",
             "record": lang, "noupdate": True} for lang in langs])

    @api.model
    def _activate_lang(self, code: str) -> ResLang:
        """Activate (creating if needed) the language ``code``."""
        lang = self.with_context(active_test=False).search([("code", "=", code)], limit=1)
        if lang:
            lang.active = True
            return lang
        return self.create({**self._lang_values(code), "active": True})

    @api.model
    def get_installed(self) -> list[tuple[str, str]]:
        """``[(code, name)]`` of the active languages."""
        return [(lang.code, lang.name) for lang in self.search([])]
