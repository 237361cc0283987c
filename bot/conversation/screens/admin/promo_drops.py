"""Console section: drops. Recent drops with their progress, a draft previewed to the merchant
(``drops.preview``) and sent after a confirmation naming how many chats it reaches
(``drops.send``), a sending drop cancelled after a confirmation, as ``storefront drops`` does.
Composing one is ``drop_compose``."""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.registry import admin_cb, menu_item, verb
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.drops import DropError, DropStatus
from bot.domain.staff import Permission, Role
from bot.services import drops

LIST_SIZE = 8

menu_item(50, "admin.dr.menu", "dr_list", Permission.PROMOS)


def label_or(tx: Texts, key: str, fallback: str) -> str:
    try:
        return tx.label(key)
    except KeyError:  # a kind added after these texts were written still gets a button
        return fallback


@verb("dr_list", Permission.PROMOS)
async def show_list(turn: Turn, role: Role, _: int, __: int) -> None:
    tx = turn.tx
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    lines = [tx.t("admin.dr.title")]
    rows: list[tuple[Button, ...]] = [(Button(tx.label("admin.dr.btn_new"), admin_cb("dr_new")),)]
    found = await turn.uow.drops.recent(LIST_SIZE)
    for d in found:
        p = await turn.uow.drops.progress(d.id)
        lines.append(
            tx.t(
                "admin.dr.row",
                drop=d.id,
                status=label_or(tx, f"admin.dr.status.{d.status.value}", d.status.value),
                audience=str(d.audience),
                bar=p.bar(),
                sent=p.sent,
                total=p.total,
                failed=p.failed,
                text=d.content.text[:40],
            )
        )
        if p.held or p.skipped:  # the buyers' alert choices (``bot.services.alerts``)
            lines[-1] += tx.t("alerts.row", held=p.held, skipped=p.skipped)
        if d.status is DropStatus.DRAFT:
            rows.append(
                (Button(tx.label("admin.dr.btn_open", drop=d.id), admin_cb("dr_open", d.id)),)
            )
        elif d.status is DropStatus.SENDING:
            rows.append(
                (Button(tx.label("admin.dr.btn_stop", drop=d.id), admin_cb("dr_stop", d.id)),)
            )
    if not found:
        lines.append(tx.t("admin.dr.none"))
    rows.append((Button(tx.label("admin.btn_menu"), admin_cb("menu")),))
    turn.show("\n".join(lines), tuple(rows))


def _draft_keyboard(turn: Turn, drop_id: int) -> Keyboard:
    tx = turn.tx
    return (
        (
            Button(tx.label("admin.dr.btn_preview"), admin_cb("dr_prev", drop_id)),
            Button(tx.label("admin.dr.btn_send"), admin_cb("dr_send", drop_id)),
        ),
        (Button(tx.label("admin.dr.btn_list"), admin_cb("dr_list")),),
    )


@verb("dr_open", Permission.PROMOS)
async def show_draft(turn: Turn, role: Role, drop_id: int, _: int) -> None:
    tx = turn.tx
    drop = await turn.uow.drops.get(drop_id)
    if drop is None or drop.status is not DropStatus.DRAFT:
        turn.tell(tx.t("admin.dr.not_draft", drop=drop_id), alert=True)
        return
    turn.answer()
    buttons = ", ".join(f"{b.kind.value} #{b.target}" for b in drop.content.buttons) or "—"
    turn.show(
        tx.t(
            "admin.dr.draft",
            drop=drop_id,
            media=drop.content.media.value,
            audience=str(drop.audience),
            buttons=buttons,
            text=drop.content.text[:300],
        ),
        _draft_keyboard(turn, drop_id),
    )


@verb("dr_prev", Permission.PROMOS)
async def preview(turn: Turn, role: Role, drop_id: int, _: int) -> None:
    tx = turn.tx
    try:
        copy = await drops.preview(turn.uow, drop_id, (turn.person.id,), turn.now)
    except DropError as exc:
        turn.answer(tx.t("admin.dr.refused", reason=str(exc)), alert=True)
        return
    await access.audit(turn, role, "drop.preview", f"drop:{drop_id}", copy=copy)
    turn.answer(tx.t("admin.dr.preview_toast", drop=drop_id))


