"""Pay at pickup in the chat: the "💵 Pay at pickup" button under an invoice places the order
without a payment sheet (``bot/services/cash_orders.py``), and the buyer gets its number, what
to pay, where, and until when it is held. The receipt staff's "Mark paid" sends, and the line an
order awaiting cash shows, are worded here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_press
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.receipt import order_lines, receipt
from bot.conversation.texts import Texts
from bot.conversation.turn import ShopConfig, Turn
from bot.domain.cash import CashRefusal, cash_cap
from bot.domain.orders import OrderStatus
from bot.services import cash_orders
from bot.services.checkout import Delivery
from bot.services.order_ports import Notice, Order
from bot.services.ports import UnitOfWork

#: The notice that carries the receipt of an order paid at pickup to its buyer.
CASH_RECEIPT = "cash_receipt"


def until_text(order: Order) -> str:
    return order.held_until.strftime("%Y-%m-%d %H:%M UTC") if order.held_until else "—"


def order_status(tx: Texts, order: Order) -> str:
    """An order's status in words; one to pay the courier is not one to pay at pickup."""
    if order.status is OrderStatus.AWAITING_CASH and order.delivery == Delivery.SHIP:
        return tx.label("order.status.awaiting_cod")
    return tx.label(f"order.status.{order.status.value}")


def hold_line(tx: Texts, order: Order) -> str | None:
    """For an order awaiting cash: what to pay and until when it is held."""
    if order.status is not OrderStatus.AWAITING_CASH:
        return None
    if order.delivery == Delivery.SHIP and order.shipped_at is not None:
        return tx.t("cod.shipped_line", total=tx.money(order.total))
    key = "cod.hold_line" if order.delivery == Delivery.SHIP else "cash.hold_line"
    return tx.t(key, total=tx.money(order.total), until=until_text(order))


def _details(tx: Texts, order_id: int) -> Keyboard:
    return (
        (
            Button(tx.label("orders.btn_details"), cb(Action.ORDER, order_id)),
            Button(tx.label("start.btn_browse"), cb(Action.CATEGORIES)),
        ),
    )


@on_press(Action.PAY_CASH)
async def pay_at_pickup(turn: Turn, call: Callback) -> None:
    tx = turn.tx
    setup = turn.config.payments
    placed = await cash_orders.place(turn.uow, turn.person.id, call.int_arg(0), setup, turn.now)
    order = placed.order
    if placed.again and order is not None:
        turn.tell(tx.t("cash.already_placed", order=order.id))
        return
    if placed.refusal is not None or order is None:
        refusal = placed.refusal or CashRefusal.GONE
        cap = None
        pickup = setup.shipping.pickup
        if order is not None and pickup is not None and pickup.cash is not None:
            cap = cash_cap(pickup.cash, order.currency, setup.cash)
        limit = tx.money(cap) if cap is not None else ""
        turn.refuse(tx.t(f"cash.refusal.{refusal.value}", limit=limit))
        return
    turn.answer()
    await placed_message(turn, order, "cash")


async def placed_message(turn: Turn, order: Order, kind: str) -> None:
    """The confirmation of an order to pay in cash: ``kind`` "cash" at pickup, "cod" to the
    courier (``bot/conversation/screens/cod.py``)."""
    tx = turn.tx
    lines = [tx.t(f"{kind}.placed_title", order=order.id), ""]
    lines += await order_lines(turn, order)
    lines += [
        "",
        tx.t(f"{kind}.placed_hold", total=tx.money(order.total), until=until_text(order)),
    ]
    turn.say("\n".join(lines), _details(tx, order.id))


@dataclass(frozen=True, slots=True)
class _Desk:
    """The outbox's stand-in for a turn: where a receipt is worded outside any update."""

    uow: UnitOfWork
    tx: Texts
    config: ShopConfig


async def cash_receipt(
    uow: UnitOfWork, config: ShopConfig, tx: Texts, notice: Notice
) -> tuple[str, Keyboard | None] | None:
    """The receipt staff's "Mark paid" queued (``CASH_RECEIPT``), worded when the outbox sends
    it, in the buyer's language: the receipt a paid order gets, and how it was paid. None when
    the order is gone."""
    order_id = notice.params.get("order")
    order = await uow.orders.get(order_id) if isinstance(order_id, int) else None
    if order is None:
        return None
    text = (
        await receipt(_Desk(uow, tx, config), order)
        + "\n"
        + tx.t("cod.receipt_note" if order.delivery == Delivery.SHIP else "cash.receipt_note")
    )
    return text, _details(tx, order.id)
