"""Console: composing a drop. An optional button (buy a product, a flash sale, a coupon), the
audience (every kind ``Audience.parse`` accepts), then the text, or a photo or video with its
caption; the draft then opens in ``promo_drops`` (preview, send).

The text comes last so the step's state stays small: what the merchant typed goes straight into
the drop (up to Telegram's 4,096 characters), never into a step's state."""

from __future__ import annotations

from bot.conversation.replies import Button
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.picking import pickable, variant_name
from bot.conversation.screens.admin.promo_drops import LIST_SIZE, label_or, show_draft
from bot.conversation.screens.admin.registry import admin_cb, media_step, state, step, verb
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind as CatalogMedia
from bot.domain.drops import Audience, AudienceKind, ButtonKind, DropError, MediaKind
from bot.domain.flash_sales import SaleState
from bot.domain.staff import Permission, Role
from bot.services import drops
from bot.services.ports import UiState

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


def _cancel_row(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn.tx.label("admin.dr.btn_cancel"), admin_cb("dr_list")),)


async def _set(turn: Turn, name: str, **data: int | str) -> None:
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(name, **data), turn.now)


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
        Button(label_or(tx, f"admin.dr.aud.{kind.value}", kind.value), admin_cb("dr_aud", i))
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
        name = label_or(tx, f"admin.dr.aud.{kind.value}", kind.value)
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
