import json
import string

from bot.conversation.texts import SUPPORTED, Texts, catalog_files, pick_locale
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


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    english = _load("en")
    assert [p.name for p in catalog_files("zh")[1:]] == [p.name for p in catalog_files("en")[1:]]
    for code in SUPPORTED:
        catalog = _load(code)
        assert catalog.keys() == english.keys(), code
        for key, template in catalog.items():
            assert _fields(template) == _fields(english[key]), (code, key)


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
