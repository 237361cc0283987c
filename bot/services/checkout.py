"""Checkout: from a basket to an invoice, and Telegram's three payment steps.

1. ``start`` snapshots the basket at today's prices into a ``pending`` order (the invoice's
   payload names it, with a random token so a forged payload names nothing).
2. ``shipping_options`` answers Telegram's ``shipping_query`` from the configured zones.
3. ``pre_checkout`` re-checks the order within Telegram's 10 seconds and holds its stock and
   coupon use (single conditional writes), so the payment that follows cannot oversell.
4. ``payment_received`` turns Telegram's ``successful_payment`` into exactly one paid order,
   keyed by ``telegram_payment_charge_id``; a payment that can no longer be honoured (the hold
   lapsed and the stock went) is refunded and said so.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.coupons import (
    Coupon,
    CouponRefusal,
    Discount,
    PricedLine,
    evaluate,
    owner_refusal,
)
from bot.domain.flash_sales import FlashSale
from bot.domain.group_buys import Team
from bot.domain.interests import InteractionKind
from bot.domain.money import Money
from bot.domain.orders import MONEY_TAKEN, OrderStatus
from bot.domain.pricing import quote
from bot.domain.shipping import ShippingRates
from bot.services import creators, invites, team_seats
from bot.services.order_ports import NewOrder, Order, OrderLine, ShippingChoice
from bot.services.ports import UnitOfWork

STARS = "XTR"
_PAYLOAD = re.compile(r"^o:([1-9][0-9]{0,17}):([0-9a-f]{16})$")


class Problem(StrEnum):
    EMPTY = "empty"
    UNAVAILABLE = "unavailable"  # an item in the cart was archived (``name`` says which)
    GONE = "gone"  # the one item asked for is not sold (archived, or no such variant)
    OUT_OF_STOCK = "out_of_stock"  # not enough left of an item
    NO_PAYMENT = "no_payment"  # the shop cannot take payments in this currency
    STARS_PHYSICAL = "stars_physical"  # Stars pay for digital goods only
    NO_DELIVERY = "no_delivery"  # the shop neither ships nor offers pickup


class Delivery(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    DIGITAL = "digital"


@dataclass(frozen=True, slots=True)
class PaymentSetup:
    """How this shop takes money (from configuration)."""

    provider_token: str = ""
    #: Stripe Checkout links (authorise now, capture at shipping) when there is no provider.
    stripe_links: bool = False
    shipping: ShippingRates = field(default_factory=ShippingRates)
    #: How long a pre-checkout holds stock and a coupon use for the payment to arrive.
    hold: timedelta = timedelta(minutes=15)
    return_window: timedelta = timedelta(days=7)
    #: Group-buy seats authorise the card now and capture when the team fills (Stripe links).
    group_authorize: bool = False

    def method_for(self, currency: str, *, team: bool = False) -> str | None:
        if currency == STARS:
            return "stars"
        if team and self.group_authorize:
            return "stripe_link"
        if self.provider_token:
            return "telegram"
        if self.stripe_links:
            return "stripe_link"
        return None


def payload_of(order: Order) -> str:
    return f"o:{order.id}:{order.token}"


def parse_payload(payload: str) -> tuple[int, str] | None:
    match = _PAYLOAD.match(payload or "")
    return (int(match.group(1)), match.group(2)) if match else None


async def order_for_payload(uow: UnitOfWork, payload: str, user_id: int) -> Order | None:
    """The buyer's order an invoice payload names, or None for anything forged or foreign."""
    order = await _named_order(uow, payload)
    return order if order is not None and order.user_id == user_id else None


@dataclass(frozen=True, slots=True)
class Basket:
    lines: tuple[OrderLine, ...] = ()
    problem: Problem | None = None
    #: The item a problem is about (for "X is sold out").
    name: str = ""
    from_cart: bool = True
    #: A seat in this group-buy team, at the team's price.
    team_id: int | None = None
    #: The team leader's pickup point replaces the shop's.
    team_pickup: bool = False
    #: The flash-sale reservation this basket pays for, at the sale price.
    claim_id: int | None = None


async def basket_from_cart(uow: UnitOfWork, user_id: int) -> Basket:
    rows = await uow.carts.lines(user_id)
    if not rows:
        return Basket(problem=Problem.EMPTY)
    lines: list[OrderLine] = []
    for _, line in rows:
        product = await uow.catalog.variant(line.variant.id)
        if product is None or not line.variant.active:
            return Basket(problem=Problem.UNAVAILABLE, name=line.product_name)
        variant, prod = product
        if variant.available < line.quantity:
            return Basket(problem=Problem.OUT_OF_STOCK, name=_name(prod.name, variant.name))
        lines.append(
            OrderLine(
                variant.id,
                prod.id,
                prod.category_id,
                _name(prod.name, variant.name),
                variant.price,
                line.quantity,
                prod.digital,
            )
        )
    return Basket(tuple(lines))


