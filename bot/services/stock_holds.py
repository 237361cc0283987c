"""What an order pays for, held and given back: its stock, coupon use, group-buy seat or
flash-sale unit.

A pre-checkout takes them all or none (single conditional writes, so the payment that follows
cannot oversell); the payment keeps the hold, or takes them again if the hold lapsed; a hold
whose payment never came is given back by a job.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bot.services import team_seats
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork


class PreCheckoutRefusal(StrEnum):
    UNKNOWN_ORDER = "unknown_order"  # forged, someone else's, or not ours
    REPLACED = "replaced"  # a newer invoice replaced this one, or it was paid
    PRICE_CHANGED = "price_changed"  # the catalog price moved since the invoice
    TOTAL_CHANGED = "total_changed"  # amount or currency differ from the order
    SOLD_OUT = "sold_out"
    COUPON_GONE = "coupon_gone"  # the coupon's last use went meanwhile, or it expired
    NO_SHIPPING = "no_shipping"  # shipping option or country not valid
    GROUP_CLOSED = "group_closed"  # the group buy filled, expired, or has no seat left
    CLAIM_EXPIRED = "claim_expired"  # the flash-sale reservation's window passed


async def take_stock_and_coupon(
    uow: UnitOfWork, order: Order, now: datetime
) -> PreCheckoutRefusal | None:
    """Take the order's units, coupon use and group-buy seat: all or none. A flash-sale
    order's unit is its reservation, which must still stand."""
    if order.claim_id is not None:
        claim = await uow.sales.claim_of(order.claim_id)
        ok = claim is not None and claim.status == "reserved" and claim.expires_at > now
        return None if ok else PreCheckoutRefusal.CLAIM_EXPIRED
    units = [(ln.variant_id, ln.quantity) for ln in order.lines]
    if not await uow.stock.take(units):
        return PreCheckoutRefusal.SOLD_OUT
    coupon = order.coupon_id
    if coupon is not None and not await uow.coupons.take(
        coupon, order.user_id, order.coupon_code, now
    ):
        await uow.stock.give_back(units)
        return PreCheckoutRefusal.COUPON_GONE
    if not await team_seats.take(uow, order, now):
        await uow.stock.give_back(units)
        if coupon is not None:
            await uow.coupons.give_back(coupon, order.user_id, order.coupon_code)
        return PreCheckoutRefusal.GROUP_CLOSED
    return None


async def keep_or_take_stock(uow: UnitOfWork, order: Order, now: datetime) -> bool:
    """Money came in for ``order``: keep its hold (ending it), or, if the hold lapsed, take its
    stock, coupon and seat again. False when they are gone meanwhile."""
    if order.claim_id is not None:
        if order.held_until is not None:
            await uow.orders.end_hold(order.id)
        # The reservation, or (its window lapsed) a unit taken again if one is left.
        return await uow.sales.pay(order.claim_id) or await uow.sales.retake(order.claim_id, now)
    if not await team_seats.still_open(uow, order, now):
        if order.held_until is not None and await uow.orders.end_hold(order.id):
            await give_back_stock_and_coupon(uow, order, now)
        return False
    if order.held_until is not None and await uow.orders.end_hold(order.id):
        return True
    return await take_stock_and_coupon(uow, order, now) is None


async def give_back_stock_and_coupon(uow: UnitOfWork, order: Order, now: datetime) -> None:
    if order.claim_id is not None:  # the reserved (or bought) unit goes back with its claim
        await uow.sales.release(order.claim_id, "cancelled", now)
        return
    await uow.stock.give_back([(ln.variant_id, ln.quantity) for ln in order.lines])
    if order.coupon_id is not None:
        await uow.coupons.give_back(order.coupon_id, order.user_id, order.coupon_code)
    await team_seats.release(uow, order)


async def release_due_holds(uow: UnitOfWork, now: datetime, limit: int = 50) -> int:
    """Give back the stock and coupon uses of pre-checkouts whose payment never came."""
    released = 0
    for order_id in await uow.orders.due_holds(now, limit):
        order = await uow.orders.get(order_id)
        if order is None or not await uow.orders.end_hold(order_id):
            continue  # another process released it first
        await give_back_stock_and_coupon(uow, order, now)
        released += 1
    return released
