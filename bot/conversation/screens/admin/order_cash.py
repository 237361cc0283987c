"""Console section, part of orders: "💵 Mark paid" on an order awaiting cash at pickup. The
cash changed hands at the counter: the order is paid once (a second press, or two at once,
pays nothing twice), audit-logged, and its buyer gets the receipt a paid order gets, through
the outbox. An order whose hold ran out is refused (its stock went back)."""

from __future__ import annotations

from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.orders import show_order
from bot.conversation.screens.admin.registry import verb
from bot.conversation.screens.cash import CASH_RECEIPT
from bot.conversation.turn import Turn
from bot.domain.staff import Permission, Role
from bot.services import cash_orders
from bot.services.cash_orders import MarkRefusal


@verb("or_cash", Permission.ORDERS)
async def mark_paid(turn: Turn, role: Role, order_id: int, back: int) -> None:
    tx = turn.tx
    outcome = await cash_orders.mark_paid(turn.uow, order_id, turn.now)
    order = outcome.order
    if outcome.refused is not None or order is None:
        refused = outcome.refused or MarkRefusal.NOT_FOUND
        if refused is MarkRefusal.EXPIRED:
            turn.outbox_dirty = True  # expired just now: the buyer's notice goes out
        turn.answer(tx.t(f"admin.or.cash.{refused.value}", order=order_id), alert=True)
        if order is not None:
            await show_order(turn, role, order_id, back)
        return
    await access.audit(
        turn, role, "order.cash_paid", f"order:{order_id}", total=order.total.amount
    )
    # Worded in the buyer's language when the outbox sends it, after this commits.
    await turn.uow.notices.add(order.chat_id, CASH_RECEIPT, {"order": order.id}, turn.now)
    turn.outbox_dirty = True  # the buyer's receipt goes out now
    turn.answer(tx.t("admin.or.cash.paid_toast", order=order_id, total=tx.money(order.total)))
    await show_order(turn, role, order_id, back)
