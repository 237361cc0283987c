"""/orders: the buyer's orders, each with its details, Cancel (before shipping, refunded
automatically) and Return (within the return window)."""

from __future__ import annotations

import re

from bot.conversation.callbacks import Action, Callback, cb, row_id
from bot.conversation.dispatch import on_command, on_press, on_start
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens import guessing
from bot.conversation.screens.cash import hold_line, order_status
from bot.conversation.screens.receipt import order_lines
from bot.conversation.screens.sharing import share_query
from bot.conversation.screens.team_text import status_text
from bot.conversation.texts import Raw, Texts
from bot.conversation.turn import Turn
from bot.domain.guesses import CodeKind
from bot.domain.orders import can_cancel, return_open
from bot.services import orders
from bot.services.order_ports import Order
from bot.services.orders import Refused


def status_label(tx: Texts, order: Order) -> str:
    return order_status(tx, order)


#: ``t.me/bot?start=o_12``: the buyer's order 12.
ORDER_LINK = re.compile(r"^o_([1-9][0-9]{0,17})$")


@on_command("orders")
async def orders_command(turn: Turn, args: str) -> None:
    await show_list(turn)


@on_start(ORDER_LINK)
async def order_link(turn: Turn, link: re.Match[str]) -> None:
    await open_link(turn, row_id(link.group(1)))


async def show_list(turn: Turn) -> None:
    tx = turn.tx
    found = await orders.buyer_orders(turn.uow, turn.person.id)
    turn.answer()
    if not found:
        turn.show(
            tx.t("orders.empty"),
            ((Button(tx.label("start.btn_browse"), cb(Action.CATEGORIES)),),),
        )
        return
    rows = tuple(
        (
            Button(
                tx.label(
                    "orders.row",
                    order=o.id,
                    total=tx.money(o.total),
                    status=status_label(tx, o),
                ),
                cb(Action.ORDER, o.id),
            ),
        )
        for o in found
    )
    turn.show(tx.t("orders.title"), rows)


def _details_keyboard(turn: Turn, order: Order) -> Keyboard:
    tx = turn.tx
    rows: list[tuple[Button, ...]] = []
    if can_cancel(order.status, cash=order.method == "cash"):
        rows.append((Button(tx.label("orders.btn_cancel"), cb(Action.ORDER_CANCEL, order.id)),))
    received = order.delivered_at or order.shipped_at
    if return_open(order.status, received, turn.now, turn.config.payments.return_window):
        rows.append((Button(tx.label("orders.btn_return"), cb(Action.ORDER_RETURN, order.id)),))
    shared = share_query([ln.product_id for ln in order.lines])
    if shared:  # share what you bought: the inline answer leads with these products
        rows.append((Button(tx.label("sharing.btn_share_order"), share=shared),))
    rows.append((Button(tx.label("support.btn_ask"), cb(Action.SUPPORT_ORDER, order.id)),))
    rows.append((Button(tx.label("orders.btn_back"), cb(Action.ORDERS)),))
    return tuple(rows)


