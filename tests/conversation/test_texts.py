import json
import string

from bot.conversation.texts import LOCALES_DIR, SUPPORTED, Texts, pick_locale
from bot.domain.money import Money


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_locale_has_every_key_with_the_same_placeholders() -> None:
    english = json.loads((LOCALES_DIR / "en.json").read_text(encoding="utf-8"))
    for code in SUPPORTED:
        catalog = json.loads((LOCALES_DIR / f"{code}.json").read_text(encoding="utf-8"))
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
