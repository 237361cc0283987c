"""Applying a coupon: by ``/coupon CODE``, a typed code at checkout, a ``c_CODE`` deep link or
a button. The buyer keeps one applied coupon; it is checked again against the basket at
checkout and its use is taken atomically at payment."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.cart import Cart
from bot.domain.coupons import (
    MAX_ONE_TIME_CODES,
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
from bot.services.order_ports import CodeUse
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
        coupon, now, await uow.coupons.usage(coupon.id, user_id, coupon.code)
    )
    if refusal is not None:
        return Applied(coupon, refusal)
    await uow.prefs.set_coupon(user_id, coupon.id, coupon.code if coupon.one_time else None)
    return Applied(coupon)


async def current(uow: UnitOfWork, user_id: int) -> Coupon | None:
    """The buyer's applied coupon; read through its one-time code when they typed one."""
    coupon_id = await uow.prefs.coupon_of(user_id)
    if coupon_id is None:
        return None
    code = await uow.prefs.coupon_code_of(user_id)
    if code is not None:
        one_time = await uow.coupons.by_code(code)
        if one_time is not None and one_time.id == coupon_id:
            return one_time
    return await uow.coupons.by_id(coupon_id)


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
    usage = await uow.coupons.usage(coupon.id, user_id, coupon.code)
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


class CodesRefusal(StrEnum):
    UNKNOWN = "unknown"  # no coupon has that code (a one-time code names none either)
    PERSONAL = "personal"  # an invite reward: it is one buyer's already
    DISABLED = "disabled"
    ENDED = "ended"
    COUNT = "count"  # not 1 to MAX_ONE_TIME_CODES


@dataclass(frozen=True, slots=True)
class Codes:
    """One-time codes made for a coupon (``made``), or why none were."""

    coupon: Coupon | None
    made: list[str]
    refusal: CodesRefusal | None = None


async def coupon_for_codes(uow: UnitOfWork, raw: str) -> Coupon | None:
    """The coupon named by its own code (not by one of its one-time codes)."""
    code = normalise_code(raw)
    coupon = await uow.coupons.by_code(code) if code else None
    return coupon if coupon is not None and not coupon.one_time else None


async def make_codes(uow: UnitOfWork, raw: str, count: int, now: datetime) -> Codes:
    """``count`` random one-time codes for the coupon ``raw``: each redeems it once, for one
    buyer, under its rules; from then on its own code no longer does (``CODES_ONLY``)."""
    coupon = await coupon_for_codes(uow, raw)
    if coupon is None:
        return Codes(None, [], CodesRefusal.UNKNOWN)
    if coupon.owner_id is not None:
        return Codes(coupon, [], CodesRefusal.PERSONAL)
    if not coupon.active:
        return Codes(coupon, [], CodesRefusal.DISABLED)
    if coupon.expires_at is not None and now >= coupon.expires_at:
        return Codes(coupon, [], CodesRefusal.ENDED)
    if not 1 <= count <= MAX_ONE_TIME_CODES:
        return Codes(coupon, [], CodesRefusal.COUNT)
    return Codes(coupon, await uow.coupons.add_codes(coupon.id, count, now))


def codes_csv(coupon: Coupon, uses: list[CodeUse]) -> str:
    """One line per one-time code: the code, its coupon, and who used it when (empty while
    unused)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "coupon", "used_by", "used_at"])
    for use in uses:
        when = f"{use.used_at:%Y-%m-%d %H:%M:%S}" if use.used_at is not None else ""
        writer.writerow([use.code, coupon.code, use.used_by or "", when])
    return out.getvalue()
