from hypothesis import given
from hypothesis import strategies as st

from bot.domain.cart import (
    MAX_LINES,
    MAX_QUANTITY_PER_LINE,
    Cart,
    CartLine,
    Refusal,
    check_can_add,
    decide_quantity,
)
from bot.domain.catalog import StockLevel, Variant, stock_hint
from bot.domain.money import Money


def variant(
    stock: int = 10, *, vid: int = 1, currency: str = "USD", active: bool = True, price: int = 500
) -> Variant:
    return Variant(vid, 1, f"SKU{vid}", "", Money(price, currency), stock, active)


def test_adding_within_stock() -> None:
    assert decide_quantity(variant(10), 0, 1).quantity == 1
    assert decide_quantity(variant(10), 3, 4).refusal is None


def test_adding_beyond_stock_is_capped_and_says_why() -> None:
    decision = decide_quantity(variant(5), 2, 8)
    assert (decision.quantity, decision.refusal, decision.capped) == (5, Refusal.STOCK_LIMIT, True)
    at_cap = decide_quantity(variant(5), 5, 6)
    assert (at_cap.quantity, at_cap.refusal, at_cap.capped) == (5, Refusal.STOCK_LIMIT, False)


def test_per_line_maximum_applies_even_with_plenty_of_stock() -> None:
    decision = decide_quantity(variant(10_000), MAX_QUANTITY_PER_LINE, MAX_QUANTITY_PER_LINE + 1)
    assert decision.quantity == MAX_QUANTITY_PER_LINE
    assert decision.refusal is Refusal.LINE_LIMIT


def test_sold_out_and_inactive_and_negative() -> None:
    assert decide_quantity(variant(0), 0, 1).refusal is Refusal.OUT_OF_STOCK
    assert decide_quantity(variant(5, active=False), 0, 1).refusal is Refusal.UNAVAILABLE
    assert decide_quantity(variant(5), 2, -3).refusal is Refusal.BAD_QUANTITY
    assert decide_quantity(variant(5), 2, 0).quantity == 0


def test_stock_falling_below_the_line_lowers_it() -> None:
    assert decide_quantity(variant(2), 6, 7).quantity == 2


@given(
    stock=st.integers(min_value=-5, max_value=500),
    current=st.integers(min_value=0, max_value=100),
    requested=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_a_line_never_exceeds_stock_or_the_maximum(
    stock: int, current: int, requested: int
) -> None:
    decision = decide_quantity(variant(stock), current, requested)
    if decision.refusal is Refusal.BAD_QUANTITY:
        assert decision.quantity == current
    else:
        assert 0 <= decision.quantity <= max(min(stock, MAX_QUANTITY_PER_LINE), 0)


def test_cart_totals_and_whole_cart_refusals() -> None:
    a, b = variant(10, vid=1, price=250), variant(10, vid=2, price=1000)
    cart = Cart((CartLine(a, "A", 2), CartLine(b, "B", 1)))
    assert cart.total == Money(1500, "USD")
    assert cart.item_count == 3
    assert check_can_add(cart, variant(10, vid=3, currency="EUR")) is Refusal.CURRENCY_MISMATCH
    full = Cart(tuple(CartLine(variant(10, vid=i), "x", 1) for i in range(MAX_LINES)))
    assert check_can_add(full, variant(10, vid=999)) is Refusal.CART_FULL
    assert check_can_add(full, variant(10, vid=0)) is None  # already a line: more of it is fine
    assert Cart(()).total is None


def test_stock_hints() -> None:
    assert stock_hint(0).level is StockLevel.OUT
    assert stock_hint(3).level is StockLevel.LOW
    assert stock_hint(50).level is StockLevel.IN_STOCK
