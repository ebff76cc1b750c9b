"""Babel formatting helpers, and the language/time zone set by render_locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from postroom.render import (
    QWeb,
    current_lang,
    current_tz,
    format_amount,
    format_date,
    format_datetime,
    format_decimal,
    render_inline,
    render_locale,
)


def plain(text: str) -> str:
    """Babel's narrow and ordinary no-break spaces, as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_format_amount_with_iso_codes():
    assert format_amount(1500, "USD", "en_US") == "$1,500.00"
    assert plain(format_amount(1500, "EUR", "fr_FR")) == "1 500,00 €"
    assert plain(format_amount(1234.5, "EUR", "de_DE")) == "1.234,50 €"
    assert format_amount(1500, "JPY", "en_US") == "¥1,500"
    for lang in ("en_US", "fr_FR", "de_DE"):
        assert format_amount(-7.5, "EUR", lang) == babel_numbers.format_currency(
            -7.5, "EUR", locale=lang
        )


def test_format_amount_with_a_currency_record(make_currency):
    euro = make_currency("EUR", rounding=0.01, decimal_places=2)
    assert format_amount(1234.5, euro, "en_US") == "€1,234.50"
    # the rounding step applies, and sets the digits when decimal_places is missing
    assert plain(format_amount(1.23, make_currency("CHF", rounding=0.05), "de_CH")) == "CHF 1.25"
    # the record's decimal places win over the ISO ones
    assert format_amount(2, make_currency("USD", decimal_places=3), "en_US") == "$2.000"
    assert format_amount(1234.5, make_currency("JPY", rounding=1), "en_US") == "¥1,235"


def test_format_decimal():
    assert format_decimal(1234.5678, "en_US") == "1,234.568"
    assert plain(format_decimal(1234.5678, "fr_FR")) == "1 234,568"
    assert format_decimal(1234.5, "de_DE", digits=2) == "1.234,50"
    assert format_decimal(3, "en_US", digits=0) == "3"


def test_format_date():
    day = date(2025, 3, 4)
    assert format_date(day, "en_US") == "Mar 4, 2025"
    assert format_date(day, "de_DE", "long") == "4. März 2025"
    assert format_date(day, "fr_FR", "full") == babel_dates.format_date(day, "full", locale="fr_FR")
    assert format_date("2025-03-04", "en_US", "dd/MM/yyyy") == "04/03/2025"


def test_format_datetime_converts_naive_utc_to_the_zone():
    moment = datetime(2025, 3, 4, 15, 30)
    assert plain(format_datetime(moment, "Europe/Brussels", "en_US", "short")) == "3/4/25, 4:30 PM"
    expected = babel_dates.format_datetime(
        moment.replace(tzinfo=UTC), "medium", tzinfo=ZoneInfo("Europe/Berlin"), locale="de_DE"
    )
    assert format_datetime(moment, "Europe/Berlin", "de_DE") == expected
    assert (
        plain(format_datetime("2025-03-04 15:30:00", "UTC", "en_US", "short")) == "3/4/25, 3:30 PM"
    )
    aware = datetime(2025, 3, 4, 15, 30, tzinfo=ZoneInfo("America/New_York"))
    assert plain(format_datetime(aware, "UTC", "en_US", "short")) == "3/4/25, 8:30 PM"


def test_empty_values_format_as_empty_strings():
    for value in (None, False):
        assert format_amount(value, "EUR") == ""
        assert format_decimal(value) == ""
        assert format_date(value) == ""
        assert format_datetime(value) == ""


def test_render_locale_sets_the_defaults():
    assert (current_lang(), current_tz()) == ("en_US", "UTC")
    moment = datetime(2025, 3, 4, 23, 30)
    with render_locale("fr_FR", "Europe/Paris"):
        assert plain(format_amount(1500, "EUR")) == "1 500,00 €"
        assert format_date(moment) == "5 mars 2025"  # already the 5th in Paris
        assert format_datetime(moment) == format_datetime(moment, "Europe/Paris", "fr_FR")
        with render_locale("de_DE", None):
            assert (current_lang(), current_tz()) == ("de_DE", "Europe/Paris")
        with render_locale(False, False):
            assert (current_lang(), current_tz()) == ("fr_FR", "Europe/Paris")
        assert format_amount(1500, "USD", "en_US") == "$1,500.00"  # explicit lang wins
    assert (current_lang(), current_tz()) == ("en_US", "UTC")


def test_unknown_language_and_zone_fall_back():
    assert format_amount(5, "USD", "xx_YY") == "$5.00"
    assert format_decimal(1.5, "fr_XX") == "1,5"
    assert format_datetime(datetime(2025, 1, 1, 12), "Mars/Olympus", "en_US", "short") == (
        format_datetime(datetime(2025, 1, 1, 12), "UTC", "en_US", "short")
    )


@pytest.mark.parametrize(("lang", "expected"), [("en_US", "€1,234.50"), ("de_DE", "1.234,50 €")])
def test_templates_format_for_their_reader(order, lang, expected):
    with render_locale(lang):
        inline = render_inline(
            "{{ format_amount(object.amount_total, object.currency_id) }}", {"object": order}
        )
        body = QWeb().render(
            '<t t-out="format_amount(object.amount_total, object.currency_id)"/>', {"object": order}
        )
    assert plain(inline) == expected
    assert plain(str(body)) == expected