async def details_text(turn: Turn, order: Order) -> str:
    tx = turn.tx
    lines = [
        tx.t("orders.details_title", order=order.id, status=status_label(tx, order)),
        tx.t("orders.placed", when=order.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        "",
    ]
    lines += await order_lines(turn, order)
    held = hold_line(tx, order)
    if held:
        lines.append(held)
    team = await turn.uow.groups.team(order.team_id) if order.team_id else None
    if team is not None:
        lines.append(
            tx.t("group.order_line", team=team.id, status=Raw(status_text(tx, team, turn.now)))
        )
    if order.tracking:
        lines.append(tx.t("orders.tracking", tracking=order.tracking))
    return "\n".join(lines)


async def show_order(turn: Turn, order_id: int) -> None:
    order = await orders.buyer_order(turn.uow, turn.person.id, order_id)
    if order is None:  # someone else's, or a forged button
        turn.tell(turn.tx.t("orders.not_found"), alert=True)
        return
    turn.answer()
    turn.show(await details_text(turn, order), _details_keyboard(turn, order))


async def open_link(turn: Turn, order_id: int) -> None:
    """``o_<order>`` (where a Stripe payment page sends the buyer back): their own order; any
    other id is a wrong guess (``guessing``)."""
    if await guessing.refused(turn):
        return
    order = await orders.buyer_order(turn.uow, turn.person.id, order_id)
    if order is None:
        await guessing.wrong(turn, CodeKind.ORDER)
        turn.say(turn.tx.t("orders.not_found"))
        return
    turn.say(await details_text(turn, order), _details_keyboard(turn, order))


async def ask_cancel(turn: Turn, order_id: int) -> None:
    tx = turn.tx
    order = await orders.buyer_order(turn.uow, turn.person.id, order_id)
    if order is None:
        turn.answer(tx.t("orders.not_found"), alert=True)
        return
    if not can_cancel(order.status, cash=order.method == "cash"):
        turn.answer(tx.t("orders.cannot_cancel", status=status_label(tx, order)), alert=True)
        return
    turn.answer()
    turn.show(
        tx.t("orders.confirm_cancel", order=order.id, total=tx.money(order.refundable)),
        (
            (
                Button(tx.label("orders.btn_cancel_yes"), cb(Action.ORDER_CANCEL_YES, order.id)),
                Button(tx.label("orders.btn_cancel_no"), cb(Action.ORDER, order.id)),
            ),
        ),
    )


async def cancel(turn: Turn, order_id: int) -> None:
    tx = turn.tx
    outcome = await orders.cancel(turn.uow, turn.person.id, order_id, turn.now)
    if outcome.refused is Refused.NOT_FOUND or outcome.order is None:
        turn.answer(tx.t("orders.not_found"), alert=True)
        return
    if outcome.refused is not None:
        turn.answer(
            tx.t("orders.cannot_cancel", status=status_label(tx, outcome.order)), alert=True
        )
        return
    turn.outbox_dirty = True
    turn.answer(tx.t("orders.cancelled_toast"))
    refund = outcome.refund
    key = "orders.cancelled_refund" if refund and refund.amount else "orders.cancelled"
    turn.show(
        tx.t(key, order=order_id, total=tx.money(refund) if refund else ""),
        ((Button(tx.label("orders.btn_back"), cb(Action.ORDERS)),),),
    )


async def request_return(turn: Turn, order_id: int) -> None:
    tx = turn.tx
    outcome = await orders.request_return(
        turn.uow, turn.person.id, order_id, turn.now, turn.config.payments.return_window
    )
    if outcome.refused is Refused.NOT_FOUND or outcome.order is None:
        turn.answer(tx.t("orders.not_found"), alert=True)
        return
    if outcome.refused is Refused.WINDOW_CLOSED:
        days = turn.config.payments.return_window.days
        turn.answer(tx.plural("orders.return_closed", days), alert=True)
        return
    if outcome.refused is not None:
        status = status_label(tx, outcome.order)
        turn.answer(tx.t("orders.cannot_return", status=status), alert=True)
        return
    for admin in turn.config.admin_ids:
        await turn.uow.notices.add(
            admin, "return_requested_admin", {"order": order_id, "user": turn.person.id}, turn.now
        )
    turn.outbox_dirty = True
    turn.answer()
    turn.show(await details_text(turn, outcome.order), _details_keyboard(turn, outcome.order))
    turn.say(tx.t("orders.return_requested", order=order_id))


@on_press(
    Action.ORDERS, Action.ORDER, Action.ORDER_CANCEL, Action.ORDER_CANCEL_YES, Action.ORDER_RETURN
)
async def pressed(turn: Turn, call: Callback) -> None:
    action = call.action
    if action is Action.ORDERS:
        await show_list(turn)
    elif action is Action.ORDER:
        await show_order(turn, call.int_arg(0))
    elif action is Action.ORDER_CANCEL:
        await ask_cancel(turn, call.int_arg(0))
    elif action is Action.ORDER_CANCEL_YES:
        await cancel(turn, call.int_arg(0))
    elif action is Action.ORDER_RETURN:
        await request_return(turn, call.int_arg(0))
