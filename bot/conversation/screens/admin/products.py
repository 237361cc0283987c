"""Console section: a new product from a video or photo sent to the bot.

A video (or photo) an owner or staff member sends in private with no step running starts the
wizard: its ``file_id`` is kept as a media row (Telegram resends it by id, nothing is uploaded
again), then name, price, stock, category and description are asked in turn, each checked
and asked again when wrong; a preview of the buyer's card comes with Publish and Cancel.

The draft lives in the UI step (small: ids, numbers, short texts); /cancel or Cancel ends it
and no product exists until Publish.
"""

from __future__ import annotations

import json

from bot.conversation.replies import Button, EditKeyboard, Keyboard, MediaRef, SendMedia
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.catalog_text import (
    bad_input_text,
    cancel_row,
    configured_currency,
)
from bot.conversation.screens.admin.registry import (
    admin_cb,
    at_step,
    media_step,
    new_media,
    state,
    step,
    verb,
)
from bot.conversation.screens.cards import caption
from bot.conversation.turn import Turn
from bot.domain.catalog import Media, MediaKind, Product, Variant
from bot.domain.money import Money
from bot.domain.staff import Permission, Role
from bot.services import merchant_catalog as mc
from bot.services.browsing import CardPage, ListKind
from bot.services.ports import UiState

PREFIX = "admin.newp."
ASK_NAME = PREFIX + "name"
ASK_PRICE = PREFIX + "price"
ASK_STOCK = PREFIX + "stock"
ASK_CATEGORY = PREFIX + "cat"
ASK_DESCRIPTION = PREFIX + "desc"
CONFIRM = PREFIX + "confirm"
#: UiState data is stored as JSON in 2,000 characters; keep the draft well inside.
STATE_BUDGET = 1900
_CATEGORY_BUTTONS = 24

P = Permission.CATALOG


async def _go(turn: Turn, name: str, data: dict[str, int | str]) -> None:
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(name, **data), turn.now)


def _cancel(turn: Turn) -> Keyboard:
    return (cancel_row(turn, "np_cancel"),)


@new_media(P)
async def media_arrived(
    turn: Turn, role: Role, _: UiState | None, kind: MediaKind, file_id: str, __: str
) -> None:
    media_id = await turn.uow.catalog_writer.add_media(kind, file_id)
    currency = await mc.shop_currency(turn.uow, configured_currency(turn))
    await _go(turn, ASK_NAME, {"m": media_id, "k": kind.value, "c": currency})
    what = turn.tx.t(f"ac.pn.kind.{kind.value}")
    text = turn.tx.t("ac.pn.start", what=what) + "\n\n" + turn.tx.t("ac.pn.ask_name")
    turn.say(text, _cancel(turn))


@step(ASK_NAME, P)
async def name_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    try:
        name = mc.clean_name(text)
    except mc.BadInput as exc:
        turn.say(bad_input_text(turn, exc) + "\n" + turn.tx.t("ac.pn.ask_name"), _cancel(turn))
        return
    await _go(turn, ASK_PRICE, {**st.data, "n": name})
    turn.say(turn.tx.t("ac.pn.ask_price", currency=str(st.data["c"])), _cancel(turn))


@step(ASK_PRICE, P)
async def price_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    currency = str(st.data["c"])
    try:
        price = mc.parse_price(text, currency)
    except mc.BadInput as exc:
        again = turn.tx.t("ac.pn.ask_price", currency=currency)
        turn.say(bad_input_text(turn, exc, currency=currency) + "\n" + again, _cancel(turn))
        return
    await _go(turn, ASK_STOCK, {**st.data, "p": price.amount})
    turn.say(turn.tx.t("ac.pn.ask_stock", price=turn.tx.money(price)), _cancel(turn))


@step(ASK_STOCK, P)
async def stock_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    try:
        stock = mc.parse_stock(text)
    except mc.BadInput as exc:
        again = turn.tx.t("ac.pn.ask_stock_again")
        turn.say(bad_input_text(turn, exc) + "\n" + again, _cancel(turn))
        return
    await _go(turn, ASK_CATEGORY, {**st.data, "s": stock})
    await _ask_category(turn)


