"""Console section: refunds (owners) and requested returns. Refund all that is left or a typed
amount, then a confirmation naming the amount and how the money goes back. The confirmation
carries the total the order's refunds reach once it is done, so pressing it twice (or an old
one) finds that total reached and refunds nothing more."""

from __future__ import annotations

from bot.conversation.replies import Button
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.order_view import back_to, path_label, status_label
from bot.conversation.screens.admin.orders import show_order
from bot.conversation.screens.admin.registry import admin_cb, signed_cb, state, step, verb
from bot.conversation.turn import Turn
from bot.domain.money import Money, parse_major
from bot.domain.orders import REFUNDABLE, OrderStatus
from bot.domain.staff import Permission, Role
from bot.services import merchant_orders
from bot.services.order_ports import Order
from bot.services.orders import Refused
from bot.services.ports import UiState

_AMOUNT = "admin.or.refund_amount"


async def _refundable(turn: Turn, order_id: int) -> tuple[Order, int] | None:
    """The order and the minor units still refundable, or None (told why)."""
    tx = turn.tx
    order = await turn.uow.orders.get(order_id)
    if order is None:
        turn.tell(tx.t("admin.or.not_found", order=order_id), alert=True)
        return None
    already = await merchant_orders.refunded_so_far(turn.uow, order)
    left = order.total.amount - already
    if order.status not in REFUNDABLE or left <= 0:
        turn.tell(
            tx.t("admin.or.nothing_to_refund", order=order_id, status=status_label(turn, order)),
            alert=True,
        )
        return None
    return order, already


@verb("or_ref", Permission.REFUNDS)
async def refund_menu(turn: Turn, role: Role, order_id: int, _: int) -> None:
    tx = turn.tx
    found = await _refundable(turn, order_id)
    if found is None:
        return
    order, already = found
    left = Money(order.total.amount - already, order.currency)
    turn.answer()
    first = [
        Button(
            tx.label("admin.or.btn_refund_all", total=tx.money(left)),
            admin_cb("or_refa", order_id),
        )
    ]
    if order.method != "stars":  # Telegram refunds Stars only in full
        first.append(Button(tx.label("admin.or.btn_refund_part"), admin_cb("or_refp", order_id)))
    turn.show(
        tx.t(
            "admin.or.refund_menu",
            order=order_id,
            left=tx.money(left),
            path=path_label(turn, order),
        ),
        (tuple(first), back_to(turn, order_id)[0]),
    )


def _confirm(turn: Turn, order: Order, already: int, amount: int) -> None:
    tx = turn.tx
    target = already + amount
    turn.show(
        tx.t(
            "admin.or.confirm_refund",
            order=order.id,
            total=tx.money(Money(amount, order.currency)),
            path=path_label(turn, order),
            after=tx.money(Money(target, order.currency)),
            of=tx.money(order.total),
        ),
        (
            (
                Button(
                    tx.label("admin.or.btn_refund_yes"),
                    signed_cb(turn, "or_refy", order.id, target),
                ),
                Button(tx.label("admin.or.btn_back"), admin_cb("or_view", order.id)),
            ),
        ),
    )


@verb("or_refa", Permission.REFUNDS)
async def refund_all(turn: Turn, role: Role, order_id: int, _: int) -> None:
    found = await _refundable(turn, order_id)
    if found is None:
        return
    order, already = found
    turn.answer()
    _confirm(turn, order, already, order.total.amount - already)


@verb("or_refp", Permission.REFUNDS)
async def ask_amount(turn: Turn, role: Role, order_id: int, _: int) -> None:
    found = await _refundable(turn, order_id)
    if found is None:
        return
    order, already = found
    if order.method == "stars":
        turn.answer(turn.tx.t("admin.or.stars_in_full"), alert=True)
        return
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, state(_AMOUNT, order=order_id), turn.now
    )
    turn.answer()
    left = Money(order.total.amount - already, order.currency)
    turn.show(
        turn.tx.t("admin.or.ask_amount", order=order_id, left=turn.tx.money(left)),
        back_to(turn, order_id),
    )


@step(_AMOUNT, Permission.REFUNDS)
async def amount_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    tx = turn.tx
    order_id = int(current.data.get("order", 0))
    found = await _refundable(turn, order_id)
    if found is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        return
    order, already = found
    left = order.total.amount - already
    try:
        amount = parse_major(text.replace(",", ".").lstrip("$€£¥ "), order.currency).amount
    except ValueError:
        amount = -1
    if amount <= 0 or amount > left:
        key = "admin.or.bad_amount" if amount <= 0 else "admin.or.amount_too_big"
        turn.say(
            tx.t(key, text=text[:40], left=tx.money(Money(left, order.currency))),
            back_to(turn, order_id),
        )
        return  # the step stays: the next message is read as the amount
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    _confirm(turn, order, already, amount)


@verb("or_refy", Permission.REFUNDS, signed=True)
async def refund(turn: Turn, role: Role, order_id: int, target: int) -> None:
    tx = turn.tx
    outcome = await merchant_orders.refund_to(turn.uow, order_id, target, turn.now)
    if outcome.refused is Refused.ALREADY_DONE:
        turn.answer(tx.t("admin.or.refund_already", order=order_id), alert=True)
        return
    if outcome.refused is not None or outcome.refund is None:
        status = status_label(turn, outcome.order) if outcome.order else "—"
        turn.answer(tx.t("admin.or.refund_refused", order=order_id, status=status), alert=True)
        return
    await access.audit(
        turn,
        role,
        "order.refund",
        f"order:{order_id}",
        amount=outcome.refund.amount,
        currency=outcome.refund.currency,
    )
    turn.outbox_dirty = True  # the refund goes to Stripe / Telegram right after the commit
    turn.answer(tx.t("admin.or.refund_queued", total=tx.money(outcome.refund)))
    await show_order(turn, role, order_id)


@verb("or_decl", Permission.REFUNDS)
async def ask_decline(turn: Turn, role: Role, order_id: int, _: int) -> None:
    tx = turn.tx
    order = await turn.uow.orders.get(order_id)
    if order is None or order.status is not OrderStatus.RETURN_REQUESTED:
        status = status_label(turn, order) if order else "—"
        turn.answer(tx.t("admin.or.cannot_decline", order=order_id, status=status), alert=True)
        return
    turn.answer()
    turn.show(
        tx.t("admin.or.confirm_decline", order=order_id),
        (
            (
                Button(tx.label("admin.or.btn_decline_yes"), admin_cb("or_decly", order_id)),
                Button(tx.label("admin.or.btn_back"), admin_cb("or_view", order_id)),
            ),
        ),
    )


@verb("or_decly", Permission.REFUNDS)
async def decline(turn: Turn, role: Role, order_id: int, _: int) -> None:
    tx = turn.tx
    outcome = await merchant_orders.decline_return(turn.uow, order_id, turn.now)
    if outcome.refused is not None:
        status = status_label(turn, outcome.order) if outcome.order else "—"
        turn.answer(tx.t("admin.or.cannot_decline", order=order_id, status=status), alert=True)
        return
    await access.audit(turn, role, "order.return_declined", f"order:{order_id}")
    turn.outbox_dirty = True
    turn.answer(tx.t("admin.or.declined_toast", order=order_id))
    await show_order(turn, role, order_id)
