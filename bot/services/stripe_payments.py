"""Stripe beyond Telegram's payment sheet: Checkout links that authorise now and capture
later, and the webhook events that report what happened to them.

Each event is handled once: its id is claimed in the same transaction as its effects, so a
replayed or redelivered webhook changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.domain.money import Money
from bot.domain.orders import REFUNDABLE, OrderStatus, status_after_refund
from bot.services.order_ports import Order
from bot.services.orders import notify
from bot.services.payment_port import CardGateway, CheckoutLink, LinkItem
from bot.services.payment_received import after_paid
from bot.services.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.stock_holds import (
    give_back_stock_and_coupon,
    keep_or_take_stock,
    take_stock_and_coupon,
)

log = logging.getLogger(__name__)

#: Stripe's shortest Checkout Session lifetime; the stock hold lasts a little longer.
LINK_LIFETIME = timedelta(minutes=30)
_OPEN = frozenset({OrderStatus.PENDING, OrderStatus.EXPIRED})


async def open_link(
    uow: UnitOfWork,
    card: CardGateway,
    order: Order,
    title: str,
    return_url: str,
    now: datetime,
) -> CheckoutLink | None:
    """Hold the order's stock and coupon, then ask Stripe for a Checkout link that only
    authorises the card (``capture_method=manual``). None when the stock is gone."""
    if not await uow.orders.start_hold(order.id, now + LINK_LIFETIME + timedelta(minutes=5)):
        return None
    if await take_stock_and_coupon(uow, order, now) is not None:
        await uow.orders.end_hold(order.id)
        return None
    link = await card.create_checkout_link(
        order_id=order.id,
        currency=order.currency,
        items=[LinkItem(title, order.total.amount, 1)],
        manual_capture=True,
        expires_at=now + LINK_LIFETIME,
        success_url=return_url,
        cancel_url=return_url,
        key=f"storefront-order-{order.id}-link",
    )
    await uow.orders.set_stripe_session(order.id, link.session_id)
    return link


async def capture(uow: UnitOfWork, card: CardGateway, order_id: int, now: datetime) -> bool:
    """Take the authorised money (at shipping, or when a group fills)."""
    order = await uow.orders.get(order_id)
    if order is None or order.status is not OrderStatus.AUTHORIZED:
        return False
    assert order.stripe_payment_intent is not None
    await card.capture(order.stripe_payment_intent, key=f"storefront-capture-{order.id}")
    return await uow.orders.move(
        order.id, OrderStatus.PAID, frozenset({OrderStatus.AUTHORIZED}), now
    )


async def handle_event(
    uows: UnitOfWorkFactory,
    event: dict[str, Any],
    now: datetime,
    on_anomaly: Callable[[str], None] | None = None,
) -> str:
    """Apply one verified Stripe event; "handled", "duplicate" or "ignored". ``on_anomaly``
    hears the kind of anomaly the event showed (``over_refund``), once it is committed."""
    event_id = str(event.get("id") or "")
    kind = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    anomaly = None
    async with uows() as uow:
        if not event_id or not await uow.stripe_events.claim(event_id, kind, now):
            return "duplicate"
        handler = _HANDLERS.get(kind)
        result = "ignored"
        if handler is not None:
            anomaly = await handler(uow, obj, now)
            result = "handled"
        await uow.commit()
    log.info("stripe event %s (%s) %s", event_id, kind, result)
    if anomaly is not None and on_anomaly is not None:
        on_anomaly(anomaly)
    return result


async def _session_completed(uow: UnitOfWork, session: dict[str, Any], now: datetime) -> None:
    """The buyer paid on Stripe's page. The order's conditional status change decides which of
    several deliveries of this payment (other event ids, other processes) acts: only that one
    converts the hold (or takes the stock) and tells the buyer, in the same transaction; the
    others find the payment recorded and do nothing."""
    order = await uow.orders.by_session(str(session.get("id")))
    if order is None:
        log.warning("checkout.session.completed for an unknown session")
        return
    intent = str(session.get("payment_intent") or "") or None
    if intent is not None and order.stripe_payment_intent == intent:
        log.info("payment %s of order %s is recorded already", intent, order.id)
        return
    captured = session.get("payment_status") == "paid"
    new = OrderStatus.PAID if captured else OrderStatus.AUTHORIZED
    fields = {"stripe_payment_intent": intent, "paid_at": now}
    if order.status in _OPEN and await uow.orders.move(order.id, new, _OPEN, now, **fields):
        fresh = await uow.orders.get(order.id)  # the order's row is this delivery's now
        assert fresh is not None
        if await keep_or_take_stock(uow, fresh, now):
            await after_paid(uow, fresh, now)
            await notify(uow, fresh, "order_paid", now)
            return
        await uow.orders.move(
            order.id, OrderStatus.CANCELLED, frozenset({new}), now, closed_at=now
        )
        await _give_back(uow, fresh, captured, now)
        return
    fresh = await uow.orders.get(order.id)
    assert fresh is not None
    if intent is not None and fresh.stripe_payment_intent == intent:
        log.info("payment %s of order %s was recorded by another delivery", intent, order.id)
        return
    # Paid for an order that is no longer open (cancelled meanwhile): recorded once, given back.
    if intent is None or not await uow.orders.note_payment_intent(order.id, intent):
        log.error(
            "payment %s for order %s (%s) cannot be recorded on it; refund it by hand",
            intent,
            order.id,
            fresh.status,
        )
        return
    await _give_back(uow, fresh, captured, now)


async def _give_back(uow: UnitOfWork, order: Order, captured: bool, now: datetime) -> None:
    """Paid for an order we can no longer honour: release the card (or refund) and say so."""
    method = "card" if captured else "authorization"
    await uow.refunds.add(order.id, order.total, method, "not_honoured", now)
    await notify(uow, order, "order_not_honoured", now)


async def _session_expired(uow: UnitOfWork, session: dict[str, Any], now: datetime) -> None:
    order = await uow.orders.by_session(str(session.get("id")))
    if order is None or order.status not in _OPEN:
        return
    if order.held_until is not None and await uow.orders.end_hold(order.id):
        await give_back_stock_and_coupon(uow, order, now)
    await uow.orders.move(order.id, OrderStatus.EXPIRED, _OPEN, now, closed_at=now)


async def _intent_canceled(uow: UnitOfWork, intent: dict[str, Any], now: datetime) -> None:
    order = await uow.orders.by_payment_intent(str(intent.get("id")))
    if order is None:
        return
    if await uow.orders.move(
        order.id, OrderStatus.CANCELLED, frozenset({OrderStatus.AUTHORIZED}), now, closed_at=now
    ):
        await give_back_stock_and_coupon(uow, order, now)
        await notify(uow, order, "order_cancelled", now)


async def _charge_refunded(uow: UnitOfWork, charge: dict[str, Any], now: datetime) -> str | None:
    """A refund Stripe reports. Ours are already counted; one made elsewhere (the Stripe
    dashboard) is recorded so the order shows the truth, but never beyond what was paid: a
    report of more than the order has left to refund is recorded up to that, and flagged."""
    order = await uow.orders.by_provider_charge(str(charge.get("id")))
    if order is None and charge.get("payment_intent"):
        order = await uow.orders.by_payment_intent(str(charge["payment_intent"]))
    if order is None:
        return None
    # Two refund events of one order at once: the second waits here, then counts the first's.
    await uow.orders.lock(order.id, now)
    refunded = int(charge.get("amount_refunded") or 0)
    ours = sum(
        task.amount.amount
        for task, status in await uow.refunds.for_order(order.id)
        if status != "failed" and task.method != "capture"
    )
    extra = refunded - ours
    if extra <= 0:
        return None
    left = max(order.total.amount - ours, 0)
    anomaly = None
    if extra > left:
        log.warning(
            "charge.refunded for order %s reports %s %s refunded, more than the %s %s left to "
            "refund of its %s %s; recorded %s",
            order.id,
            refunded,
            order.currency,
            left,
            order.currency,
            order.total.amount,
            order.currency,
            left,
        )
        extra, anomaly = left, "over_refund"
    if extra <= 0:
        return anomaly
    amount = Money(extra, order.currency)
    refund_id = await uow.refunds.add(order.id, amount, "external", "stripe_dashboard", now)
    await uow.refunds.finish(refund_id, None, now)
    updated = await uow.orders.add_refunded(order.id, amount, now)
    await uow.orders.move(
        order.id,
        status_after_refund(updated.refunded.amount, updated.total.amount),
        REFUNDABLE,
        now,
    )
    await notify(uow, order, "refund_done", now, amount=extra, currency=order.currency)
    return anomaly


_Handler = Callable[[UnitOfWork, dict[str, Any], datetime], Awaitable[str | None]]

_HANDLERS: dict[str, _Handler] = {
    "checkout.session.completed": _session_completed,
    "checkout.session.expired": _session_expired,
    "payment_intent.canceled": _intent_canceled,
    "charge.refunded": _charge_refunded,
}
