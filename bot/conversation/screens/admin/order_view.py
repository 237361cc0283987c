"""One order as the merchant sees it in the console: the buyer, lines, totals, where it goes,
its status, tracking and refunds so far, with the actions the order (and the role) allows."""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin.registry import admin_cb
from bot.conversation.screens.cash import hold_line, order_status
from bot.conversation.screens.receipt import order_lines
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.money import Money
from bot.domain.orders import REFUNDABLE, OrderStatus, address_line
from bot.domain.staff import Permission, Role, can
from bot.services import merchant_orders
from bot.services.merchant_orders import OrderFilter
from bot.services.order_ports import Order
from bot.services.refunds import refund_method

#: The filter buttons, in this order; a button carries the filter's index.
FILTERS: tuple[OrderFilter, ...] = (
    OrderFilter.ALL,
    OrderFilter.NEW,
    OrderFilter.PAID,
    OrderFilter.TO_SHIP,
    OrderFilter.RETURNS,
)


def filter_at(index: int) -> OrderFilter:
    return FILTERS[index] if 0 <= index < len(FILTERS) else OrderFilter.ALL


def status_label(turn: Turn, order: Order) -> str:
    return order_status(turn.tx, order)


def path_label(turn: Turn, order: Order) -> str:
    """How the money goes back (a Stripe refund, Telegram Stars, a released authorisation),
    or that it was (or is to be) paid in cash at pickup."""
    if order.method == "cash":
        ship = order.delivery == "ship"
        return turn.tx.label("admin.or.path.cod" if ship else "admin.or.path.cash")
    return turn.tx.label(f"admin.or.path.{refund_method(order)}")


async def order_text(turn: Turn, order: Order) -> str:
    tx = turn.tx
    profile = await turn.uow.buyers.profile(order.user_id)
    name = profile.first_name if profile is not None and profile.first_name else "—"
    lines = [
        tx.t("admin.or.title", order=order.id, status=status_label(turn, order)),
        tx.t("admin.or.buyer", user=order.user_id, name=name),
        *(
            [tx.t("admin.or.username", username=profile.username)]
            if profile is not None and profile.username
            else []
        ),
        tx.t("admin.or.placed", when=order.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        "",
    ]
    lines += await order_lines(turn, order)
    held = hold_line(tx, order)
    if held:
        lines.append(held)
    address = address_line(order.ship_address)
    if address:
        lines.append(tx.t("admin.or.address", name=order.ship_name or "—", address=address))
        if order.ship_phone and order.status is not OrderStatus.PENDING:
            lines.append(tx.t("admin.or.phone", phone=order.ship_phone))
    if order.tracking:
        lines.append(tx.t("orders.tracking", tracking=order.tracking))
    pending = await merchant_orders.refunded_so_far(turn.uow, order) - order.refunded.amount
    if pending > 0:
        lines.append(
            tx.t("admin.or.refund_pending", total=tx.money(Money(pending, order.currency)))
        )
    tasks = await turn.uow.refunds.for_order(order.id)
    done = [t for t, status in tasks if status == "done" and t.method != "capture"]
    if done:
        amounts = ", ".join(tx.money(t.amount) for t in done)
        lines.append(tx.t("admin.or.refunds_done", amounts=Raw(amounts)))
    if order.method:
        lines.append(tx.t("admin.or.paid_by", method=path_label(turn, order)))
    return "\n".join(lines)


def order_keyboard(turn: Turn, role: Role, order: Order, back: int) -> Keyboard:
    tx = turn.tx
    rows: list[tuple[Button, ...]] = []
    if order.status is OrderStatus.AWAITING_CASH:
        rows.append(
            (Button(tx.label("admin.or.btn_cash_paid"), admin_cb("or_cash", order.id, back)),)
        )
    if merchant_orders.shippable(order):
        rows.append((Button(tx.label("admin.or.btn_ship"), admin_cb("or_ship", order.id)),))
    # Cash taken at the counter goes back at the counter, not through a payment gateway.
    refundable = (
        order.status in REFUNDABLE and order.refundable.amount > 0 and order.method != "cash"
    )
    if refundable and can(role, Permission.REFUNDS):
        if order.status is OrderStatus.RETURN_REQUESTED:
            rows.append(
                (
                    Button(tx.label("admin.or.btn_approve"), admin_cb("or_refa", order.id)),
                    Button(tx.label("admin.or.btn_decline"), admin_cb("or_decl", order.id)),
                )
            )
        else:
            rows.append((Button(tx.label("admin.or.btn_refund"), admin_cb("or_ref", order.id)),))
    rows.append(
        (
            Button(tx.label("admin.or.btn_list"), admin_cb("or_list", back)),
            Button(tx.label("admin.btn_menu"), admin_cb("menu")),
        )
    )
    return tuple(rows)


def back_to(turn: Turn, order_id: int) -> Keyboard:
    """A single "back to the order" button (after an action, or to cancel a step)."""
    return ((Button(turn.tx.label("admin.or.btn_back"), admin_cb("or_view", order_id)),),)
