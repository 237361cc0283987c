"""Console section: the product list (archived ones marked) and one product's screen: change
a variant's price or stock, replace the card's video or photo, archive or bring back (after a
confirmation). Archiving hides the product from buyers; orders already placed are untouched.

Every change is written to the audit log with what it was before.
"""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.catalog_text import bad_input_text, cancel_row
from bot.conversation.screens.admin.registry import (
    admin_cb,
    media_step,
    menu_item,
    state,
    step,
    verb,
)
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind, Product, Variant
from bot.domain.staff import Permission, Role
from bot.services import merchant_catalog as mc
from bot.services.ports import UiState

P = Permission.CATALOG
PAGE = 8
ASK_PRICE = "admin.prod.price"
ASK_STOCK = "admin.prod.stock"
ASK_MEDIA = "admin.prod.media"

menu_item(10, "ac.pr.menu", "pd_list", P)


def _back(turn: Turn, product_id: int) -> tuple[Button, ...]:
    return (
        Button(turn.tx.label("ac.pr.btn_back_product"), admin_cb("pd_open", product_id)),
        Button(turn.tx.label("admin.btn_menu"), admin_cb("menu")),
    )


@verb("pd_list", P)
async def list_products(turn: Turn, role: Role, page: int, _: int) -> None:
    listing, total = await turn.uow.catalog_writer.products_page(page * PAGE, PAGE)
    if not listing and page > 0:  # the list shrank: the last page there is
        page = max((total - 1) // PAGE, 0)
        listing, total = await turn.uow.catalog_writer.products_page(page * PAGE, PAGE)
    turn.answer()
    rows: list[tuple[Button, ...]] = []
    for item in listing:
        key = "ac.pr.item" if item.active else "ac.pr.item_archived"
        rows.append(
            (
                Button(
                    turn.tx.label(key, name=item.name, stock=item.stock),
                    admin_cb("pd_open", item.id),
                ),
            )
        )
    pages = max((total + PAGE - 1) // PAGE, 1)
    if pages > 1:
        rows.append(
            (
                Button("◀", admin_cb("pd_list", (page - 1) % pages)),
                Button(f"{page + 1} / {pages}", admin_cb("pd_list", page)),
                Button("▶", admin_cb("pd_list", (page + 1) % pages)),
            )
        )
    rows.append((Button(turn.tx.label("admin.btn_menu"), admin_cb("menu")),))
    turn.show(turn.tx.t("ac.pr.list", n=total), tuple(rows))


def _variant_line(turn: Turn, variant: Variant) -> str:
    key = "ac.pr.variant_line" if variant.active else "ac.pr.variant_line_off"
    return turn.tx.t(
        key,
        name=variant.name or variant.sku,
        sku=variant.sku,
        price=turn.tx.money(variant.price),
        stock=variant.stock,
    )


def product_screen(turn: Turn, product: Product) -> tuple[str, Keyboard]:
    tx = turn.tx
    status = tx.t("ac.pr.status_on") if product.active else tx.t("ac.pr.status_archived")
    media = product.card_media
    shows = tx.t(f"ac.pn.kind.{media.kind.value}") if media is not None else tx.t("ac.pr.no_media")
    lines = [tx.t("ac.pr.product", name=product.name, status=Raw(status), media=shows)]
    lines += [_variant_line(turn, v) for v in product.variants]
    several = len(product.variants) > 1
    rows: list[tuple[Button, ...]] = []
    for v in product.variants:
        label = v.name or v.sku
        rows.append(
            (
                Button(
                    tx.label("ac.pr.btn_price_of" if several else "ac.pr.btn_price", name=label),
                    admin_cb("pd_price", product.id, v.id),
                ),
                Button(
                    tx.label("ac.pr.btn_stock_of" if several else "ac.pr.btn_stock", name=label),
                    admin_cb("pd_stock", product.id, v.id),
                ),
            )
        )
    archive = (
        Button(tx.label("ac.pr.btn_archive"), admin_cb("pd_arch", product.id, 0))
        if product.active
        else Button(tx.label("ac.pr.btn_unarchive"), admin_cb("pd_arch", product.id, 1))
    )
    rows.append((Button(tx.label("ac.pr.btn_media"), admin_cb("pd_media", product.id)), archive))
    rows.append(
        (
            Button(tx.label("ac.pr.btn_list"), admin_cb("pd_list")),
            Button(tx.label("admin.btn_menu"), admin_cb("menu")),
        )
    )
    return "\n".join(lines), tuple(rows)


async def _product(turn: Turn, product_id: int) -> Product | None:
    product = await turn.uow.catalog_writer.any_product(product_id) if product_id else None
    if product is None:
        turn.tell(turn.tx.t("ac.pr.gone"), alert=True)
    return product


@verb("pd_open", P)
async def open_product(turn: Turn, role: Role, product_id: int, _: int) -> None:
    product = await _product(turn, product_id)
    if product is None:
        return
    turn.answer()
    turn.show(*product_screen(turn, product))


async def _variant(turn: Turn, product_id: int, variant_id: int) -> tuple[Product, Variant] | None:
    product = await _product(turn, product_id)
    if product is None:
        return None
    variant = product.variant(variant_id)
    if variant is None:
        turn.tell(turn.tx.t("stale_button"), alert=True)
        return None
    return product, variant


@verb("pd_price", P)
async def ask_price(turn: Turn, role: Role, product_id: int, variant_id: int) -> None:
    found = await _variant(turn, product_id, variant_id)
    if found is None:
        return
    product, variant = found
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, state(ASK_PRICE, p=product.id, v=variant.id), turn.now
    )
    turn.answer()
    text = turn.tx.t(
        "ac.pr.ask_price",
        name=variant.name or product.name,
        price=turn.tx.money(variant.price),
        currency=variant.price.currency,
    )
    turn.say(text, (cancel_row(turn, "pd_stop"),))


@step(ASK_PRICE, P)
async def price_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    found = await _variant(turn, int(st.data["p"]), int(st.data["v"]))
    if found is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        return
    product, variant = found
    currency = variant.price.currency
    try:
        price = mc.parse_price(text, currency)
    except mc.BadInput as exc:
        again = turn.tx.t("ac.pr.ask_again", currency=currency)
        turn.say(
            bad_input_text(turn, exc, currency=currency) + "\n" + again,
            (cancel_row(turn, "pd_stop"),),
        )
        return
    await turn.uow.catalog_writer.set_price(variant.id, price)
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await access.audit(
        turn,
        role,
        "product.price",
        f"variant:{variant.id}",
        product=product.id,
        sku=variant.sku,
        before=variant.price.major_str(),
        after=price.major_str(),
        currency=currency,
    )
    turn.say(
        turn.tx.t("ac.pr.price_set", sku=variant.sku, price=turn.tx.money(price)),
        (_back(turn, product.id),),
    )


@verb("pd_stock", P)
async def ask_stock(turn: Turn, role: Role, product_id: int, variant_id: int) -> None:
    found = await _variant(turn, product_id, variant_id)
    if found is None:
        return
    product, variant = found
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, state(ASK_STOCK, p=product.id, v=variant.id), turn.now
    )
    turn.answer()
    text = turn.tx.t("ac.pr.ask_stock", name=variant.name or product.name, stock=variant.stock)
    turn.say(text, (cancel_row(turn, "pd_stop"),))