async def basket_for_variant(uow: UnitOfWork, variant_id: int, quantity: int = 1) -> Basket:
    found = await uow.catalog.variant(variant_id)
    if found is None or not found[0].active:
        return Basket(problem=Problem.GONE, from_cart=False)
    variant, prod = found
    name = _name(prod.name, variant.name)
    if variant.available < quantity:
        return Basket(problem=Problem.OUT_OF_STOCK, name=name, from_cart=False)
    line = OrderLine(
        variant.id, prod.id, prod.category_id, name, variant.price, quantity, prod.digital
    )
    return Basket((line,), from_cart=False)


async def basket_for_team(uow: UnitOfWork, team: Team) -> Basket:
    """One unit of the team's variant at the group price."""
    found = await uow.catalog.variant(team.variant_id)
    if found is None or not found[0].active:
        return Basket(problem=Problem.GONE, from_cart=False)
    variant, prod = found
    name = _name(prod.name, variant.name)
    if variant.available < 1:
        return Basket(problem=Problem.OUT_OF_STOCK, name=name, from_cart=False)
    line = OrderLine(variant.id, prod.id, prod.category_id, name, team.price, 1, prod.digital)
    return Basket((line,), from_cart=False, team_id=team.id, team_pickup=team.pickup is not None)


async def basket_for_claim(uow: UnitOfWork, sale: FlashSale, claim_id: int) -> Basket:
    """The reserved unit at the sale price (the claim already took it from stock)."""
    found = await uow.catalog.variant(sale.variant_id)
    if found is None or not found[0].active:
        return Basket(problem=Problem.GONE, from_cart=False)
    variant, prod = found
    line = OrderLine(variant.id, prod.id, prod.category_id, sale.name, sale.price, 1, prod.digital)
    return Basket((line,), from_cart=False, claim_id=claim_id)


def _name(product: str, variant: str) -> str:
    return f"{product} ({variant})" if variant else product


def priced(lines: tuple[OrderLine, ...]) -> list[PricedLine]:
    return [PricedLine(ln.product_id, ln.category_id, ln.unit_price, ln.quantity) for ln in lines]


@dataclass(frozen=True, slots=True)
class CouponCheck:
    coupon: Coupon | None = None
    discount: Discount | None = None
    refusal: CouponRefusal | None = None


async def coupon_for(
    uow: UnitOfWork, user_id: int, lines: tuple[OrderLine, ...], now: datetime
) -> CouponCheck:
    """The buyer's applied coupon on this basket. A coupon that can never work again (expired,
    disabled, used up) is dropped from the buyer; one that only misses this basket stays."""
    coupon_id = await uow.prefs.coupon_of(user_id)
    if coupon_id is None:
        return CouponCheck()
    coupon = await uow.coupons.by_id(coupon_id)
    if coupon is None:
        await uow.prefs.set_coupon(user_id, None)
        return CouponCheck()
    usage = await uow.coupons.usage(coupon.id, user_id)
    result = owner_refusal(coupon, user_id) or evaluate(coupon, priced(lines), now, usage)
    if isinstance(result, CouponRefusal):
        if result not in (
            CouponRefusal.MIN_NOT_MET,
            CouponRefusal.NOT_APPLICABLE,
            CouponRefusal.NO_STACKING,
            CouponRefusal.CURRENCY,
        ):
            await uow.prefs.set_coupon(user_id, None)
        return CouponCheck(coupon, None, result)
    return CouponCheck(coupon, result)


@dataclass(frozen=True, slots=True)
class CheckoutStart:
    order: Order | None = None
    problem: Problem | None = None
    name: str = ""
    #: The buyer must say "delivery or pickup" first (first checkout with both on offer).
    ask_delivery: bool = False
    coupon: CouponCheck = field(default_factory=CouponCheck)


def delivery_options(setup: PaymentSetup, basket: Basket | None = None) -> list[Delivery]:
    options = []
    if setup.shipping.ships:
        options.append(Delivery.SHIP)
    if setup.shipping.pickup is not None or (basket is not None and basket.team_pickup):
        options.append(Delivery.PICKUP)
    return options