@verb("dr_send", Permission.PROMOS)
async def ask_send(turn: Turn, role: Role, drop_id: int, _: int) -> None:
    tx = turn.tx
    drop = await turn.uow.drops.get(drop_id)
    if drop is None or drop.status is not DropStatus.DRAFT:
        turn.answer(tx.t("admin.dr.not_draft", drop=drop_id), alert=True)
        return
    count = await drops.recipients(turn.uow, drop_id, turn.now)
    turn.answer()
    if count == 0:
        turn.show(
            tx.t("admin.dr.nobody", audience=str(drop.audience)), _draft_keyboard(turn, drop_id)
        )
        return
    text = tx.plural("admin.dr.confirm_send", count, drop=drop_id, audience=str(drop.audience))
    if drops.is_marketing(drop):  # the buyers' alert choices, sorted (``bot.services.alerts``)
        reach = await drops.reach(turn.uow, drop_id, turn.now, turn.config.alerts)
        text += "\n" + tx.plural(
            "alerts.reach", reach.total, now=reach.now, held=reach.held, out=reach.out
        )
    turn.show(
        text,
        (
            (
                Button(
                    tx.label("admin.dr.btn_send_yes", count=count), admin_cb("dr_sendy", drop_id)
                ),
                Button(tx.label("admin.dr.btn_back"), admin_cb("dr_open", drop_id)),
            ),
        ),
    )


@verb("dr_sendy", Permission.PROMOS)
async def send(turn: Turn, role: Role, drop_id: int, _: int) -> None:
    tx = turn.tx
    drop = await turn.uow.drops.get(drop_id)
    if drop is None or drop.status is not DropStatus.DRAFT:  # pressed twice: already going
        turn.answer(tx.t("admin.dr.not_draft", drop=drop_id), alert=True)
        return
    try:
        started = await drops.send(
            turn.uow, drop_id, turn.config.drops_per_day, turn.now, turn.config.alerts
        )
    except DropError as exc:
        turn.answer(tx.t("admin.dr.refused", reason=str(exc)), alert=True)
        return
    await access.audit(turn, role, "drop.send", f"drop:{drop_id}", recipients=started.recipients)
    turn.answer(tx.t("admin.dr.sent_toast", drop=drop_id))
    turn.show(
        tx.plural("admin.dr.sending", started.recipients, drop=drop_id),
        ((Button(tx.label("admin.dr.btn_list"), admin_cb("dr_list")),),),
    )


@verb("dr_stop", Permission.PROMOS)
async def ask_stop(turn: Turn, role: Role, drop_id: int, _: int) -> None:
    tx = turn.tx
    drop = await turn.uow.drops.get(drop_id)
    if drop is None or drop.status is not DropStatus.SENDING:
        turn.answer(tx.t("admin.dr.not_sending", drop=drop_id), alert=True)
        return
    turn.answer()
    turn.show(
        tx.t("admin.dr.confirm_stop", drop=drop_id),
        (
            (
                Button(tx.label("admin.dr.btn_stop_yes"), admin_cb("dr_stopy", drop_id)),
                Button(tx.label("admin.dr.btn_back"), admin_cb("dr_list")),
            ),
        ),
    )


@verb("dr_stopy", Permission.PROMOS)
async def stop(turn: Turn, role: Role, drop_id: int, _: int) -> None:
    tx = turn.tx
    if not await turn.uow.drops.finish(drop_id, DropStatus.CANCELLED, turn.now):
        turn.answer(tx.t("admin.dr.not_sending", drop=drop_id), alert=True)
        return
    await access.audit(turn, role, "drop.cancel", f"drop:{drop_id}")
    turn.answer(tx.t("admin.dr.stopped", drop=drop_id))
    await show_list(turn, role, 0, 0)