@step(ASK_STOCK, P)
async def stock_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    found = await _variant(turn, int(st.data["p"]), int(st.data["v"]))
    if found is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        return
    product, variant = found
    try:
        stock = mc.parse_stock(text)
    except mc.BadInput as exc:
        turn.say(
            bad_input_text(turn, exc) + "\n" + turn.tx.t("ac.pn.ask_stock_again"),
            (cancel_row(turn, "pd_stop"),),
        )
        return
    await turn.uow.catalog_writer.set_stock(variant.id, stock)
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await access.audit(
        turn,
        role,
        "product.stock",
        f"variant:{variant.id}",
        product=product.id,
        sku=variant.sku,
        before=variant.stock,
        after=stock,
    )
    done = turn.tx.t("ac.pr.stock_set", sku=variant.sku, stock=stock)
    turn.say(done, (_back(turn, product.id),))


@verb("pd_media", P)
async def ask_media(turn: Turn, role: Role, product_id: int, _: int) -> None:
    product = await _product(turn, product_id)
    if product is None:
        return
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, state(ASK_MEDIA, p=product.id), turn.now
    )
    turn.answer()
    turn.say(turn.tx.t("ac.pr.ask_media", name=product.name), (cancel_row(turn, "pd_stop"),))


@step(ASK_MEDIA, P)
async def text_instead_of_media(turn: Turn, role: Role, st: UiState, text: str) -> None:
    turn.say(turn.tx.t("ac.pr.media_please"), (cancel_row(turn, "pd_stop"),))


