"""Console section: buyers' questions ("💬 Ask the shop"). The open threads, unanswered ones
first (longest waiting first), each with its history and the Reply and Close buttons the
support group has (``screens.support_staff``)."""

from __future__ import annotations

from bot.conversation.replies import Button
from bot.conversation.screens.admin.registry import admin_cb, menu_item, verb
from bot.conversation.screens.support_text import about_label, history, staff_keyboard
from bot.conversation.screens.support_text import thread_about as about_html
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.staff import Permission, Role
from bot.domain.support import HISTORY, ThreadStatus, display_name

P = Permission.SUPPORT
#: Open threads the list shows (the longest waiting first).
LIST = 20

menu_item(70, "admin.su.menu", "su_list", P)


async def _buyer(turn: Turn, buyer_id: int) -> str:
    profile = await turn.uow.buyers.profile(buyer_id)
    if profile is None:
        return f"#{buyer_id}"
    return display_name(profile.first_name, profile.username)


@verb("su_list", P)
async def show_list(turn: Turn, role: Role, _a: int, _b: int) -> None:
    tx = turn.tx
    threads = await turn.uow.support.open_threads(LIST)
    turn.answer()
    rows: list[tuple[Button, ...]] = []
    for thread in threads:
        mark = "⏳" if thread.waiting_since is not None else "✅"
        label = tx.label(
            "admin.su.row",
            mark=mark,
            thread=thread.id,
            buyer=await _buyer(turn, thread.buyer_id),
            about=about_label(tx, thread.topic, thread.subject),
        )
        rows.append((Button(label[:64], admin_cb("su_view", thread.id)),))
    rows.append((Button(tx.label("admin.btn_menu"), admin_cb("menu")),))
    turn.show(tx.t("admin.su.list" if threads else "admin.su.empty"), tuple(rows))


@verb("su_view", P)
async def show_thread(turn: Turn, role: Role, thread_id: int, _b: int) -> None:
    tx = turn.tx
    thread = await turn.uow.support.thread(thread_id)
    if thread is None:
        turn.tell(tx.t("support.staff.gone"), alert=True)
        return
    turn.answer()
    messages = await turn.uow.support.messages(thread.id, HISTORY)
    if thread.status is ThreadStatus.CLOSED:
        status = "closed"
    else:
        status = "waiting" if thread.waiting_since is not None else "answered"
    text = tx.t(
        "admin.su.thread",
        thread=thread.id,
        buyer=await _buyer(turn, thread.buyer_id),
        about=about_html(tx, thread),
        status=tx.t(f"admin.su.status.{status}"),
        history=Raw(history(tx, messages, staff_view=True) or "—"),
    )
    rows = [
        *staff_keyboard(tx, thread.id),
        (Button(tx.label("admin.su.btn_back"), admin_cb("su_list")),),
    ]
    turn.show(text, tuple(rows))
