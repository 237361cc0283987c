"""The merchant's side of orders, shared by ``storefront orders …`` and the console in chat:
which orders a filter shows, shipping (capturing an authorised card first), refunds up to a
confirmed total (so a second press of the same confirmation refunds nothing more), and a
declined return."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import orders, stripe_payments
from bot.services.order_ports import Order
from bot.services.orders import Outcome, Refused
from bot.services.payment_port import CardGateway
from bot.services.ports import UnitOfWork
from bot.services.team_seats import awaiting_team


class OrderFilter(StrEnum):
    NEW = "new"  # an invoice sent, or to be paid at pickup, not paid yet
    PAID = "paid"
    TO_SHIP = "to_ship"  # paid (a card authorised, or cash on delivery), not shipped
    RETURNS = "returns"  # a buyer asked for a return
    ALL = "all"


FILTER_STATUSES: dict[OrderFilter, frozenset[OrderStatus]] = {
    OrderFilter.NEW: frozenset({OrderStatus.PENDING, OrderStatus.AWAITING_CASH}),
    OrderFilter.PAID: frozenset({OrderStatus.PAID}),
    OrderFilter.TO_SHIP: frozenset(
        {
            OrderStatus.PAID,
            OrderStatus.AUTHORIZED,
            OrderStatus.PARTIALLY_REFUNDED,
            OrderStatus.AWAITING_CASH,  # cash on delivery (shipped before it is paid)
        }
    ),
    OrderFilter.RETURNS: frozenset({OrderStatus.RETURN_REQUESTED}),
    OrderFilter.ALL: frozenset(OrderStatus),
}


async def page(
    uow: UnitOfWork, which: OrderFilter, number: int, size: int
) -> tuple[list[Order], bool]:
    """Page ``number`` (from 0) of the filter's orders, newest first, and whether more follow."""
    found = await uow.orders.recent(FILTER_STATUSES[which], size + 1, number * size)
    if which is OrderFilter.TO_SHIP:
        # A partly refunded order may have shipped already; digital ones never ship.
        found = [o for o in found if shippable(o)]
    return found[:size], len(found) > size


def shippable(order: Order) -> bool:
    """Paid (or authorised), or to be paid to the courier (cash on delivery), not shipped."""
    cod = (
        order.status is OrderStatus.AWAITING_CASH
        and order.delivery == "ship"
        and order.method == "cash"
    )
    return (
        (
            cod
            or order.status
            in (OrderStatus.PAID, OrderStatus.AUTHORIZED, OrderStatus.PARTIALLY_REFUNDED)
        )
        and order.shipped_at is None
        and not order.is_digital
    )


async def ship(
    uow: UnitOfWork, card: CardGateway | None, order_id: int, tracking: str | None, now: datetime
) -> Outcome:
    """Mark shipped: refused for a group-buy seat whose team is still filling; an authorised
    card is captured first (which needs the shop's Stripe key). The buyer is told."""
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    if await awaiting_team(uow, order):
        return Outcome(order, Refused.GROUP_OPEN)
    if order.status is OrderStatus.AUTHORIZED:
        if card is None:
            return Outcome(order, Refused.NO_CARD)
        await stripe_payments.capture(uow, card, order.id, now)
    return await orders.mark_shipped(uow, order_id, tracking, now)


async def refunded_so_far(uow: UnitOfWork, order: Order) -> int:
    """Minor units refunded or on their way back."""
    return order.refunded.amount + await orders.pending_refunds(uow, order)


async def refund_to(uow: UnitOfWork, order_id: int, target: int, now: datetime) -> Outcome:
    """Refund whatever brings the order's refunds to ``target`` minor units (what the merchant
    confirmed): pressing the same confirmation again finds it done and refunds nothing, even
    when both presses are handled at once (the second waits for the first's row lock)."""
    await uow.orders.lock(order_id, now)
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    already = await refunded_so_far(uow, order)
    if target <= already:
        return Outcome(order, Refused.ALREADY_DONE)
    if target > order.total.amount:
        return Outcome(order, Refused.TOO_MUCH)
    amount = Money(target - already, order.currency)
    return await orders.merchant_refund(uow, order_id, amount, now)


async def decline_return(uow: UnitOfWork, order_id: int, now: datetime) -> Outcome:
    """The merchant declines a requested return: the order is delivered again, the buyer told."""
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    moved = await uow.orders.move(
        order.id, OrderStatus.DELIVERED, frozenset({OrderStatus.RETURN_REQUESTED}), now
    )
    if not moved:
        return Outcome(order, Refused.NOT_ALLOWED)
    await orders.notify(uow, order, "return_declined", now)
    return Outcome(await uow.orders.get(order.id))


async def cancel(uow: UnitOfWork, order_id: int, now: datetime) -> Outcome:
    """The merchant cancels an order not shipped yet (the dashboard): as a buyer's cancel, the
    stock and coupon go back and what was paid is refunded; the buyer is told."""
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    outcome = await orders.cancel_order(uow, order, "merchant_cancelled", now)
    if outcome.refused is None:
        await orders.notify(uow, order, "order_cancelled_by_shop", now)
    return outcome
