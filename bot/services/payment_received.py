"""A payment came in: Telegram's ``successful_payment`` turned into exactly one paid order.

Keyed by ``telegram_payment_charge_id``: one charge has one effect however often and wherever
it arrives. A payment that can no longer be honoured (the hold lapsed and the stock went) is
refunded and said so; one that no order takes is refunded by ``bot/services/stray_charges.py``.
``after_paid`` is what paying does (cart, coupon, team seat, interests, commissions, invites),
shared with Stripe's links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.interests import InteractionKind
from bot.domain.money import Money
from bot.domain.orders import MONEY_TAKEN, OrderStatus
from bot.services import creators, invites, team_seats
from bot.services.checkout import named_order
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork
from bot.services.pre_checkout import PaymentFacts
from bot.services.refunds import refund_method
from bot.services.stock_holds import give_back_stock_and_coupon, keep_or_take_stock
from bot.services.stray_charges import refund_stray


class PaymentResult(StrEnum):
    PAID = "paid"
    #: This charge is recorded already: a redelivery, or the same charge under another update
    #: id (or in another process) that got there first. Nothing more happens.
    DUPLICATE = "duplicate"
    REFUNDING = "refunding"  # paid, but the order can't be honoured: refund queued
    #: The invoice named someone else's order: nothing bought, the payment is refunded.
    FOREIGN = "foreign"
    #: Another payment (another charge) paid this order first: this one is refunded.
    ALREADY_PAID = "already_paid"


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    result: PaymentResult
    order: Order | None


@dataclass(frozen=True, slots=True)
class Charge:
    telegram_charge_id: str
    provider_charge_id: str


_OPEN = frozenset({OrderStatus.PENDING, OrderStatus.EXPIRED})


async def payment_received(
    uow: UnitOfWork, facts: PaymentFacts, charge: Charge, now: datetime
) -> PaymentOutcome:
    """Telegram's ``successful_payment``: exactly one paid order per charge.

    One charge may arrive any number of times at once (a redelivery, a forged copy under
    another update id, several processes). The order's conditional status change is the first
    write, and it decides: the handling that moves the order converts the hold (or takes the
    stock, the flash-sale unit, the seat) in the same transaction; the others wait on the
    order's row (PostgreSQL), then find the order moved and the charge recorded, and do
    nothing. A payment that no order takes is recorded once per charge and refunded once."""
    already = await uow.orders.by_charge(charge.telegram_charge_id)
    if already is not None:
        return PaymentOutcome(PaymentResult.DUPLICATE, already)
    order = await named_order(uow, facts.payload)
    if order is None:
        # Telegram only pays invoices this bot sent, so this is our own bug or a deleted
        # order: the money still came in, so record it and give it back.
        return await _refund_orphan(uow, facts, charge, now, "unknown_order")
    if order.user_id != facts.user_id:
        # The buyer paid an invoice forwarded from someone else's chat: that order stays as it
        # is (its owner may still pay it), and this payment goes back.
        return await _refund_orphan(uow, facts, charge, now, "foreign_order")
    ids = {
        "telegram_charge_id": charge.telegram_charge_id,
        "provider_charge_id": charge.provider_charge_id or None,
        "paid_at": now,
    }
    matches = facts.currency == order.currency and facts.total_amount == order.total.amount
    if matches and order.status in _OPEN:
        if await uow.orders.move(order.id, OrderStatus.PAID, _OPEN, now, **ids):
            return await _convert(uow, order.id, facts, now)
        return await _lost(uow, order.id, facts, charge, now)
    # Not honourable: replaced and sold out meanwhile, cancelled, or an amount we did not ask.
    if await uow.orders.move(order.id, OrderStatus.CANCELLED, _OPEN, now, closed_at=now, **ids):
        if order.held_until is not None and await uow.orders.end_hold(order.id):
            await give_back_stock_and_coupon(uow, order, now)
        amount = Money(facts.total_amount, facts.currency)
        await uow.refunds.add(order.id, amount, refund_method(order), "not_honoured", now)
        return PaymentOutcome(PaymentResult.REFUNDING, await uow.orders.get(order.id))
    return await _lost(uow, order.id, facts, charge, now)


async def _convert(
    uow: UnitOfWork, order_id: int, facts: PaymentFacts, now: datetime
) -> PaymentOutcome:
    """This handling moved the order to paid (its row is ours until the commit): keep its hold
    or take its stock now; if they are gone, the order is cancelled and the payment refunded,
    all in the same transaction."""
    order = await uow.orders.get(order_id)
    assert order is not None
    if await keep_or_take_stock(uow, order, now):
        await after_paid(uow, order, now)
        return PaymentOutcome(PaymentResult.PAID, await uow.orders.get(order_id))
    await uow.orders.move(
        order_id, OrderStatus.CANCELLED, frozenset({OrderStatus.PAID}), now, closed_at=now
    )
    amount = Money(facts.total_amount, facts.currency)
    await uow.refunds.add(order_id, amount, refund_method(order), "not_honoured", now)
    return PaymentOutcome(PaymentResult.REFUNDING, await uow.orders.get(order_id))


async def _lost(
    uow: UnitOfWork, order_id: int, facts: PaymentFacts, charge: Charge, now: datetime
) -> PaymentOutcome:
    """Another handling moved the order first. If it recorded this very charge, this one is a
    copy and does nothing; otherwise the order was paid by another charge (the buyer paid
    twice) or cancelled, and this payment is given back."""
    already = await uow.orders.by_charge(charge.telegram_charge_id)
    if already is not None:
        return PaymentOutcome(PaymentResult.DUPLICATE, already)
    order = await uow.orders.get(order_id)
    paid = order is not None and order.status in MONEY_TAKEN
    return await _refund_orphan(
        uow, facts, charge, now, "already_paid" if paid else "not_honoured"
    )


async def _refund_orphan(
    uow: UnitOfWork, facts: PaymentFacts, charge: Charge, now: datetime, reason: str
) -> PaymentOutcome:
    """A payment that matches no payable order: recorded and refunded once per charge."""
    record = await refund_stray(
        uow, facts, charge.telegram_charge_id, charge.provider_charge_id, now, reason
    )
    if record is None:  # a racing handling of this charge recorded (and refunds) it
        return PaymentOutcome(
            PaymentResult.DUPLICATE, await uow.orders.by_charge(charge.telegram_charge_id)
        )
    results = {"foreign_order": PaymentResult.FOREIGN, "already_paid": PaymentResult.ALREADY_PAID}
    return PaymentOutcome(results.get(reason, PaymentResult.REFUNDING), record)


async def after_paid(uow: UnitOfWork, order: Order, now: datetime, *, basket: bool = True) -> None:
    """Paid: what was bought leaves the cart, the applied coupon is used up, and the buyer's
    last creator click (within its window) earns that creator a pending commission.
    ``basket=False``: the cart and coupon were settled when the order was placed (pay at
    pickup, ``bot/services/cash_orders.py``)."""
    if basket:
        await settle_basket(uow, order, now)
    await team_seats.paid(uow, order, now)
    # Once per order: only a payment that moved the order to paid gets here.
    products = [ln.product_id for ln in order.lines]
    await uow.interests.record(order.user_id, products, InteractionKind.PURCHASE, now)
    await creators.attribute(uow, order, now)
    await invites.on_paid(uow, order)


async def settle_basket(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """What the order bought leaves the buyer's cart, and its coupon is no longer applied."""
    if order.from_cart:
        bought = {ln.variant_id: ln.quantity for ln in order.lines}
        for line_id, line in await uow.carts.lines(order.user_id):
            left = line.quantity - bought.get(line.variant.id, 0)
            if left <= 0:
                await uow.carts.remove(line_id)
            elif left != line.quantity:
                await uow.carts.set_quantity(line_id, left, now)
    if order.coupon_id is not None and await uow.prefs.coupon_of(order.user_id) == order.coupon_id:
        await uow.prefs.set_coupon(order.user_id, None)
