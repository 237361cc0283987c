"""Applying a coupon: by ``/coupon CODE``, a typed code at checkout, a ``c_CODE`` deep link or
a button. The buyer keeps one applied coupon; it is checked again against the basket at
checkout and its use is taken atomically at payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.cart import Cart
from bot.domain.coupons import (
    Coupon,
    CouponRefusal,
    Discount,
    PricedLine,
    check_redeemable,
    evaluate,
    given_by_button,
    normalise_code,
    owner_refusal,
)
from bot.domain.money import Money
from bot.domain.pricing import quote
from bot.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Applied:
    coupon: Coupon | None
    refusal: CouponRefusal | None = None
    #: A well-formed code that matched no coupon the buyer may hold (none at all, or someone
    #: else's personal one): a wrong guess for the guessing limit. Text that cannot be a code
    #: is refused too, but never looked up, so it is not a guess.
    wrong: bool = False


async def apply_code(uow: UnitOfWork, user_id: int, raw: str, now: datetime) -> Applied:
    code = normalise_code(raw)
    if code is None:
        return Applied(None, CouponRefusal.UNKNOWN)
    applied = await _apply(uow, user_id, await uow.coupons.by_code(code), now)
    if applied.refusal in (CouponRefusal.UNKNOWN, CouponRefusal.NOT_YOURS):
        return Applied(applied.coupon, applied.refusal, wrong=True)
    return applied


async def apply_button(
    uow: UnitOfWork, user_id: int, coupon_id: int, now: datetime, *, signed: bool
) -> Applied:
    """A coupon button: its id grants nothing by itself (ids are sequential). A coupon the
    shop did not give this buyer (``given_by_button``), or none at all, is refused before
    anything about it is said: no code, no "expired" or "disabled"."""
    coupon = await uow.coupons.by_id(coupon_id) if coupon_id else None
    if coupon is None or not given_by_button(coupon, user_id, signed=signed):
        return Applied(None, CouponRefusal.NOT_GIVEN)
    return await _apply(uow, user_id, coupon, now)


async def _apply(uow: UnitOfWork, user_id: int, coupon: Coupon | None, now: datetime) -> Applied:
    if coupon is None:
        return Applied(None, CouponRefusal.UNKNOWN)
    refusal = owner_refusal(coupon, user_id) or check_redeemable(
        coupon, now, await uow.coupons.usage(coupon.id, user_id)
    )
    if refusal is not None:
        return Applied(coupon, refusal)
    await uow.prefs.set_coupon(user_id, coupon.id)
    return Applied(coupon)


async def current(uow: UnitOfWork, user_id: int) -> Coupon | None:
    coupon_id = await uow.prefs.coupon_of(user_id)
    return await uow.coupons.by_id(coupon_id) if coupon_id is not None else None


async def remove(uow: UnitOfWork, user_id: int) -> None:
    await uow.prefs.set_coupon(user_id, None)


@dataclass(frozen=True, slots=True)
class CartCoupon:
    """The buyer's applied coupon as it stands on their cart now."""

    coupon: Coupon
    #: What it takes off (``discount.items``; free shipping is taken at checkout), or None.
    discount: Discount | None
    #: Why it takes nothing off this cart (needs a larger order, not for these products...).
    refusal: CouponRefusal | None
    #: The cart's items before and after the discount (shipping comes at checkout).
    subtotal: Money
    total: Money


async def on_cart(uow: UnitOfWork, user_id: int, cart: Cart, now: datetime) -> CartCoupon | None:
    """The applied coupon priced on ``cart`` by the same rules checkout uses, or None when no
    coupon is applied or the cart is empty. It only reads: checkout checks the coupon again
    against what is bought and drops one that can never work any more."""
    if cart.is_empty:
        return None
    coupon = await current(uow, user_id)
    if coupon is None:
        return None
    lines: list[PricedLine] = []
    for line in cart.lines:
        found = await uow.catalog.variant(line.variant.id)
        category = found[1].category_id if found is not None else None
        lines.append(
            PricedLine(line.variant.product_id, category, line.variant.price, line.quantity)
        )
    usage = await uow.coupons.usage(coupon.id, user_id)
    result = owner_refusal(coupon, user_id) or evaluate(coupon, lines, now, usage)
    discount = result if isinstance(result, Discount) else None
    price = quote(lines, discount, None)
    return CartCoupon(
        coupon,
        discount,
        None if isinstance(result, Discount) else result,
        price.items,
        price.total,
    )
