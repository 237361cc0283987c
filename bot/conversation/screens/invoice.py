"""The invoice a checkout sends: Telegram's ``sendInvoice`` for a pending order (its prices, the
Pay button, the coupon and delivery-switch buttons), and the "delivery or pickup" question that
may come first. No handlers here: ``bot/conversation/screens/checkout.py`` decides when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.conversation.callbacks import Action, cb
from bot.conversation.replies import Button, Keyboard, SendInvoice
from bot.conversation.turn import Turn
from bot.domain.flash_sales import FlashSale
from bot.domain.group_buys import Team
from bot.services.checkout import Delivery, payload_of
from bot.services.order_ports import Order

#: Telegram's limits on an invoice's title and description.
TITLE_MAX = 32
DESCRIPTION_MAX = 255


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Place(Protocol):
    """A pickup point, the shop's or a group-buy leader's (both frozen dataclasses)."""

    @property
    def name(self) -> str: ...
    @property
    def address(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Reserved:
    """A flash-sale unit the buyer holds, to invoice at the sale price."""

    sale: FlashSale
    claim_id: int


def pickup_place(turn: Turn, team: Team | None) -> Place | None:
    """Where goods are collected: a group-buy leader's point, else the shop's."""
    if team is not None and team.pickup is not None:
        return team.pickup
    return turn.config.payments.shipping.pickup


def delivery_callback(
    how: Delivery, variant_id: int, team: Team | None, reserved: Reserved | None = None
) -> str:
    if reserved is not None:
        return cb(Action.FLASH_DELIVERY, how.value, reserved.claim_id)
    if team is not None:
        return cb(Action.GROUP_DELIVERY, how.value, team.id)
    return cb(Action.DELIVERY, how.value, variant_id)


def delivery_keyboard(
    turn: Turn, variant_id: int, team: Team | None, reserved: Reserved | None = None
) -> Keyboard:
    tx = turn.tx
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                tx.label("checkout.btn_ship"),
                delivery_callback(Delivery.SHIP, variant_id, team, reserved),
            ),
        )
    ]
    pickup = pickup_place(turn, team)
    if pickup is not None:
        rows.append(
            (
                Button(
                    tx.label("checkout.btn_pickup", place=pickup.name),
                    delivery_callback(Delivery.PICKUP, variant_id, team, reserved),
                ),
            )
        )
    return tuple(rows)


def invoice_title(turn: Turn, order: Order) -> str:
    if len(order.lines) == 1:
        return clip(order.lines[0].name, TITLE_MAX)
    return clip(turn.tx.label("checkout.title", shop=turn.config.shop_name), TITLE_MAX)


def invoice(
    turn: Turn,
    order: Order,
    variant_id: int,
    team: Team | None,
    reserved: Reserved | None = None,
    *,
    cash: bool = False,
    cod: bool = False,
) -> SendInvoice:
    """The invoice; ``cash``: the order may be paid at pickup instead (a button under Pay);
    ``cod``: a shipped order may be paid to the courier (``bot/conversation/screens/cod.py``)."""
    tx = turn.tx
    stars = order.method == "stars"
    items = [(f"{ln.name} × {ln.quantity}", ln.total.amount) for ln in order.lines]
    description = clip(
        "\n".join(f"{ln.name} × {ln.quantity}" for ln in order.lines), DESCRIPTION_MAX
    )
    prices: list[tuple[str, int]]
    if stars:  # Telegram Stars invoices take exactly one price
        prices = [(tx.label("checkout.total_label"), order.total.amount)]
    else:
        prices = items
        if order.discount.amount:
            prices.append(
                (
                    tx.label("checkout.discount_label", code=order.coupon_code or ""),
                    -order.discount.amount,
                )
            )
    ship = order.delivery == Delivery.SHIP
    person = order.delivery in (Delivery.SHIP, Delivery.PICKUP)
    pay = Button(tx.label("checkout.btn_pay", total=tx.money(order.total)), pay=True)
    rows: list[tuple[Button, ...]] = [(pay,)]
    if cash:
        rows.append((Button(tx.label("cash.btn_pay_at_pickup"), cb(Action.PAY_CASH, order.id)),))
    if cod:
        rows.append(
            (Button(tx.label("cod.btn_cash_on_delivery"), cb(Action.COD, "go", order.id, 0)),)
        )
    if team is None and reserved is None:  # the group or sale price is the promotion
        extra = [Button(tx.label("checkout.btn_coupon"), cb(Action.COUPON_ASK, variant_id))]
        if order.coupon_code:
            extra.append(
                Button(
                    tx.label("checkout.btn_coupon_remove"), cb(Action.COUPON_REMOVE, variant_id)
                )
            )
        rows.append(tuple(extra))
    pickup = pickup_place(turn, team)
    if person and pickup is not None and turn.config.payments.shipping.ships:
        other = Delivery.PICKUP if ship else Delivery.SHIP
        key = "checkout.btn_switch_pickup" if ship else "checkout.btn_switch_ship"
        switch = delivery_callback(other, variant_id, team, reserved)
        rows.append((Button(tx.label(key), switch),))
    return SendInvoice(
        chat_id=turn.chat_id,
        title=invoice_title(turn, order),
        description=description or invoice_title(turn, order),
        payload=payload_of(order),
        currency=order.currency,
        prices=tuple(prices),
        provider_token="" if stars else turn.config.payments.provider_token,
        is_flexible=ship,
        need_name=person,
        need_phone_number=person,
        need_shipping_address=ship,
        keyboard=tuple(rows),
    )
