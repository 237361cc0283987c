"""Console section: flash sales. Recent sales with their state and units, and stopping a
running or upcoming one (confirmed); scheduling one is ``sale_wizard``, drops ``promo_drops``."""

from __future__ import annotations

from bot.conversation.replies import Button
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.registry import admin_cb, menu_item, verb
from bot.conversation.turn import Turn
from bot.domain.flash_sales import SaleState
from bot.domain.staff import Permission, Role

LIST_SIZE = 10
_TIME = "%Y-%m-%d %H:%M"

menu_item(40, "admin.fs.menu", "fs_list", Permission.PROMOS)


@verb("fs_list", Permission.PROMOS)
async def show_list(turn: Turn, role: Role, _: int, __: int) -> None:
    tx = turn.tx
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    sales = await turn.uow.sales.recent(LIST_SIZE)
    turn.answer()
    lines = [tx.t("admin.fs.title")]
    rows: list[tuple[Button, ...]] = [(Button(tx.label("admin.fs.btn_new"), admin_cb("fs_new")),)]
    for s in sales:
        phase = s.state(turn.now)
        lines.append(
            tx.t(
                "admin.fs.row",
                sale=s.id,
                name=s.name,
                price=tx.money(s.price),
                state=tx.label(f"admin.fs.state.{phase.value}"),
                claimed=s.claimed,
                units=s.stock,
                starts=s.starts_at.strftime(_TIME),
                ends=s.ends_at.strftime(_TIME),
            )
        )
        if phase is not SaleState.ENDED:
            rows.append(
                (Button(tx.label("admin.fs.btn_stop", sale=s.id), admin_cb("fs_stop", s.id)),)
            )
    if not sales:
        lines.append(tx.t("admin.fs.none"))
    rows.append((Button(tx.label("admin.btn_menu"), admin_cb("menu")),))
    turn.show("\n".join(lines), tuple(rows))


@verb("fs_stop", Permission.PROMOS)
async def ask_stop(turn: Turn, role: Role, sale_id: int, _: int) -> None:
    tx = turn.tx
    sale = await turn.uow.sales.sale(sale_id)
    if sale is None or sale.state(turn.now) is SaleState.ENDED:
        turn.tell(tx.t("admin.fs.not_running", sale=sale_id), alert=True)
        return
    turn.answer()
    turn.show(
        tx.plural("admin.fs.confirm_stop", sale.claimed, sale=sale_id, name=sale.name),
        (
            (
                Button(tx.label("admin.fs.btn_stop_yes"), admin_cb("fs_stopy", sale_id)),
                Button(tx.label("admin.fs.btn_back"), admin_cb("fs_list")),
            ),
        ),
    )


@verb("fs_stopy", Permission.PROMOS)
async def stop(turn: Turn, role: Role, sale_id: int, _: int) -> None:
    tx = turn.tx
    sale = await turn.uow.sales.sale(sale_id)
    if sale is None or sale.state(turn.now) is SaleState.ENDED:
        turn.answer(tx.t("admin.fs.not_running", sale=sale_id), alert=True)
        return
    if not await turn.uow.sales.stop(sale_id):
        turn.answer(tx.t("admin.fs.not_running", sale=sale_id), alert=True)
        return
    await access.audit(turn, role, "sale.stop", f"sale:{sale_id}")
    turn.answer(tx.t("admin.fs.stopped", sale=sale_id))
    await show_list(turn, role, 0, 0)
