import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.money import CurrencyMismatch, Money, minor_unit_exponent, parse_major, sum_money


def test_money_is_integer_minor_units_only() -> None:
    with pytest.raises(TypeError):
        Money(12.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(100, "usd")


def test_arithmetic_refuses_to_mix_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "EUR")
    assert Money(150, "USD") + Money(50, "USD") == Money(200, "USD")
    assert Money(150, "USD") * 3 == Money(450, "USD")
    assert 2 * Money(5, "XTR") == Money(10, "XTR")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("59.99", "USD", 5999),
        ("89", "USD", 8900),
        ("0.5", "EUR", 50),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
    ],
)
def test_parse_major_is_exact(text: str, currency: str, minor: int) -> None:
    assert parse_major(text, currency) == Money(minor, currency)


@pytest.mark.parametrize("text", ["1.999", "abc", "-1", "1e3", "", "1.2.3"])
def test_parse_major_refuses_what_is_not_a_price(text: str) -> None:
    with pytest.raises(ValueError):
        parse_major(text, "USD")


def test_exponents_follow_telegram() -> None:
    assert minor_unit_exponent("USD") == 2
    assert minor_unit_exponent("JPY") == 0
    assert minor_unit_exponent("XTR") == 0
    assert Money(5999, "USD").major_str() == "59.99"
    assert Money(-5, "USD").major_str() == "-0.05"
    assert Money(1000, "JPY").major_str() == "1000"


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=30))
def test_sum_is_the_sum_of_amounts(amounts: list[int]) -> None:
    total = sum_money([Money(a, "USD") for a in amounts], "USD")
    assert total == Money(sum(amounts), "USD")


@given(st.integers(min_value=0, max_value=10**12))
def test_major_string_round_trips(amount: int) -> None:
    money = Money(amount, "USD")
    assert parse_major(money.major_str(), "USD") == money
