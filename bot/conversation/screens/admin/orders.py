"""Console section: orders. A list by filter (new, paid, to ship, returns, all) in pages, one
order's screen, and marking it shipped (a tracking number typed or none, then a confirmation).
Refunds and returns are in ``order_refunds``."""

from __future__ import annotations

from bot.conversation.replies import Button
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.order_view import (
    FILTERS,
    back_to,
    filter_at,
    order_keyboard,
    order_text,
    status_label,
)
from bot.conversation.screens.admin.registry import (
    admin_cb,
    command,
    menu_item,
    state,
    step,
    verb,
)
from bot.conversation.turn import Turn
from bot.domain.staff import Permission, Role
from bot.services import merchant_orders
from bot.services.orders import Refused
from bot.services.ports import UiState

PAGE = 8
#: Tracking numbers longer than this are refused (carriers use well under 40).
MAX_TRACKING = 64
_TRACK = "admin.or.track"
_SHIP_CONFIRM = "admin.or.ship_confirm"

menu_item(30, "admin.or.menu", "or_list", Permission.ORDERS)


@verb("or_list", Permission.ORDERS)
async def show_list(turn: Turn, role: Role, which: int, page: int) -> None:
    tx = turn.tx
    chosen = filter_at(which)
    index = FILTERS.index(chosen)
    found, more = await merchant_orders.page(turn.uow, chosen, page, PAGE)
    turn.answer()
    filters = [
        Button(
            ("• " if f is chosen else "") + tx.label(f"admin.or.filter.{f.value}"),
            admin_cb("or_list", i),
        )
        for i, f in enumerate(FILTERS)
    ]
    rows: list[tuple[Button, ...]] = [tuple(filters[:3]), tuple(filters[3:])]
    for o in found:
        label = tx.label(
            "admin.or.row", order=o.id, total=tx.money(o.total), status=status_label(turn, o)
        )
        rows.append((Button(label, admin_cb("or_view", o.id, index)),))
    paging: list[Button] = []
    if page > 0:
        paging.append(Button(tx.label("admin.or.btn_prev"), admin_cb("or_list", index, page - 1)))
    if more:
        paging.append(Button(tx.label("admin.or.btn_next"), admin_cb("or_list", index, page + 1)))
    if paging:
        rows.append(tuple(paging))
    rows.append((Button(tx.label("admin.btn_menu"), admin_cb("menu")),))
    key = "admin.or.list" if found else "admin.or.list_empty"
    name = tx.label(f"admin.or.filter.{chosen.value}")
    turn.show(tx.t(key, filter=name, page=page + 1), tuple(rows))


async def show_order(
    turn: Turn, role: Role, order_id: int, back: int = 0, *, new: bool = False
) -> None:
    order = await turn.uow.orders.get(order_id)
    if order is None:
        turn.tell(turn.tx.t("admin.or.not_found", order=order_id), alert=True)
        return
    turn.answer()
    text, keyboard = await order_text(turn, order), order_keyboard(turn, role, order, back)
    if new:
        turn.say(text, keyboard)
    else:
        turn.show(text, keyboard)


@command("order", Permission.ORDERS)
async def order_command(turn: Turn, role: Role, args: str) -> None:
    """``/admin order 123`` (or ``#123``): that order's screen."""
    word = args.strip().lstrip("#")
    if not word.isdigit() or len(word) > 9:
        turn.say(turn.tx.t("admin.or.usage"))
        return
    await show_order(turn, role, int(word), new=True)


@verb("or_view", Permission.ORDERS)
async def view(turn: Turn, role: Role, order_id: int, back: int) -> None:
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await show_order(turn, role, order_id, back)


async def _shippable(turn: Turn, order_id: int) -> bool:
    """Whether the order exists and may be marked shipped; otherwise the presser is told."""
    order = await turn.uow.orders.get(order_id)
    if order is None or not merchant_orders.shippable(order):
        status = status_label(turn, order) if order else "—"
        turn.tell(turn.tx.t("admin.or.cannot_ship", order=order_id, status=status), alert=True)
        return False
    return True


@verb("or_ship", Permission.ORDERS)
async def ask_tracking(turn: Turn, role: Role, order_id: int, _: int) -> None:
    tx = turn.tx
    if not await _shippable(turn, order_id):
        return
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, state(_TRACK, order=order_id), turn.now
    )
    turn.answer()
    turn.show(
        tx.t("admin.or.ask_tracking", order=order_id, most=MAX_TRACKING),
        (
            (Button(tx.label("admin.or.btn_no_tracking"), admin_cb("or_notrack", order_id)),),
            back_to(turn, order_id)[0],
        ),
    )


def _confirm_ship(turn: Turn, order_id: int, tracking: str) -> None:
    tx = turn.tx
    text = (
        tx.t("admin.or.confirm_ship", order=order_id, tracking=tracking)
        if tracking
        else tx.t("admin.or.confirm_ship_untracked", order=order_id)
    )
    keyboard = (
        (
            Button(tx.label("admin.or.btn_ship_yes"), admin_cb("or_shipy", order_id)),
            Button(tx.label("admin.or.btn_back"), admin_cb("or_view", order_id)),
        ),
    )
    turn.show(text, keyboard)  # in place after a button, a new message after typing


@step(_TRACK, Permission.ORDERS)
async def tracking_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    order_id = int(current.data.get("order", 0))
    tracking = " ".join(text.split())
    if not tracking or len(tracking) > MAX_TRACKING:
        turn.say(turn.tx.t("admin.or.bad_tracking", most=MAX_TRACKING), back_to(turn, order_id))
        return  # the step stays: the next message is read as the tracking number
    await turn.uow.ui_states.set(
        turn.person.id,
        turn.chat_id,
        state(_SHIP_CONFIRM, order=order_id, tracking=tracking),
        turn.now,
    )
    _confirm_ship(turn, order_id, tracking)


@verb("or_notrack", Permission.ORDERS)
async def no_tracking(turn: Turn, role: Role, order_id: int, _: int) -> None:
    if not await _shippable(turn, order_id):  # a forged or stale order id: no step begins
        return
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, state(_SHIP_CONFIRM, order=order_id, tracking=""), turn.now
    )
    turn.answer()
    _confirm_ship(turn, order_id, "")


@verb("or_shipy", Permission.ORDERS)
async def ship(turn: Turn, role: Role, order_id: int, _: int) -> None:
    tx = turn.tx
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != _SHIP_CONFIRM or current.data.get("order") != order_id:
        order = await turn.uow.orders.get(order_id)
        if order is not None and order.shipped_at is not None:
            turn.answer(tx.t("admin.or.already_shipped", order=order_id), alert=True)
        else:
            turn.answer(tx.t("stale_button"), alert=True)
        return
    tracking = str(current.data.get("tracking") or "") or None
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    outcome = await merchant_orders.ship(turn.uow, turn.card, order_id, tracking, turn.now)
    if outcome.refused is not None:
        key = {
            Refused.NOT_FOUND: "admin.or.not_found",
            Refused.GROUP_OPEN: "admin.or.group_open",
            Refused.NO_CARD: "admin.or.no_card",
        }.get(outcome.refused, "admin.or.cannot_ship")
        status = status_label(turn, outcome.order) if outcome.order else "—"
        turn.answer(tx.t(key, order=order_id, status=status), alert=True)
        return
    await access.audit(turn, role, "order.ship", f"order:{order_id}", tracking=tracking or "")
    turn.outbox_dirty = True  # the buyer's "shipped" notice goes out now
    turn.answer(tx.t("admin.or.shipped_toast", order=order_id))
    await show_order(turn, role, order_id)
