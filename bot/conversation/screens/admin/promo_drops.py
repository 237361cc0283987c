"""Console section: drops. Recent drops with their progress, cancelling one that is sending
(confirmed), and composing one: an optional button (buy a product, a flash sale, a coupon), the
audience (every kind ``Audience.parse`` accepts), then the text, or a photo or video with its
caption. The draft is then previewed to the merchant (``drops.preview``) and sent after a
confirmation naming how many chats it reaches (``drops.send``), as ``storefront drops`` does.

The text comes last so the draft's state stays small: what the merchant typed goes straight
into the drop (up to Telegram's 4,096 characters), never into a step's state."""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.picking import pickable, variant_name
from bot.conversation.screens.admin.registry import (
    admin_cb,
    media_step,
    menu_item,
    state,
    step,
    verb,
)
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind as CatalogMedia
from bot.domain.drops import Audience, AudienceKind, ButtonKind, DropError, DropStatus, MediaKind
from bot.domain.flash_sales import SaleState
from bot.domain.staff import Permission, Role
from bot.services import drops
from bot.services.ports import UiState

LIST_SIZE = 8
_TARGET, _AUDIENCE, _CONTENT = "admin.dr.target", "admin.dr.audience", "admin.dr.content"
#: The button kinds offered, by index on the buttons (0: no button).
_BUTTONS: tuple[ButtonKind | None, ...] = (
    None,
    ButtonKind.BUY,
    ButtonKind.SALE,
    ButtonKind.COUPON,
)
#: The audience kinds offered, by index on the buttons: whatever ``Audience.parse`` accepts.
_KINDS: tuple[AudienceKind, ...] = tuple(AudienceKind)
_MEDIA = {CatalogMedia.PHOTO: MediaKind.PHOTO, CatalogMedia.VIDEO: MediaKind.VIDEO}

menu_item(50, "admin.dr.menu", "dr_list", Permission.PROMOS)


def _label(tx: Texts, key: str, fallback: str) -> str:
    try:
        return tx.label(key)
    except KeyError:  # a kind added after these texts were written still gets a button
        return fallback


def _cancel_row(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn.tx.label("admin.dr.btn_cancel"), admin_cb("dr_list")),)


async def _set(turn: Turn, name: str, **data: int | str) -> None:
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(name, **data), turn.now)


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
                status=_label(tx, f"admin.dr.status.{d.status.value}", d.status.value),
                audience=str(d.audience),
                bar=p.bar(),
                sent=p.sent,
                total=p.total,
                failed=p.failed,
                text=d.content.text[:40],
            )
        )
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


# --- composing: the button, the audience, then the content ----------------------------------


@verb("dr_new", Permission.PROMOS)
async def start_new(turn: Turn, role: Role, _: int, __: int) -> None:
    tx = turn.tx
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    buttons = [
        Button(
            tx.label(f"admin.dr.button.{kind.value if kind else 'none'}"), admin_cb("dr_btn", i)
        )
        for i, kind in enumerate(_BUTTONS)
    ]
    turn.show(
        tx.t("admin.dr.ask_button"), (tuple(buttons[:2]), tuple(buttons[2:]), _cancel_row(turn))
    )


@verb("dr_btn", Permission.PROMOS)
async def button_kind(turn: Turn, role: Role, index: int, _: int) -> None:
    tx = turn.tx
    if not 0 <= index < len(_BUTTONS):
        turn.answer(tx.t("stale_button"), alert=True)
        return
    kind = _BUTTONS[index]
    if kind is None:
        await _ask_audience(turn, "")
        return
    await _set(turn, _TARGET, k=kind.value)
    turn.answer()
    rows: list[tuple[Button, ...]] = []
    if kind is ButtonKind.BUY:
        for v, p in await pickable(turn):
            label = tx.label("admin.dr.buy_row", name=variant_name(v, p)[:40], sku=v.sku)
            rows.append((Button(label, admin_cb("dr_buy", v.id)),))
    if kind is ButtonKind.SALE:
        for s in await turn.uow.sales.recent(LIST_SIZE):
            if s.state(turn.now) is not SaleState.ENDED:
                label = tx.label("admin.dr.sale_row", sale=s.id, name=s.name[:40])
                rows.append((Button(label, admin_cb("dr_sale", s.id)),))
    turn.show(tx.t(f"admin.dr.ask_target.{kind.value}"), (*rows, _cancel_row(turn)))


async def _target_chosen(turn: Turn, spec: str) -> None:
    tx = turn.tx
    try:
        await drops.button(turn.uow, spec)  # checked now; looked up again when composed
    except DropError as exc:
        turn.say(tx.t("admin.dr.bad_target", reason=str(exc)), (_cancel_row(turn),))
        return
    await _ask_audience(turn, spec)


@step(_TARGET, Permission.PROMOS)
async def target_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    kind = str(current.data.get("k", ""))
    value = text.strip().upper() if kind == ButtonKind.BUY else text.strip()
    if not value or len(value) > 64 or ":" in value:
        turn.say(turn.tx.t("admin.dr.bad_target", reason=text[:40]), (_cancel_row(turn),))
        return
    await _target_chosen(turn, f"{kind}:{value}")


