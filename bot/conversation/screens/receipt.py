"""The receipt of an order, and the parts the order screens share with it: the money summary
(items, discount, shipping, total, refunded) and where the goods go (shipping, pickup at the
shop's or a group-buy leader's point, or digital contents).
"""

from __future__ import annotations

import json
from typing import Protocol

from bot.conversation.screens.invoice import Place
from bot.conversation.texts import Texts
from bot.conversation.turn import ShopConfig
from bot.services.checkout import Delivery
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork


class Desk(Protocol):
    """What wording an order needs: a ``Turn``, or the outbox's desk for a receipt it sends
    outside any update (``bot/conversation/screens/cash.py``)."""

    @property
    def uow(self) -> UnitOfWork: ...
    @property
    def tx(self) -> Texts: ...
    @property
    def config(self) -> ShopConfig: ...


async def order_lines(turn: Desk, order: Order) -> list[str]:
    """What an order is, as the receipt, the buyer's order view and the console show it: each
    line with its total, the money summary and how it is delivered."""
    tx = turn.tx
    lines = [
        tx.t("receipt.line", name=ln.name, qty=ln.quantity, total=tx.money(ln.total))
        for ln in order.lines
    ]
    lines.append("")
    lines += money_summary(tx, order)
    lines.append(delivery_text(turn, order, await team_pickup(turn, order)))
    return lines


async def receipt(turn: Desk, order: Order) -> str:
    tx = turn.tx
    lines = [tx.t("receipt.title", order=order.id), ""]
    lines += await order_lines(turn, order)
    contents = [
        content
        for ln in order.lines
        if ln.digital and (content := await _content_of(turn, ln.product_id))
    ]
    if contents:
        lines += [
            "",
            tx.t("receipt.digital"),
            *(tx.t("receipt.content", text=c) for c in contents),
        ]
    return "\n".join(lines)


async def _content_of(turn: Desk, product_id: int) -> str | None:
    product = await turn.uow.catalog.product(product_id)
    return product.digital_content if product is not None else None


def money_summary(tx: Texts, order: Order) -> list[str]:
    lines = [tx.t("receipt.items", total=tx.money(order.items))]
    if order.discount.amount:
        lines.append(
            tx.t("receipt.discount", code=order.coupon_code or "", total=tx.money(order.discount))
        )
    if order.shipping.amount:
        lines.append(tx.t("receipt.shipping", total=tx.money(order.shipping)))
    if order.shipping_discount.amount:
        lines.append(tx.t("receipt.free_shipping", total=tx.money(order.shipping_discount)))
    lines.append(tx.t("receipt.total", total=tx.money(order.total)))
    if order.refunded.amount:
        lines.append(tx.t("receipt.refunded", total=tx.money(order.refunded)))
    return lines


async def team_pickup(turn: Desk, order: Order) -> Place | None:
    """The group-buy leader's pickup point for a seat's order collected there."""
    if order.team_id is None or order.delivery != Delivery.PICKUP:
        return None
    team = await turn.uow.groups.team(order.team_id)
    return team.pickup if team is not None else None


def delivery_text(turn: Desk, order: Order, place: Place | None = None) -> str:
    tx = turn.tx
    if order.delivery == Delivery.DIGITAL:
        return tx.t("receipt.delivery_digital")
    if order.delivery == Delivery.PICKUP:
        pickup = place or turn.config.payments.shipping.pickup
        return tx.t(
            "receipt.delivery_pickup",
            place=pickup.name if pickup else "",
            address=pickup.address if pickup else "",
        )
    city = ""
    if order.ship_address:
        try:
            address = json.loads(order.ship_address)
            city = ", ".join(
                str(address.get(k) or "") for k in ("city", "country_code") if address.get(k)
            )
        except ValueError:
            city = ""
    return tx.t("receipt.delivery_ship", where=city or "—")
