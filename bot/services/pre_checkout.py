"""Telegram's two questions before a payment: the shipping query and the pre-checkout query.

``shipping_options`` answers the ``shipping_query`` from the configured zones; ``pre_checkout``
re-checks the order within Telegram's 10 seconds and holds its stock and coupon use
(``bot/services/stock_holds.py``), so the payment that follows cannot oversell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.coupons import CouponRefusal, evaluate
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services.checkout import Delivery, PaymentSetup, order_for_payload, priced
from bot.services.order_ports import Order, ShippingChoice
from bot.services.ports import UnitOfWork
from bot.services.stock_holds import PreCheckoutRefusal, take_stock_and_coupon


@dataclass(frozen=True, slots=True)
class ShippingAnswer:
    #: (option id, label, [(price label, amount)]) as Telegram's ShippingOption wants them.
    options: list[tuple[str, str, list[tuple[str, int]]]] = field(default_factory=list)
    refusal: str | None = None  # "unknown_order", "not_shipping", "country"


async def shipping_options(
    uow: UnitOfWork, user_id: int, payload: str, country: str, setup: PaymentSetup
) -> ShippingAnswer:
    order = await order_for_payload(uow, payload, user_id)
    if order is None or order.status is not OrderStatus.PENDING:
        return ShippingAnswer(refusal="unknown_order")
    if order.delivery != Delivery.SHIP:
        return ShippingAnswer(refusal="not_shipping")
    offered = setup.shipping.options_for(country, order.items - order.discount)
    if not offered:
        return ShippingAnswer(refusal="country")
    answer = []
    for option, price in offered:
        prices = [(option.label, price.amount)]
        if order.free_shipping and price.amount:
            prices.append(("coupon", -price.amount))
        answer.append((option.id, option.label, prices))
    return ShippingAnswer(answer)


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What Telegram tells about a payment (pre-checkout or successful)."""

    user_id: int
    payload: str
    currency: str
    total_amount: int
    shipping_option_id: str | None = None
    #: Telegram's OrderInfo: name, phone_number, email, shipping_address (a dict).
    order_info: dict[str, object] = field(default_factory=dict)


def _shipping_choice(order: Order, facts: PaymentFacts, setup: PaymentSetup) -> ShippingChoice:
    info = facts.order_info
    address = info.get("shipping_address")
    name = str(info.get("name") or "")[:256] or None
    phone = str(info.get("phone_number") or "")[:64] or None
    zero = Money.zero(order.currency)
    if order.delivery != Delivery.SHIP:
        return ShippingChoice(None, zero, zero, name, phone, None)
    if not isinstance(address, dict) or facts.shipping_option_id is None:
        raise _Refused(PreCheckoutRefusal.NO_SHIPPING)
    country = str(address.get("country_code") or "")
    offered = {
        o.id: price
        for o, price in setup.shipping.options_for(country, order.items - order.discount)
    }
    price = offered.get(facts.shipping_option_id)
    if price is None:
        raise _Refused(PreCheckoutRefusal.NO_SHIPPING)
    free = price if order.free_shipping else zero
    text = json.dumps(address, ensure_ascii=False, sort_keys=True)[:1000]
    return ShippingChoice(facts.shipping_option_id, price, free, name, phone, text)


class _Refused(Exception):
    def __init__(self, reason: PreCheckoutRefusal) -> None:
        self.reason = reason


async def _prices_still_hold(uow: UnitOfWork, order: Order) -> bool:
    """The catalog prices are still those invoiced (a group-buy seat keeps its team's price,
    fixed when the team opened; a flash-sale unit its sale's price)."""
    promoted = order.team_id is not None or order.claim_id is not None
    for line in order.lines:
        found = await uow.catalog.variant(line.variant_id)
        if found is None or not found[0].active:
            return False
        if not promoted and found[0].price != line.unit_price:
            return False
    return True


async def pre_checkout(
    uow: UnitOfWork, facts: PaymentFacts, setup: PaymentSetup, now: datetime
) -> PreCheckoutRefusal | None:
    """Answer Telegram's ``pre_checkout_query``: None to accept (stock and coupon held)."""
    order = await order_for_payload(uow, facts.payload, facts.user_id)
    if order is None:
        return PreCheckoutRefusal.UNKNOWN_ORDER
    if order.status is not OrderStatus.PENDING:
        return PreCheckoutRefusal.REPLACED
    try:
        choice = _shipping_choice(order, facts, setup)
    except _Refused as refused:
        return refused.reason
    total = order.items - order.discount + choice.shipping - choice.shipping_discount
    if facts.currency != order.currency or facts.total_amount != total.amount:
        return PreCheckoutRefusal.TOTAL_CHANGED
    if not await _prices_still_hold(uow, order):
        return PreCheckoutRefusal.PRICE_CHANGED
    if order.coupon_id is not None:
        coupon = await uow.coupons.by_id(order.coupon_id)
        if coupon is None or isinstance(evaluate(coupon, priced(order.lines), now), CouponRefusal):
            return PreCheckoutRefusal.COUPON_GONE
    if await uow.orders.start_hold(order.id, now + setup.hold):
        refusal = await take_stock_and_coupon(uow, order, now)
        if refusal is not None:
            await uow.orders.end_hold(order.id)
            return refusal
    else:  # asked again (the buyer retried): the hold stands, make it last
        await uow.orders.extend_hold(order.id, now + setup.hold)
    await uow.orders.set_shipping(order.id, choice, total)
    return None