async def _ask_category(turn: Turn) -> None:
    summaries = (await turn.uow.catalog.categories())[:_CATEGORY_BUTTONS]
    buttons = [Button(s.category.name, admin_cb("np_cat", s.category.id)) for s in summaries]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((Button(turn.tx.label("ac.pn.btn_no_category"), admin_cb("np_cat", 0)),))
    rows.append(cancel_row(turn, "np_cancel"))
    turn.say(turn.tx.t("ac.pn.ask_category"), tuple(rows))


@step(ASK_CATEGORY, P)
async def category_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    """A typed name: an existing category of that name, else a new one made at Publish."""
    try:
        name = mc.clean_name(text, mc.MAX_CATEGORY)
    except mc.BadInput as exc:
        turn.say(bad_input_text(turn, exc))
        await _ask_category(turn)
        return
    existing = await turn.uow.catalog_writer.category_named(name)
    data = {k: v for k, v in st.data.items() if k not in ("cat", "nc")}
    if existing is not None:
        data["cat"] = existing
    else:
        data["nc"] = name
    await _to_description(turn, data)


@verb("np_cat", P)
async def category_pressed(turn: Turn, role: Role, category_id: int, _: int) -> None:
    st = await at_step(turn, ASK_CATEGORY)
    if st is None:
        return
    data = {k: v for k, v in st.data.items() if k not in ("cat", "nc")}
    if category_id:
        if await turn.uow.catalog.category(category_id) is None:
            turn.answer(turn.tx.t("stale_button"))
            return
        data["cat"] = category_id
    turn.answer()
    await _to_description(turn, data)


async def _to_description(turn: Turn, data: dict[str, int | str]) -> None:
    await _go(turn, ASK_DESCRIPTION, data)
    keyboard = (
        (Button(turn.tx.label("ac.pn.btn_skip"), admin_cb("np_skip")),),
        cancel_row(turn, "np_cancel"),
    )
    turn.say(turn.tx.t("ac.pn.ask_description", limit=mc.MAX_DESCRIPTION), keyboard)


@step(ASK_DESCRIPTION, P)
async def description_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    try:
        description = mc.clean_text(text, mc.MAX_DESCRIPTION)
        data = {**st.data, "d": description}
        over = len(json.dumps(data)) - STATE_BUDGET
        if over > 0:  # non-Latin text takes more room in the stored step
            per_char = len(json.dumps(description)) / len(description)
            raise mc.BadInput(
                mc.InputProblem.TOO_LONG, max(int(len(description) - over / per_char) - 1, 1)
            )
    except mc.BadInput as exc:
        turn.say(bad_input_text(turn, exc))
        await _to_description(turn, dict(st.data))
        return
    await _preview(turn, data)


@verb("np_skip", P)
async def description_skipped(turn: Turn, role: Role, _: int, __: int) -> None:
    st = await at_step(turn, ASK_DESCRIPTION)
    if st is None:
        return
    turn.answer()
    await _preview(turn, {**st.data, "d": ""})


def _draft_product(data: dict[str, int | str], media_file: str) -> Product:
    price = Money(int(data["p"]), str(data["c"]))
    variant = Variant(0, 0, "", "", price, int(data["s"]))
    kind = MediaKind(str(data["k"]))
    media = Media(int(data["m"]), kind, media_file, media_file)
    return Product(
        id=0,
        category_id=None,
        name=str(data["n"]),
        description=str(data.get("d", "")),
        variants=(variant,),
        teaser=media if kind is MediaKind.VIDEO else None,
        photo=media if kind is MediaKind.PHOTO else None,
    )


