"""After-sales: a buyer's orders, cancelling before shipping, returns, and the merchant's
shipping, delivery and refunds. Money goes back through the refund outbox (``refunds.py``);
every status change a buyer should hear about becomes a notice in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.money import Money
from bot.domain.orders import REFUNDABLE, VISIBLE, OrderStatus, can_cancel, return_open
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork
from bot.services.refunds import refund_method
from bot.services.reviews import ask_after_delivery
from bot.services.stock_holds import give_back_stock_and_coupon
from bot.services.team_seats import awaiting_team

#: Orders /orders shows at most (newest first).
LIST_LIMIT = 10


class Refused(StrEnum):
    NOT_FOUND = "not_found"  # no such order, or someone else's
    NOT_ALLOWED = "not_allowed"  # not in a status that allows it (already shipped...)
    WINDOW_CLOSED = "window_closed"  # the return window has passed
    TOO_MUCH = "too_much"  # a refund larger than what is left
    GROUP_OPEN = "group_open"  # a group-buy seat whose team has not filled yet
    NO_CARD = "no_card"  # an authorised card to capture, and the shop has no Stripe key
    ALREADY_DONE = "already_done"  # that refund was already made (a second press)


@dataclass(frozen=True, slots=True)
class Outcome:
    order: Order | None = None
    refused: Refused | None = None
    refund: Money | None = None


async def buyer_orders(uow: UnitOfWork, user_id: int) -> list[Order]:
    return await uow.orders.for_buyer(user_id, VISIBLE, LIST_LIMIT)


async def buyer_order(uow: UnitOfWork, user_id: int, order_id: int) -> Order | None:
    order = await uow.orders.get(order_id)
    if order is None or order.user_id != user_id or order.status not in VISIBLE:
        return None
    return order


async def notify(uow: UnitOfWork, order: Order, kind: str, now: datetime, **extra: object) -> None:
    params: dict[str, object] = {"order": order.id, "user": order.user_id, **extra}
    await uow.notices.add(order.chat_id, kind, params, now)


async def cancel(uow: UnitOfWork, user_id: int, order_id: int, now: datetime) -> Outcome:
    """The buyer cancels before shipping: stock and coupon go back, the money is refunded."""
    order = await buyer_order(uow, user_id, order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    return await cancel_order(uow, order, "buyer_cancelled", now)


async def cancel_order(uow: UnitOfWork, order: Order, reason: str, now: datetime) -> Outcome:
    """Cancel an order not shipped yet (the buyer, or the merchant from the dashboard): stock
    and coupon go back and what was paid is refunded, under ``reason``. Cash is settled at the
    counter, never through a gateway, so a cash order is not cancelled here."""
    cash = order.method == "cash"
    if not can_cancel(order.status, cash=cash) or order.shipped_at is not None:
        return Outcome(order, Refused.NOT_ALLOWED)
    moved = await uow.orders.move(
        order.id, OrderStatus.CANCELLED, frozenset({order.status}), now, closed_at=now
    )
    if not moved:  # changed meanwhile (shipped a second ago)
        return Outcome(order, Refused.NOT_ALLOWED)
    await give_back_stock_and_coupon(uow, order, now)
    amount = order.refundable
    if amount.amount > 0:
        await uow.refunds.add(order.id, amount, refund_method(order), reason, now)
    return Outcome(await uow.orders.get(order.id), refund=amount)


async def request_return(
    uow: UnitOfWork, user_id: int, order_id: int, now: datetime, window: timedelta
) -> Outcome:
    order = await buyer_order(uow, user_id, order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    received = order.delivered_at or order.shipped_at
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        return Outcome(order, Refused.NOT_ALLOWED)
    if not return_open(order.status, received, now, window):
        return Outcome(order, Refused.WINDOW_CLOSED)
    moved = await uow.orders.move(
        order.id, OrderStatus.RETURN_REQUESTED, frozenset({order.status}), now
    )
    if not moved:
        return Outcome(order, Refused.NOT_ALLOWED)
    return Outcome(await uow.orders.get(order.id))


_SHIPPABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


async def mark_shipped(
    uow: UnitOfWork, order_id: int, tracking: str | None, now: datetime
) -> Outcome:
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    if await awaiting_team(uow, order):
        return Outcome(order, Refused.GROUP_OPEN)
    fields: dict[str, object] = {"shipped_at": now}
    if tracking:
        fields["tracking"] = tracking.strip()[:128]
    if order.status is OrderStatus.AWAITING_CASH:
        # Cash on delivery: the parcel leaves unpaid; the courier brings the cash (Mark paid).
        if not await uow.orders.ship_unpaid(order.id, tracking and tracking.strip()[:128], now):
            return Outcome(order, Refused.NOT_ALLOWED)
        await notify(uow, order, "order_shipped", now, tracking=tracking or "")
        return Outcome(await uow.orders.get(order.id))
    if not await uow.orders.move(order.id, OrderStatus.SHIPPED, _SHIPPABLE, now, **fields):
        return Outcome(order, Refused.NOT_ALLOWED)
    await notify(uow, order, "order_shipped", now, tracking=tracking or "")
    return Outcome(await uow.orders.get(order.id))


async def mark_delivered(uow: UnitOfWork, order_id: int, now: datetime) -> Outcome:
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    if await awaiting_team(uow, order):
        return Outcome(order, Refused.GROUP_OPEN)
    expected = _SHIPPABLE | {OrderStatus.SHIPPED}
    if not await uow.orders.move(order.id, OrderStatus.DELIVERED, expected, now, delivered_at=now):
        return Outcome(order, Refused.NOT_ALLOWED)
    await notify(uow, order, "order_delivered", now)
    await ask_after_delivery(uow, order, now)  # once: the move to delivered happens once
    return Outcome(await uow.orders.get(order.id))


async def pending_refunds(uow: UnitOfWork, order: Order) -> int:
    """Minor units of the order's refunds queued and not yet through."""
    return sum(
        task.amount.amount
        for task, status in await uow.refunds.for_order(order.id)
        if status in ("pending", "retrying") and task.method != "capture"
    )


async def merchant_refund(
    uow: UnitOfWork, order_id: int, amount: Money | None, now: datetime, reason: str = "merchant"
) -> Outcome:
    """Refund all that is left (``amount`` None) or part of it; the status follows once the
    refund goes through."""
    order = await uow.orders.get(order_id)
    if order is None:
        return Outcome(refused=Refused.NOT_FOUND)
    if order.status not in REFUNDABLE or order.method == "cash":
        # Cash taken at the counter or by the courier goes back the same way, not through a
        # payment gateway that never saw it.
        return Outcome(order, Refused.NOT_ALLOWED)
    left = order.refundable.amount - await pending_refunds(uow, order)
    wanted = left if amount is None else amount.amount
    if amount is not None and amount.currency != order.currency:
        return Outcome(order, Refused.TOO_MUCH)
    if wanted <= 0 or wanted > left:
        return Outcome(order, Refused.TOO_MUCH)
    if order.method == "stars" and wanted != order.refundable.amount:
        return Outcome(order, Refused.TOO_MUCH)  # Telegram refunds Stars only in full
    refund = Money(wanted, order.currency)
    await uow.refunds.add(order.id, refund, refund_method(order), reason, now)
    return Outcome(order, refund=refund)