@media_step(ASK_MEDIA, P)
async def media_sent(
    turn: Turn, role: Role, st: UiState | None, kind: MediaKind, file_id: str, _: str
) -> None:
    assert st is not None
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    product = await _product(turn, int(st.data["p"]))
    if product is None:
        return
    before = product.card_media
    media_id = await turn.uow.catalog_writer.add_media(kind, file_id)
    await turn.uow.catalog_writer.set_card_media(product.id, media_id, kind)
    await access.audit(
        turn,
        role,
        "product.media",
        f"product:{product.id}",
        before=before.id if before is not None else None,
        after=media_id,
        kind=kind.value,
    )
    what = turn.tx.t(f"ac.pn.kind.{kind.value}")
    done = turn.tx.t("ac.pr.media_set", name=product.name, what=what)
    turn.say(done, (_back(turn, product.id),))


@verb("pd_stop", P)
async def stop_step(turn: Turn, role: Role, _: int, __: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is not None and current.state in (ASK_PRICE, ASK_STOCK, ASK_MEDIA):
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.answer(turn.tx.t("ac.pr.unchanged"))
        product = await turn.uow.catalog_writer.any_product(int(current.data["p"]))
        if product is not None:
            turn.say(*product_screen(turn, product))
        return
    turn.answer(turn.tx.t("ac.pn.nothing_to_cancel"))


@verb("pd_arch", P)
async def ask_archive(turn: Turn, role: Role, product_id: int, active: int) -> None:
    """Archive (``active`` 0) or bring back (1): the confirmation first."""
    product = await _product(turn, product_id)
    if product is None:
        return
    turn.answer()
    key = "ac.pr.confirm_archive" if not active else "ac.pr.confirm_unarchive"
    keyboard = (
        (
            Button(
                turn.tx.label("ac.pr.btn_yes_unarchive" if active else "ac.pr.btn_yes_archive"),
                admin_cb("pd_archy", product.id, 1 if active else 0),
            ),
            Button(turn.tx.label("ac.pr.btn_no"), admin_cb("pd_open", product.id)),
        ),
    )
    turn.show(turn.tx.t(key, name=product.name), keyboard)


@verb("pd_archy", P)
async def set_archived(turn: Turn, role: Role, product_id: int, active: int) -> None:
    product = await _product(turn, product_id)
    if product is None:
        return
    wanted = bool(active)
    if product.active != wanted:  # pressing Yes twice changes it once
        await turn.uow.catalog_writer.set_active(product.id, wanted)
        await access.audit(
            turn,
            role,
            "product.unarchive" if wanted else "product.archive",
            f"product:{product.id}",
            name=product.name,
        )
    turn.answer(turn.tx.t("ac.pr.unarchived" if wanted else "ac.pr.archived"))
    fresh = await turn.uow.catalog_writer.any_product(product.id)
    turn.show(*product_screen(turn, fresh or product))
