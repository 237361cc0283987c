import json
import re
import string

import pytest

from bot.conversation.texts import (
    SUPPORTED,
    Texts,
    catalog_files,
    pick_locale,
    plural_form,
    plural_forms,
)
from bot.domain.money import Money


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _load(code: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in catalog_files(code):
        part = json.loads(path.read_text(encoding="utf-8"))
        assert not merged.keys() & part.keys(), (code, path.name)
        merged.update(part)
    return merged


#: The CLDR plural categories; a catalog key ending in one of them is a plural form.
_CATEGORIES = {"zero", "one", "two", "few", "many", "other"}


def _split(key: str, catalog: dict[str, str]) -> tuple[str, str | None]:
    """``cart.items.one`` -> (``cart.items``, ``one``) when ``cart.items.other`` exists
    (every plural text has an "other" form); a plain key (``ac.bad.zero``) -> (key, None)."""
    base, _, last = key.rpartition(".")
    if base and last in _CATEGORIES and f"{base}.other" in catalog:
        return base, last
    return key, None


def _plurals(catalog: dict[str, str]) -> dict[str, set[str]]:
    forms: dict[str, set[str]] = {}
    for key in catalog:
        base, form = _split(key, catalog)
        if form is not None:
            forms.setdefault(base, set()).add(form)
    return forms


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    """Plain keys alike in every locale; a plural key has exactly the forms its locale's rule
    can pick (English one and other, Chinese other alone), each with English's placeholders."""
    english = _load("en")
    assert [p.name for p in catalog_files("zh")[1:]] == [p.name for p in catalog_files("en")[1:]]
    for code in SUPPORTED:
        catalog = _load(code)
        plain = {k for k in catalog if _split(k, catalog)[1] is None}
        assert plain == {k for k in english if _split(k, english)[1] is None}, code
        for key in plain:
            assert _fields(catalog[key]) == _fields(english[key]), (code, key)
        plurals = _plurals(catalog)
        assert plurals.keys() == _plurals(english).keys(), code
        for base, forms in plurals.items():
            assert forms == plural_forms(code), (code, base, forms)
            for form in forms:
                template = catalog[f"{base}.{form}"]
                assert "{n}" in template, (code, base, form)
                assert _fields(template) == _fields(english[f"{base}.other"]), (code, base, form)


def test_plural_rules_of_english_and_chinese() -> None:
    assert [plural_form("en", n) for n in (0, 1, 2, 11, 21, 101)] == ["other", "one"] + [
        "other"
    ] * 4
    assert {plural_form("zh", n) for n in range(0, 200)} == {"other"}
    assert plural_forms("en") == {"one", "other"} and plural_forms("zh") == {"other"}


@pytest.mark.parametrize(
    ("key", "values", "one", "two"),
    [
        ("cart.items", {}, "1 item", "2 items"),
        ("orders.return_closed", {}, "for 1 day after", "for 2 days after"),
        ("flood.slow_down", {}, "wait 1 second,", "wait 2 seconds,"),
        ("drop.halted", {"drop": 4, "reason": "x"}, "after 1 send:", "after 2 sends:"),
        ("ac.cp.more", {}, "1 older or disabled one (", "2 older or disabled ones ("),
        ("ac.cp.personal", {}, "1 personal reward coupon from", "2 personal reward coupons from"),
        (
            "admin.fs.confirm_stop",
            {"sale": 3, "name": "Jelly"},
            "1 unit taken so far stays",
            "2 units taken so far stay",
        ),
        (
            "admin.dr.confirm_send",
            {"drop": 4, "audience": "all"},
            "<b>1</b> chat (",
            "<b>2</b> chats (",
        ),
        ("admin.dr.sending", {"drop": 4}, "to 1 chat.", "to 2 chats."),
        ("admin.fs.units", {}, "1 unit", "2 units"),
        ("creator.count.clicks", {}, "1 click", "2 clicks"),
        ("creator.count.orders", {}, "1 order", "2 orders"),
        ("admin.st.orders", {}, "1 paid order", "2 paid orders"),
        (
            "guess.cooling",
            {"limit": 10, "window": 10, "at": "12:00"},
            "wait 1 minute (",
            "wait 2 minutes (",
        ),
    ],
)
def test_counts_read_right_for_one_and_for_more(
    key: str, values: dict[str, object], one: str, two: str
) -> None:
    en, zh = Texts("en"), Texts("zh")
    assert one in en.plural(key, 1, **values) and two not in en.plural(key, 1, **values)
    assert two in en.plural(key, 2, **values) and one not in en.plural(key, 2, **values)
    assert en.plural(key, 0, **values) == en.plural(key, 2, **values).replace("2", "0", 1)
    # Chinese: one form, the count in it, and never an English fallback.
    for n in (1, 2):
        text = zh.plural(key, n, **values)
        assert str(n) in text and text != en.plural(key, n, **values)


def test_a_plural_text_escapes_its_values_but_a_plural_label_does_not() -> None:
    tx = Texts("en")
    assert "Jelly &amp; Co" in tx.plural("admin.fs.confirm_stop", 1, sale=1, name="Jelly & Co")
    assert "Jelly & Co" in tx.plural_label("admin.fs.confirm_stop", 1, sale=1, name="Jelly & Co")
    assert tx.plural_label("flood.slow_down", 1).count("1 second,") == 1


#: English texts that put a number before a plural noun although they are not plural texts,
#: because that number is never 1: limits and periods the shop fixes (at least 2).
_NEVER_ONE = {
    "search.too_long",  # browsing.MAX_QUERY_CHARS
    "review.refusal.too_long",
    "review.ask_text",
    "ac.bad.too_long",
    "ac.pn.ask_description",
    "admin.or.ask_tracking",
    "admin.or.bad_tracking",
    "group.prices",  # a team has at least MIN_TEAM = 2 people
    "group.opened",
    "creator.chart.title",  # CHART_DAYS
    "creator.chart.caption",  # the same days; clicks and orders are plural texts
    "invite.yours",  # the cap on rewarded friends
    "admin.st.btn_days",  # 7, 30, 90 (1 is "Today")
    "admin.st.period.too_long",
}
_COUNT_NOUN = re.compile(r"\{(\w+)\}(?:</b>)? (\w+s|people)\b")
#: Words after a name (``{code} as``, ``{shop} invites``) rather than after a count.
_NOT_NOUNS = {"is", "was", "has", "does", "needs", "works", "stays", "reaches", "as", "invites"}


def test_no_plain_text_puts_a_count_before_a_plural_noun() -> None:
    """A new "{n} days" must be a plural text (``.one``/``.other``) or be listed above with
    the reason its number is never 1: "1 days" and "1 chats" read wrong."""
    english = _load("en")
    offenders = sorted(
        key
        for key, template in english.items()
        if _split(key, english)[1] is None
        and key not in _NEVER_ONE
        and any(noun not in _NOT_NOUNS for _, noun in _COUNT_NOUN.findall(template))
    )
    assert offenders == []


def test_locale_choice() -> None:
    assert pick_locale(None, "zh-hans") == "zh"
    assert pick_locale(None, "zh-TW") == "zh"
    assert pick_locale(None, "de") == "en"
    assert pick_locale("en", "zh-hans") == "en"
    assert pick_locale("xx", None) == "en"


def test_values_are_escaped_but_formatted_money_is_not() -> None:
    tx = Texts("en")
    text = tx.t("cart.removed", name="<b>Evil</b> & Co")
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in text
    assert tx.t("card.price_from", price=tx.money(Money(5999, "USD"))) == "from $59.99"
    assert Texts("zh").money(Money(5999, "CNY")) == "¥59.99"
    assert tx.money(Money(50, "XTR")) == "⭐50"
    assert tx.plural("cart.items", 1) == "1 item"
    assert tx.plural("cart.items", 2) == "2 items"