async def start(
    uow: UnitOfWork,
    user_id: int,
    chat_id: int,
    basket: Basket,
    delivery: Delivery | None,
    setup: PaymentSetup,
    now: datetime,
) -> CheckoutStart:
    if basket.problem is not None:
        return CheckoutStart(problem=basket.problem, name=basket.name)
    lines = basket.lines
    currency = lines[0].unit_price.currency
    method = setup.method_for(currency, team=basket.team_id is not None)
    if method is None:
        return CheckoutStart(problem=Problem.NO_PAYMENT)
    digital_only = all(ln.digital for ln in lines)
    if currency == STARS and not digital_only:
        return CheckoutStart(problem=Problem.STARS_PHYSICAL)
    if digital_only:
        delivery = Delivery.DIGITAL
    else:
        offered = delivery_options(setup, basket)
        if not offered:
            return CheckoutStart(problem=Problem.NO_DELIVERY)
        if delivery is None or delivery not in offered:
            remembered = await uow.prefs.delivery_of(user_id)
            delivery = Delivery(remembered) if remembered in offered else None
        if delivery is None and len(offered) == 1:
            delivery = offered[0]
        if delivery is None:
            return CheckoutStart(ask_delivery=True)
        await uow.prefs.set_delivery(user_id, delivery.value)
    # The group or sale price is the promotion: no coupon on top of it.
    promoted = basket.team_id is not None or basket.claim_id is not None
    check = CouponCheck() if promoted else await coupon_for(uow, user_id, lines, now)
    price = quote(priced(lines), check.discount, None)
    await uow.orders.expire_unheld(user_id, now)
    order = await uow.orders.create(
        NewOrder(
            user_id=user_id,
            chat_id=chat_id,
            token=secrets.token_hex(8),
            lines=lines,
            items=price.items,
            discount=price.discount,
            total=price.total,
            coupon=check.coupon if check.discount else None,
            free_shipping=bool(check.discount and check.discount.free_shipping),
            delivery=delivery.value,
            method=method,
            from_cart=basket.from_cart,
            team_id=basket.team_id,
            claim_id=basket.claim_id,
        ),
        now,
    )
    if basket.claim_id is not None:
        await uow.sales.attach_order(basket.claim_id, order.id)
    return CheckoutStart(order=order, coupon=check)


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
    if order.coupon_id is not None and not await uow.coupons.take(order.coupon_id, order.user_id):
        await uow.stock.give_back(units)
        return PreCheckoutRefusal.COUPON_GONE
    if not await team_seats.take(uow, order, now):
        await uow.stock.give_back(units)
        if order.coupon_id is not None:
            await uow.coupons.give_back(order.coupon_id, order.user_id)
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
        await uow.coupons.give_back(order.coupon_id, order.user_id)
    await team_seats.release(uow, order)


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
    order = await _named_order(uow, facts.payload)
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


async def _named_order(uow: UnitOfWork, payload: str) -> Order | None:
    """The order an invoice payload names (whoever it belongs to), or None if forged."""
    parsed = parse_payload(payload)
    if parsed is None:
        return None
    order = await uow.orders.get(parsed[0])
    if order is None or not secrets.compare_digest(order.token, parsed[1]):
        return None
    return order


def refund_method(order: Order) -> str:
    """How an order's money goes back: Stars, a Stripe refund, or releasing an authorisation."""
    if order.method == "stars":
        return "stars"
    if order.method == "stripe_link" and order.status is OrderStatus.AUTHORIZED:
        return "authorization"
    return "card"


async def _refund_orphan(
    uow: UnitOfWork, facts: PaymentFacts, charge: Charge, now: datetime, reason: str
) -> PaymentOutcome:
    """A payment that matches no payable order: a cancelled record of it, and a refund; once
    per charge, however many handlings of it race here."""
    amount = Money(facts.total_amount, facts.currency)
    record = await uow.orders.record_refused_charge(
        NewOrder(
            user_id=facts.user_id,
            chat_id=facts.user_id,
            token=secrets.token_hex(8),
            lines=(),
            items=amount,
            discount=Money.zero(amount.currency),
            total=amount,
            coupon=None,
            free_shipping=False,
            delivery=Delivery.DIGITAL.value,
            method="stars" if amount.currency == STARS else "telegram",
            from_cart=False,
        ),
        now,
        charge.telegram_charge_id,
        charge.provider_charge_id or None,
    )
    if record is None:  # a racing handling of this charge recorded (and refunds) it
        return PaymentOutcome(
            PaymentResult.DUPLICATE, await uow.orders.by_charge(charge.telegram_charge_id)
        )
    await uow.refunds.add(record.id, amount, refund_method(record), reason, now)
    results = {"foreign_order": PaymentResult.FOREIGN, "already_paid": PaymentResult.ALREADY_PAID}
    return PaymentOutcome(results.get(reason, PaymentResult.REFUNDING), record)


async def after_paid(uow: UnitOfWork, order: Order, now: datetime) -> None:
    """Paid: what was bought leaves the cart, the applied coupon is used up, and the buyer's
    last creator click (within its window) earns that creator a pending commission."""
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
    await team_seats.paid(uow, order, now)
    # Once per order: only a payment that moved the order to paid gets here.
    products = [ln.product_id for ln in order.lines]
    await uow.interests.record(order.user_id, products, InteractionKind.PURCHASE, now)
    await creators.attribute(uow, order, now)
    await invites.on_paid(uow, order)


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