@verb("dr_sale", Permission.PROMOS)
async def sale_picked(turn: Turn, role: Role, sale_id: int, _: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != _TARGET or current.data.get("k") != ButtonKind.SALE:
        turn.answer(turn.tx.t("admin.step_gone"), alert=True)
        return
    turn.answer()
    await _target_chosen(turn, f"{ButtonKind.SALE}:{sale_id}")


@verb("dr_buy", Permission.PROMOS)
async def variant_picked(turn: Turn, role: Role, variant_id: int, _: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    found = await turn.uow.catalog.variant(variant_id)
    if current is None or current.state != _TARGET or current.data.get("k") != ButtonKind.BUY:
        turn.answer(turn.tx.t("admin.step_gone"), alert=True)
        return
    if found is None:
        turn.answer(turn.tx.t("stale_button"), alert=True)
        return
    turn.answer()
    await _target_chosen(turn, f"{ButtonKind.BUY}:{found[0].sku}")


async def _ask_audience(turn: Turn, spec: str) -> None:
    tx = turn.tx
    await _set(turn, _AUDIENCE, b=spec)
    turn.answer()
    buttons = [
        Button(_label(tx, f"admin.dr.aud.{kind.value}", kind.value), admin_cb("dr_aud", i))
        for i, kind in enumerate(_KINDS)
    ]
    rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
    turn.show(tx.t("admin.dr.ask_audience"), (*rows, _cancel_row(turn)))


@verb("dr_aud", Permission.PROMOS)
async def audience_kind(turn: Turn, role: Role, index: int, _: int) -> None:
    tx = turn.tx
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != _AUDIENCE or not 0 <= index < len(_KINDS):
        turn.answer(tx.t("admin.step_gone"), alert=True)
        return
    kind = _KINDS[index]
    spec = str(current.data.get("b", ""))
    try:
        audience = Audience.parse(kind.value)  # a kind that needs no values (all)
    except DropError:
        await _set(turn, _AUDIENCE, b=spec, k=kind.value)
        turn.answer()
        name = _label(tx, f"admin.dr.aud.{kind.value}", kind.value)
        turn.show(tx.t("admin.dr.ask_values", kind=name), (_cancel_row(turn),))
        return
    await _ask_content(turn, spec, audience)


@step(_AUDIENCE, Permission.PROMOS)
async def audience_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    """The values of the kind picked (``zh``, ``spicy``...), or a whole audience (``tag:x``)."""
    kind = str(current.data.get("k", ""))
    typed = text.strip()
    try:
        audience = Audience.parse(typed if ":" in typed or not kind else f"{kind}:{typed}")
    except DropError as exc:
        turn.say(turn.tx.t("admin.dr.bad_audience", reason=str(exc)), (_cancel_row(turn),))
        return
    await _ask_content(turn, str(current.data.get("b", "")), audience)


async def _ask_content(turn: Turn, spec: str, audience: Audience) -> None:
    await _set(turn, _CONTENT, b=spec, a=str(audience))
    turn.answer()
    turn.show(turn.tx.t("admin.dr.ask_content", audience=str(audience)), (_cancel_row(turn),))


async def _compose(
    turn: Turn, role: Role, current: UiState, text: str, media: MediaKind, source: str | None
) -> None:
    tx = turn.tx
    spec = str(current.data.get("b", ""))
    try:
        drop_id = await drops.compose(
            turn.uow,
            text,
            media,
            source,
            [spec] if spec else [],
            str(current.data.get("a", "all")),
            False,
            turn.now,
        )
    except DropError as exc:
        turn.say(tx.t("admin.dr.bad_content", reason=str(exc)), (_cancel_row(turn),))
        return  # the step stays: the next message is read as the drop's content
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await access.audit(
        turn, role, "drop.compose", f"drop:{drop_id}", audience=str(current.data.get("a", ""))
    )
    await show_draft(turn, role, drop_id, 0)


@step(_CONTENT, Permission.PROMOS)
async def content_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    await _compose(turn, role, current, text, MediaKind.NONE, None)


@media_step(_CONTENT, Permission.PROMOS)
async def content_sent(
    turn: Turn,
    role: Role,
    current: UiState | None,
    kind: CatalogMedia,
    file_id: str,
    caption: str,
) -> None:
    if current is None or kind not in _MEDIA:
        turn.say(turn.tx.t("admin.step_gone"))
        return
    await _compose(turn, role, current, caption, _MEDIA[kind], file_id)


# --- a draft: preview, send (confirmed); a sending drop: cancel (confirmed) ----------------


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
    turn.show(
        tx.t("admin.dr.confirm_send", drop=drop_id, count=count, audience=str(drop.audience)),
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
        started = await drops.send(turn.uow, drop_id, turn.config.drops_per_day, turn.now)
    except DropError as exc:
        turn.answer(tx.t("admin.dr.refused", reason=str(exc)), alert=True)
        return
    await access.audit(turn, role, "drop.send", f"drop:{drop_id}", recipients=started.recipients)
    turn.answer(tx.t("admin.dr.sent_toast", drop=drop_id))
    turn.show(
        tx.t("admin.dr.sending", drop=drop_id, count=started.recipients),
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