async def _preview(turn: Turn, data: dict[str, int | str]) -> None:
    media = await turn.uow.catalog_writer.media_file(int(data["m"]))
    if media is None:  # cannot happen short of a hand-edited database
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.say(turn.tx.t("admin.step_gone"))
        return
    await _go(turn, CONFIRM, data)
    kind, file_id = media
    product = _draft_product(data, file_id)
    category = await _category_label(turn, data)
    page = CardPage(product, 0, 1, ListKind.SINGLE, 0, product.name)
    text = "\n".join(
        [
            turn.tx.t("ac.pn.preview", category=category, stock=int(data["s"])),
            "",
            caption(turn.tx, page),
        ]
    )
    keyboard = (
        (
            Button(turn.tx.label("ac.pn.btn_publish"), admin_cb("np_pub", int(data["m"]))),
            Button(turn.tx.label("ac.pn.btn_cancel"), admin_cb("np_cancel")),
        ),
    )
    ref = MediaRef(kind, int(data["m"]), file_id, file_id)
    turn.replies.append(SendMedia(turn.chat_id, ref, text, keyboard))


async def _category_label(turn: Turn, data: dict[str, int | str]) -> str:
    if "nc" in data:
        return turn.tx.label("ac.pn.new_category", name=str(data["nc"]))
    if "cat" in data:
        category = await turn.uow.catalog.category(int(data["cat"]))
        if category is not None:
            return category.name
    return turn.tx.label("ac.pn.no_category")


async def _media_mid_draft(
    turn: Turn, role: Role, st: UiState | None, kind: MediaKind, file_id: str, _: str
) -> None:
    """Another video or photo while a product is being added: one product at a time."""
    turn.say(turn.tx.t("ac.pn.busy"), _cancel(turn))


for _step in (ASK_NAME, ASK_PRICE, ASK_STOCK, ASK_CATEGORY, ASK_DESCRIPTION, CONFIRM):
    media_step(_step, P)(_media_mid_draft)


@step(CONFIRM, P)
async def typed_at_preview(turn: Turn, role: Role, st: UiState, text: str) -> None:
    turn.say(turn.tx.t("ac.pn.press_publish"))


@verb("np_pub", P)
async def publish_pressed(turn: Turn, role: Role, media_id: int, _: int) -> None:
    st = await at_step(turn, CONFIRM)
    if st is None:
        return
    if int(st.data["m"]) != media_id:  # the preview of an older draft
        turn.answer(turn.tx.t("stale_button"))
        return
    data = st.data
    category = int(data["cat"]) if "cat" in data else None
    new = mc.NewProduct(
        name=str(data["n"]),
        price=Money(int(data["p"]), str(data["c"])),
        stock=int(data["s"]),
        media_id=media_id,
        media_kind=MediaKind(str(data["k"])),
        description=str(data.get("d", "")),
        category_id=category,
        new_category=str(data["nc"]) if "nc" in data else None,
    )
    done = await mc.publish(turn.uow, new)
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await access.audit(
        turn,
        role,
        "product.create",
        f"product:{done.product_id}",
        name=new.name,
        sku=done.sku,
        price=new.price.major_str(),
        currency=new.price.currency,
        stock=new.stock,
        category=done.category_id,
        media=media_id,
    )
    turn.answer(turn.tx.t("ac.pn.published_toast"))
    _drop_buttons(turn)
    keyboard = (
        (
            Button(turn.tx.label("ac.pr.btn_open"), admin_cb("pd_open", done.product_id)),
            Button(turn.tx.label("admin.btn_menu"), admin_cb("menu")),
        ),
    )
    turn.say(turn.tx.t("ac.pn.published", name=new.name, sku=done.sku), keyboard)


@verb("np_cancel", P)
async def cancel_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or not current.state.startswith(PREFIX):
        turn.answer(turn.tx.t("ac.pn.nothing_to_cancel"))
        _drop_buttons(turn)
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    _drop_buttons(turn)
    turn.say(turn.tx.t("ac.pn.cancelled"))


def _drop_buttons(turn: Turn) -> None:
    """The pressed preview (or question) keeps its text but loses its buttons."""
    message_id = getattr(turn.event, "message_id", None)
    if message_id is not None:
        turn.replies.append(EditKeyboard(turn.chat_id, message_id, None))
