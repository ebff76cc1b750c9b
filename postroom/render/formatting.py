"""Locale-aware formatting of amounts, numbers, dates and times, with Babel.

The same helpers serve Python code and templates (they are globals of the expression
sandbox): ``format_amount(object.amount_total, object.currency_id)``.

Languages are Odoo-style codes (``en_US``, ``fr_FR``, ``de_DE``, ``sr@latin``). When a
helper gets no explicit ``lang`` or ``tz`` it uses the ones set by :func:`render_locale`
for the current thread or task, so code that renders a mail *for a partner* writes::

    with render_locale(partner.lang, partner.tz):
        body = qweb.render("mail_core.notification", {"object": record})

and every amount and date inside comes out in the partner's language and time zone.
Outside any ``render_locale`` block the defaults are ``en_US`` and UTC. An unknown
language falls back to its base language, then to ``en_US``; an unknown time zone falls
back to UTC: a wrong setting on a partner must not stop their mail from being rendered.

Empty values (``None``/``False``, as the ORM returns for empty fields) format as ``""``.
Babel's output uses narrow and ordinary no-break spaces (U+202F, U+00A0) where the
locale wants them, e.g. ``1\u202f500,00\xa0€`` in French.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.numbers import NumberPattern

DEFAULT_LANG = "en_US"

_LANG: ContextVar[str] = ContextVar("postroom_render_lang", default=DEFAULT_LANG)
_TZ: ContextVar[str] = ContextVar("postroom_render_tz", default="UTC")


@contextmanager
def render_locale(lang: str | None = None, tz: str | None = None) -> Iterator[None]:
    """Format in `lang` and show times in `tz` inside the block.

    A falsy `lang` or `tz` (``None``, ``False``, ``""``) keeps the current setting.
    """
    tokens = [(var, var.set(value)) for var, value in ((_LANG, lang), (_TZ, tz)) if value]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_lang() -> str:
    """The language helpers use when they get none."""
    return _LANG.get()


def current_tz() -> str:
    """The time zone helpers use when they get none."""
    return _TZ.get()


@lru_cache(maxsize=128)
def _locale(lang: str) -> Locale:
    for candidate in (lang, lang.split("@")[0].split("_")[0]):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(DEFAULT_LANG)


@lru_cache(maxsize=128)
def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _fixed_fraction(pattern: NumberPattern, digits: int) -> NumberPattern:
    """A copy of `pattern` that always shows exactly `digits` decimals."""
    fixed = copy.copy(pattern)
    fixed.frac_prec = (digits, digits)
    return fixed


def _currency(currency: Any) -> tuple[str, int | None, Decimal | None]:
    """ISO code, decimal places and rounding step of a currency code or record."""
    if isinstance(currency, str):
        return currency, None, None
    rounding = getattr(currency, "rounding", None)
    step = Decimal(str(rounding)) if rounding else None
    digits = getattr(currency, "decimal_places", None)
    if digits is None and step is not None:
        digits = max(0, -int(step.normalize().as_tuple().exponent))
    return currency.name, digits, step


def format_amount(amount: Any, currency: Any, lang: str | None = None) -> str:
    """Format `amount` in `currency` (an ISO code, or a record with ``.name`` and optional
    ``.rounding``/``.decimal_places``), e.g. ``format_amount(1500, 'USD') == '$1,500.00'``.

    A currency record's rounding step applies first (``0.05`` rounds 1.23 to 1.25) and
    its decimal places override the ISO ones; a bare ISO code uses Babel's digits
    (2 for USD, 0 for JPY).
    """
    if amount is None or amount is False:
        return ""
    if not currency:
        # a document without a currency: the number alone, never a crash mid-template
        return format_decimal(amount, lang, digits=2)
    code, digits, step = _currency(currency)
    value = Decimal(str(amount))
    if step:
        value = (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    locale = _locale(lang or current_lang())
    if digits is None:
        return babel_numbers.format_currency(value, code, locale=locale)
    pattern = _fixed_fraction(locale.currency_formats["standard"], digits)
    return babel_numbers.format_currency(
        value, code, format=pattern, locale=locale, currency_digits=False
    )


def format_decimal(number: Any, lang: str | None = None, digits: int | None = None) -> str:
    """Format `number` with the locale's separators; `digits` fixes the decimals shown
    (by default up to three, as needed)."""
    if number is None or number is False:
        return ""
    locale = _locale(lang or current_lang())
    pattern = locale.decimal_formats[None]
    if digits is not None:
        pattern = _fixed_fraction(pattern, digits)
    return babel_numbers.format_decimal(number, format=pattern, locale=locale)


def _as_utc_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def format_date(value: Any, lang: str | None = None, date_format: str = "medium") -> str:
    """Format a date (``date``, ``datetime`` or ISO string) with a Babel format name
    (``short``, ``medium``, ``long``, ``full``) or an LDML pattern such as ``dd/MM/yyyy``.

    A datetime is first converted to the current time zone, so the day is the one the
    reader lived it.
    """
    if value is None or value is False or value == "":
        return ""
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        value = _as_utc_datetime(value).astimezone(_zone(current_tz())).date()
    return babel_dates.format_date(
        value, format=date_format, locale=_locale(lang or current_lang())
    )


def format_datetime(
    value: Any, tz: str | None = None, lang: str | None = None, dt_format: str = "medium"
) -> str:
    """Format a datetime (or ISO string) in time zone `tz`; naive values are UTC."""
    if value is None or value is False or value == "":
        return ""
    return babel_dates.format_datetime(
        _as_utc_datetime(value),
        format=dt_format,
        tzinfo=_zone(tz or current_tz()),
        locale=_locale(lang or current_lang()),
    )
