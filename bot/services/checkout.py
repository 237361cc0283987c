"""Checkout, first half: from a basket to a pending order that Telegram's invoice names.

``start`` snapshots the basket at today's prices into a ``pending`` order (the invoice's payload
names it, with a random token so a forged payload names nothing). The rest of the payment lives
beside it: ``bot/services/pre_checkout.py`` (Telegram's shipping and pre-checkout queries),
``bot/services/stock_holds.py`` (what a pre-checkout holds and gives back),
``bot/services/payment_received.py`` (one charge, one paid order) and
``bot/services/stray_charges.py`` (a payment no order takes, refunded).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.cash import CashDefaults
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
from bot.domain.pricing import quote
from bot.domain.shipping import ShippingRates
from bot.services import coupons
from bot.services.order_ports import NewOrder, Order, OrderLine
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
    #: Pay at pickup: the shop's defaults and how long an unpaid pickup order holds stock.
    cash: CashDefaults = field(default_factory=CashDefaults)
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
    order = await named_order(uow, payload)
    return order if order is not None and order.user_id == user_id else None


async def named_order(uow: UnitOfWork, payload: str) -> Order | None:
    """The order an invoice payload names (whoever it belongs to), or None if forged."""
    parsed = parse_payload(payload)
    if parsed is None:
        return None
    order = await uow.orders.get(parsed[0])
    if order is None or not secrets.compare_digest(order.token, parsed[1]):
        return None
    return order


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
    if await uow.prefs.coupon_of(user_id) is None:
        return CouponCheck()
    coupon = await coupons.current(uow, user_id)
    if coupon is None:
        await uow.prefs.set_coupon(user_id, None)
        return CouponCheck()
    usage = await uow.coupons.usage(coupon.id, user_id, coupon.code)
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
