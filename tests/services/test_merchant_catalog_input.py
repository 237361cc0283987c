"""What a merchant types while adding or editing a product in chat."""

from __future__ import annotations

import pytest

from bot.domain.money import Money
from bot.services import merchant_catalog as mc
from bot.services.merchant_catalog import BadInput, InputProblem


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12,5", "EUR", 1250),
        ("$7", "USD", 700),
        (" 3.99 USD", "USD", 399),
        ("1500", "JPY", 1500),
        ("0.001", "KWD", 1),
        ("１２．５", "CNY", 1250),  # full-width, as a Chinese keyboard types them
    ],
)
def test_prices(text: str, currency: str, minor: int) -> None:
    assert mc.parse_price(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "problem"),
    [
        ("0", "USD", InputProblem.ZERO),
        ("0.00", "USD", InputProblem.ZERO),
        ("-3", "USD", InputProblem.NEGATIVE),
        ("cheap", "USD", InputProblem.NOT_A_PRICE),
        ("1.2.3", "USD", InputProblem.NOT_A_PRICE),
        ("٣", "USD", InputProblem.NOT_A_PRICE),  # another script's digit is not a price
        ("1.234", "USD", InputProblem.DECIMALS),
        ("1.5", "JPY", InputProblem.DECIMALS),
        ("99999999999999", "USD", InputProblem.TOO_BIG),
    ],
)
def test_bad_prices(text: str, currency: str, problem: InputProblem) -> None:
    with pytest.raises(BadInput) as caught:
        mc.parse_price(text, currency)
    assert caught.value.problem is problem


def test_stock() -> None:
    assert mc.parse_stock(" 1,000 ") == 1000 and mc.parse_stock("0") == 0
    assert mc.parse_stock("１０") == 10
    for text, problem in [
        ("-1", InputProblem.NEGATIVE),
        ("2.5", InputProblem.NOT_A_COUNT),
        ("many", InputProblem.NOT_A_COUNT),
        ("99999999999", InputProblem.TOO_BIG),
    ]:
        with pytest.raises(BadInput) as caught:
            mc.parse_stock(text)
        assert caught.value.problem is problem, text


def test_names_and_texts() -> None:
    assert mc.clean_name("  Tea \n  Cup\u200b ") == "Tea Cup"
    assert mc.clean_text("line one\nline two", 50) == "line one\nline two"
    with pytest.raises(BadInput) as caught:
        mc.clean_name("\u0000 \t")
    assert caught.value.problem is InputProblem.EMPTY
    with pytest.raises(BadInput) as caught:
        mc.clean_name("x" * 81)
    assert caught.value.limit == 80


def test_slugs() -> None:
    assert mc.slugify("Matcha <Latte> Kit!") == "matcha-latte-kit"
    assert mc.slugify("Crème brûlée") == "creme-brulee"
    assert mc.slugify("芒果干") == "item"
    assert len(mc.slugify("a" * 200)) <= 48
