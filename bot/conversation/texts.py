"""Texts for people, from the translation catalogs in ``locales/``; money and plurals by Babel.

Catalog values are HTML; placeholders are filled with escaped values, so a product name like
``<Best> & Co`` can never break Telegram's HTML parser or inject markup.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.numbers import format_currency
from babel.plural import PluralRule

from bot.domain.money import Money, minor_unit_exponent

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LOCALE = "en"
#: Our locale code -> the Babel locale used for numbers and plural rules.
SUPPORTED: dict[str, str] = {"en": "en_US", "zh": "zh_Hans_CN"}
#: What /lang shows for each locale, in its own language.
NATIVE_NAMES: dict[str, str] = {"en": "English", "zh": "简体中文"}


def escape(value: object) -> str:
    return html.escape(str(value), quote=False)


def pick_locale(
    chosen: str | None, language_code: str | None, default: str = DEFAULT_LOCALE
) -> str:
    """The buyer's choice if made, else their Telegram app language if we speak it."""
    if chosen in SUPPORTED:
        return chosen
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in SUPPORTED:
            return base
    return default if default in SUPPORTED else DEFAULT_LOCALE


def catalog_files(locale: str) -> list[Path]:
    """A locale's catalog: ``locales/<code>.json`` and the parts in ``locales/<code>/`` (one per
    area of the bot, e.g. the merchant console), in a fixed order."""
    return [LOCALES_DIR / f"{locale}.json", *sorted((LOCALES_DIR / locale).glob("*.json"))]


@cache
def _catalog(locale: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for path in catalog_files(locale):
        with path.open(encoding="utf-8") as fh:
            part: dict[str, str] = json.load(fh)
        clash = data.keys() & part.keys()
        if clash:
            raise ValueError(f"{path.name} repeats keys of {locale}: {sorted(clash)[:5]}")
        data.update(part)
    return data


class Raw(str):
    """A value already in HTML (e.g. a formatted price or a nested text): not escaped again."""

    __slots__ = ()


class Texts:
    """The texts of one locale. ``t("cart.added", name=...)`` escapes every value it inserts."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in SUPPORTED else DEFAULT_LOCALE
        self._own = _catalog(self.locale)
        self._fallback = _catalog(DEFAULT_LOCALE)

    def t(self, key: str, **values: object) -> str:
        template = self._own.get(key) or self._fallback[key]
        if not values:
            return template
        safe = {k: v if isinstance(v, Raw) else escape(v) for k, v in values.items()}
        return template.format(**safe)

    def label(self, key: str, **values: object) -> str:
        """Text for a button: Telegram shows button text as it is, so nothing is escaped."""
        template = self._own.get(key) or self._fallback[key]
        return template.format(**values) if values else template

    def plural(self, key: str, n: int, **values: object) -> str:
        """The text of ``key`` for the count ``n`` (filled in as ``{n}``): ``key.one`` or
        ``key.other`` in English, ``key.other`` alone in Chinese, as ``plural_form`` says."""
        safe = {k: v if isinstance(v, Raw) else escape(v) for k, v in values.items()}
        return self._plural_template(key, n).format(n=n, **safe)

    def plural_label(self, key: str, n: int, **values: object) -> str:
        """``plural`` for a button or an alert: nothing is escaped."""
        return self._plural_template(key, n).format(n=n, **values)

    def _plural_template(self, key: str, n: int) -> str:
        for catalog, locale in ((self._own, self.locale), (self._fallback, DEFAULT_LOCALE)):
            for form in (plural_form(locale, n), "other"):
                template = catalog.get(f"{key}.{form}")
                if template:
                    return template
        raise KeyError(f"{key}.other")

    def money(self, amount: Money) -> Raw:
        return _format_money(self.locale, amount)


@cache
def _plural_rule(locale: str) -> PluralRule:
    return Locale.parse(SUPPORTED[locale]).plural_form


def plural_form(locale: str, n: int) -> str:
    """The CLDR plural category of the count ``n`` in ``locale``: English has "one" (1) and
    "other" (0, 2, 21, ...); Chinese has only "other". A plural text has one catalog entry per
    category its locale uses: ``cart.items.one`` and ``cart.items.other`` in ``en.json``,
    ``cart.items.other`` alone in ``zh.json``."""
    return str(_plural_rule(locale)(abs(n)))


def plural_forms(locale: str) -> frozenset[str]:
    """Every category ``plural_form`` can give in ``locale`` ("other" always among them)."""
    return frozenset(_plural_rule(locale).tags) | {"other"}


@lru_cache(maxsize=8192)
def _format_money(locale: str, amount: Money) -> Raw:
    """Locale-aware money, cached: Babel takes a good part of a millisecond per price, and a
    shop shows the same few prices over and over."""
    if amount.currency == "XTR":
        return Raw(f"⭐{amount.amount}")
    exp = minor_unit_exponent(amount.currency)
    value = Decimal(amount.amount).scaleb(-exp)
    return Raw(escape(format_currency(value, amount.currency, locale=SUPPORTED[locale])))


@cache
def texts(locale: str) -> Texts:
    return Texts(locale)
