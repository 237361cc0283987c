"""Coupon rules and pricing: every refusal has its reason, and (property-tested) no discount
exceeds what it applies to, so no total is ever negative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.coupons import (
    Coupon,
    CouponKind,
    CouponRefusal,
    CouponScope,
    CouponUsage,
    Discount,
    PricedLine,
    evaluate,
    given_by_button,
    normalise_code,
    percent_of,
)
from bot.domain.money import Money
from bot.domain.pricing import quote

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def line(
    price: int, qty: int = 1, *, product: int = 1, category: int | None = 1, promo: bool = False
) -> PricedLine:
    return PricedLine(product, category, usd(price), qty, promo)


lines_st = st.lists(
    st.builds(
        PricedLine,
        product_id=st.integers(1, 5),
        category_id=st.one_of(st.none(), st.integers(1, 3)),
        unit_price=st.integers(0, 10**7).map(usd),
        quantity=st.integers(1, 20),
        promotional=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)
coupon_st = st.builds(
    Coupon,
    id=st.just(1),
    code=st.just("X1"),
    kind=st.sampled_from(list(CouponKind)),
    percent=st.integers(1, 100),
    amount=st.integers(1, 10**8).map(usd),
    min_subtotal=st.one_of(st.none(), st.integers(0, 10**6).map(usd)),
    scope=st.sampled_from(list(CouponScope)),
    scope_ids=st.frozensets(st.integers(1, 5), max_size=3),
    stacks_with_promotions=st.booleans(),
)


@given(coupon_st, lines_st, st.integers(0, 10**6))
def test_discounts_never_exceed_what_they_apply_to_and_totals_stay_positive(
    coupon: Coupon, lines: list[PricedLine], shipping: int
) -> None:
    result = evaluate(coupon, lines, NOW)
    if isinstance(result, CouponRefusal):
        return
    eligible = sum(
        ln.total.amount
        for ln in lines
        if (coupon.stacks_with_promotions or not ln.promotional)
        and (
            coupon.scope is CouponScope.ALL
            or (coupon.scope is CouponScope.PRODUCTS and ln.product_id in coupon.scope_ids)
            or (coupon.scope is CouponScope.CATEGORIES and ln.category_id in coupon.scope_ids)
        )
    )
    assert 0 <= result.items.amount <= eligible
    priced = quote(lines, result, usd(shipping))
    assert priced.total.amount >= 0
    assert priced.total.amount <= priced.items.amount + shipping
    if result.free_shipping:
        assert priced.total == priced.items


@given(st.integers(0, 10**9), st.integers(1, 100))
def test_percent_is_rounded_once_half_up_and_never_above_the_amount(amount: int, pct: int) -> None:
    off = percent_of(usd(amount), pct).amount
    assert 0 <= off <= amount
    assert abs(off * 100 - amount * pct) <= 50


def test_each_refusal_has_its_reason() -> None:
    base = Coupon(1, "SAVE", CouponKind.PERCENT, percent=10)
    basket = [line(1000)]
    assert (
        evaluate(Coupon(1, "S", CouponKind.PERCENT, percent=5, active=False), basket, NOW)
        is CouponRefusal.DISABLED
    )
    later = Coupon(1, "S", CouponKind.PERCENT, percent=5, starts_at=NOW + timedelta(hours=1))
    assert evaluate(later, basket, NOW) is CouponRefusal.NOT_YET_VALID
    gone = Coupon(1, "S", CouponKind.PERCENT, percent=5, expires_at=NOW)
    assert evaluate(gone, basket, NOW) is CouponRefusal.EXPIRED
    limited = Coupon(1, "S", CouponKind.PERCENT, percent=5, usage_limit=3)
    assert evaluate(limited, basket, NOW, CouponUsage(used_total=3)) is CouponRefusal.LIMIT_REACHED
    mine = Coupon(1, "S", CouponKind.PERCENT, percent=5, per_buyer_limit=1)
    assert evaluate(mine, basket, NOW, CouponUsage(used_by_buyer=1)) is CouponRefusal.BUYER_LIMIT
    first = Coupon(1, "S", CouponKind.PERCENT, percent=5, first_order_only=True)
    assert (
        evaluate(first, basket, NOW, CouponUsage(buyer_paid_orders=1))
        is CouponRefusal.FIRST_ORDER_ONLY
    )
    minimum = Coupon(1, "S", CouponKind.PERCENT, percent=5, min_subtotal=usd(5000))
    assert evaluate(minimum, basket, NOW) is CouponRefusal.MIN_NOT_MET
    scoped = Coupon(
        1, "S", CouponKind.PERCENT, percent=5, scope=CouponScope.PRODUCTS, scope_ids=frozenset({9})
    )
    assert evaluate(scoped, basket, NOW) is CouponRefusal.NOT_APPLICABLE
    assert evaluate(base, [line(1000, promo=True)], NOW) is CouponRefusal.NO_STACKING
    euro = Coupon(1, "S", CouponKind.FIXED, amount=Money(500, "EUR"))
    assert evaluate(euro, basket, NOW) is CouponRefusal.CURRENCY


def test_scope_and_amounts() -> None:
    basket = [line(1000, 2, product=1, category=1), line(500, 1, product=2, category=2)]
    by_cat = Coupon(
        1,
        "C",
        CouponKind.PERCENT,
        percent=50,
        scope=CouponScope.CATEGORIES,
        scope_ids=frozenset({2}),
    )
    result = evaluate(by_cat, basket, NOW)
    assert isinstance(result, Discount) and result.items == usd(250)
    big = Coupon(1, "F", CouponKind.FIXED, amount=usd(99_999))
    result = evaluate(big, basket, NOW)
    assert isinstance(result, Discount) and result.items == usd(2500)
    assert quote(basket, result, usd(499)).total == usd(499)


def test_codes_are_normalised_and_garbage_is_not_a_code() -> None:
    assert normalise_code("  save10 ") == "SAVE10"
    assert normalise_code("X" * 10_000) is None
    for bad in ("", "A", "SAVE\x00", "<b>X</b>", "优惠券", "-LEAD", "SA\tVE", "SA\nVE", "A !"):
        assert normalise_code(bad) is None


@pytest.mark.parametrize(
    "typed",
    ["SAVE10", "save10", "SAVE 10", "save 10", " Save 1 0 ", "S A V E 1 0", "save\u00a010"],
)
def test_case_and_inner_spaces_do_not_count(typed: str) -> None:
    """A buyer or merchant typing ``SAVE 10`` means ``SAVE10`` (a phone's no-break space too)."""
    assert normalise_code(typed) == "SAVE10"


def test_spaces_never_make_a_code_out_of_too_little_or_too_much() -> None:
    assert normalise_code("a ") is None  # one character is no code, spaces or not
    assert normalise_code(" ".join("X" * 32)) == "X" * 32  # 63 characters typed, 32 letters
    assert normalise_code(" ".join("X" * 33)) is None  # past the longest input read at all
    assert normalise_code("X" * 16 + " " + "X" * 17) is None  # 33 letters: too long a code


def test_a_coupon_button_carries_the_authority_the_shop_gave() -> None:
    """A button (unlike a typed code) needs the coupon to be the presser's, public, or
    signed for the chat it was pressed in."""
    shop = Coupon(1, "STAFF50", CouponKind.PERCENT, percent=50)
    public = Coupon(2, "OPEN", CouponKind.PERCENT, percent=5, public=True)
    reward = Coupon(3, "FRIEND-1", CouponKind.PERCENT, percent=10, owner_id=42)
    assert not given_by_button(shop, 7, signed=False)  # a forged id
    assert given_by_button(shop, 7, signed=True)  # a drop's button, signed for this chat
    assert given_by_button(public, 7, signed=False)
    assert given_by_button(reward, 42, signed=False)
    assert not given_by_button(reward, 7, signed=False)
    assert not given_by_button(reward, 7, signed=True)  # someone else's reward, whatever
