"""Pay at pickup: an order placed without a payment sheet, its stock held until a deadline,
paid in cash at the handover.

``place`` moves a buyer's pending order (the one their invoice names) to ``awaiting_cash`` and
holds its stock and coupon use the way a pre-checkout does (``bot/services/stock_holds.py``),
until ``COD_HOLD_HOURS`` from now; what it bought leaves the cart then. ``mark_paid`` is the
staff's "Mark paid" at the counter: one conditional move to ``paid`` decides, so a second press
(or two at once) pays nothing twice.
``expire_due`` is the job's half: unpaid pickup orders past their hold expire, their stock and
coupon use go back and the buyer is told, each once whichever process gets there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.cash import CashRefusal, cash_due, cash_refusal
from bot.domain.orders import OrderStatus
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.order_ports import Order
from bot.services.orders import notify
from bot.services.payment_received import after_paid, settle_basket
from bot.services.ports import UnitOfWork
from bot.services.stock_holds import give_back_stock_and_coupon, take_stock_and_coupon

#: What an order paid at pickup records as its payment method.
CASH = "cash"
_AWAITING = frozenset({OrderStatus.AWAITING_CASH})


async def refusal_for(uow: UnitOfWork, order: Order, setup: PaymentSetup) -> CashRefusal | None:
    """Why this pending order may not be paid at pickup, or None when it may. Only the shop's
    own pickup point offers it, and not for a group-buy seat or a flash-sale unit (their price
    is paid in advance), nor for Stars."""
    pickup = setup.shipping.pickup
    if (
        order.delivery != Delivery.PICKUP
        or order.team_id is not None
        or order.claim_id is not None
        or order.method == "stars"
        or pickup is None
    ):
        return CashRefusal.NOT_OFFERED
    paid = await uow.orders.paid_count(order.user_id)
    return cash_refusal(pickup.cash, order.total, paid, setup.cash)


@dataclass(frozen=True, slots=True)
class Placed:
    order: Order | None = None
    refusal: CashRefusal | None = None
    #: The order was already placed for pickup (a second press): nothing new happened.
    again: bool = False


async def place(
    uow: UnitOfWork, user_id: int, order_id: int, setup: PaymentSetup, now: datetime
) -> Placed:
    """The buyer chose to pay at pickup for their pending order: its stock (and coupon use) is
    held until the deadline and the order awaits cash. Refused when the method does not offer
    it to this order (whatever button asked), or when the stock went meanwhile."""
    order = await uow.orders.get(order_id)
    if order is None or order.user_id != user_id:
        return Placed(refusal=CashRefusal.GONE)
    if order.status is OrderStatus.AWAITING_CASH:
        return Placed(order, again=True)
    if order.status is not OrderStatus.PENDING:
        return Placed(order, CashRefusal.GONE)
    refusal = await refusal_for(uow, order, setup)
    if refusal is not None:
        return Placed(order, refusal)
    return await hold_and_await(uow, order, setup, now)


async def hold_and_await(
    uow: UnitOfWork, order: Order, setup: PaymentSetup, now: datetime
) -> Placed:
    """Hold a pending order's stock (and coupon use) until the deadline and move it to
    ``awaiting_cash``; shared by pay at pickup and cash on delivery
    (``bot/services/cod_orders.py``)."""
    # A payment sheet opened before may hold the stock already: that hold becomes ours.
    owned = order.held_until is not None and await uow.orders.end_hold(order.id)
    if not owned and await take_stock_and_coupon(uow, order, now) is not None:
        return Placed(order, CashRefusal.SOLD_OUT)
    until = now + setup.cash.hold
    moved = await uow.orders.move(
        order.id,
        OrderStatus.AWAITING_CASH,
        frozenset({OrderStatus.PENDING}),
        now,
        method=CASH,
        held_until=until,
    )
    if not moved:  # paid or replaced a moment ago: what was taken goes back
        await give_back_stock_and_coupon(uow, order, now)
        return Placed(order, CashRefusal.GONE)
    await settle_basket(uow, order, now)  # ordered: it leaves the cart as a paid order would
    return Placed(await uow.orders.get(order.id))


class MarkRefusal(StrEnum):
    NOT_FOUND = "not_found"
    EXPIRED = "expired"  # its hold ran out unpaid: the stock went back
    ALREADY_PAID = "already_paid"  # marked paid before (a second press)
    NOT_CASH = "not_cash"  # not an order paid at pickup


@dataclass(frozen=True, slots=True)
class Marked:
    order: Order | None = None
    refused: MarkRefusal | None = None


async def mark_paid(uow: UnitOfWork, order_id: int, now: datetime) -> Marked:
    """Staff took the cash at the handover: the order is paid once. Its held stock stays sold,
    and paying does what paying does (cart, coupon, interests, commissions, invites). An order
    whose hold ran out is expired here and then (if the job has not yet) and refused. Two
    presses at once both read it awaiting cash; the conditional move lets one through (on
    PostgreSQL the other waits for its row, then finds it paid)."""
    order = await uow.orders.get(order_id)
    if order is None:
        return Marked(refused=MarkRefusal.NOT_FOUND)
    if order.status is OrderStatus.AWAITING_CASH and cash_due(order.held_until, now):
        await _expire(uow, order, now)
        return Marked(await uow.orders.get(order_id), MarkRefusal.EXPIRED)
    if order.method != CASH:
        return Marked(order, MarkRefusal.NOT_CASH)
    if order.status is not OrderStatus.AWAITING_CASH:
        if order.status is OrderStatus.EXPIRED:
            return Marked(order, MarkRefusal.EXPIRED)
        return Marked(order, MarkRefusal.ALREADY_PAID)
    # Cash on delivery shipped before the courier brought the cash: paid, it is shipped.
    status = OrderStatus.SHIPPED if order.shipped_at is not None else OrderStatus.PAID
    if not await uow.orders.move(order.id, status, _AWAITING, now, paid_at=now, held_until=None):
        return await _lost(uow, order_id)
    paid = await uow.orders.get(order.id)
    assert paid is not None
    if paid.status is OrderStatus.PAID and paid.shipped_at is not None:
        # Shipped by another handling between our read and our move: paid, it is shipped.
        await uow.orders.move(paid.id, OrderStatus.SHIPPED, frozenset({OrderStatus.PAID}), now)
        paid = await uow.orders.get(order.id)
        assert paid is not None
    await after_paid(uow, paid, now, basket=False)  # the basket was settled when placed
    return Marked(paid)


async def _lost(uow: UnitOfWork, order_id: int) -> Marked:
    """Another handling moved the order first (paid it, or expired it)."""
    order = await uow.orders.get(order_id)
    if order is not None and order.status is OrderStatus.EXPIRED:
        return Marked(order, MarkRefusal.EXPIRED)
    return Marked(order, MarkRefusal.ALREADY_PAID)


async def _expire(uow: UnitOfWork, order: Order, now: datetime) -> bool:
    """Expire one unpaid pickup order, once: its stock and coupon use go back, the buyer is
    told. False when another process (or press) expired or paid it first."""
    if not await uow.orders.move(
        order.id, OrderStatus.EXPIRED, _AWAITING, now, closed_at=now, held_until=None
    ):
        return False
    await give_back_stock_and_coupon(uow, order, now)
    await notify(uow, order, "cash_expired", now)
    return True


async def expire_due(uow: UnitOfWork, now: datetime, limit: int = 50) -> int:
    """Unpaid pickup orders past their hold expire (the scheduler's job): how many."""
    expired = 0
    for order_id in await uow.orders.due_cash(now, limit):
        order = await uow.orders.get(order_id)
        if order is not None and await _expire(uow, order, now):
            expired += 1
    return expired
