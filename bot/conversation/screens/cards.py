"""Product teaser cards: a video (or photo, or text) with a caption and buttons.

Paging edits the same message (``editMessageMedia`` for media, ``editMessageText`` for text)
instead of flooding the chat; when the kind of message must change, the old card is deleted and
a new one sent, since Telegram cannot turn a text message into a video.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.callbacks import Action, cb
from bot.conversation.events import ButtonPress, MessageKind
from bot.conversation.replies import (
    Button,
    DeleteMessage,
    EditKeyboard,
    EditMedia,
    EditText,
    Keyboard,
    MediaRef,
    SendMedia,
    SendText,
)
from bot.conversation.screens.sale_text import sale_button, sale_line
from bot.conversation.texts import Raw, Texts, escape
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind, Product, StockLevel, stock_hint
from bot.domain.reviews import ProductStanding
from bot.services.browsing import CardPage, ListKind

#: Telegram's caption limit is 1024 characters; leave room for the other lines.
_DESCRIPTION_CHARS = 700
#: The newest review's words on a card (the rest is in the buyer's own words elsewhere).
_REVIEW_CHARS = 120


def price_line(tx: Texts, product: Product) -> str:
    """The price (or "from" price) in bold and the stock hint; also the inline results' line."""
    price = product.price_from
    hint = stock_hint(product.available)
    stock = {
        StockLevel.OUT: tx.t("card.stock.out"),
        StockLevel.LOW: tx.t("card.stock.low", n=hint.units),
        StockLevel.IN_STOCK: tx.t("card.stock.in"),
    }[hint.level]
    if price is None:
        return stock
    shown = (
        tx.t("card.price_from", price=tx.money(price))
        if product.has_price_range
        else (tx.money(price))
    )
    return f"<b>{shown}</b> · {stock}"


def standing_lines(tx: Texts, standing: ProductStanding | None) -> list[str]:
    """ "★ 4.8 · 126 sold" (or just "126 sold"), and the newest review's words, short."""
    if standing is None or not (standing.reviews or standing.sold):
        return []
    sold = Raw(tx.t("card.sold", n=standing.sold))
    average = standing.shown_average
    lines = [tx.t("card.rating", rating=average, sold=sold) if average else sold]
    latest = standing.latest
    if latest is not None:
        words = latest.text
        if len(words) > _REVIEW_CHARS:
            words = words[: _REVIEW_CHARS - 1].rstrip() + "…"
        stars = "★" * latest.rating + (" 📷" if latest.photo else "")
        author = latest.author.strip() or tx.label("card.review_anonymous")
        if words:
            lines.append(tx.t("card.review", stars=stars, text=words, name=author))
        else:
            lines.append(tx.t("card.review_photo", stars=stars, name=author))
    return lines


def caption(tx: Texts, page: CardPage) -> str:
    product = page.product
    parts = [f"<b>{escape(product.name)}</b>", price_line(tx, product)]
    if page.sale is not None and page.at is not None:
        parts.append(sale_line(tx, page.sale, page.at))
    parts += standing_lines(tx, page.standing)
    if product.description:
        text = product.description
        if len(text) > _DESCRIPTION_CHARS:
            text = text[: _DESCRIPTION_CHARS - 1].rstrip() + "…"
        parts.append(escape(text))
    if page.kind is not ListKind.SINGLE:
        key = {
            ListKind.CATEGORY: "card.position.category",
            ListKind.SEARCH: "card.position.search",
            ListKind.SIMILAR: "card.position.similar",
        }[page.kind]
        parts.append(
            "<i>" + tx.t(key, index=page.index + 1, total=page.total, where=page.label) + "</i>"
        )
    return "\n".join(parts)


def _where(page: CardPage, index: int) -> tuple[str, int, int]:
    return (page.kind.value, page.list_id, index)


Seal = Callable[[str], str]


def _plain(raw: str) -> str:
    return raw


def list_seal(turn: Turn, page: CardPage) -> Seal:
    """How the buttons naming the card's list are sealed: a search list shows its searcher's
    words, so its buttons are signed for this chat (anyone here may page it; a list id forged
    elsewhere shows nothing). Categories and look-alikes are public."""
    if page.kind is not ListKind.SEARCH:
        return _plain
    signer, chat_id = turn.config.signer, turn.chat_id
    return lambda raw: signer.seal(raw, chat_id)


def keyboard(tx: Texts, page: CardPage, seal: Seal = _plain) -> Keyboard:
    product = page.product
    rows: list[tuple[Button, ...]] = []
    if product.available > 0:
        rows.append(
            (
                Button(
                    tx.label("card.btn_add"),
                    seal(cb(Action.ADD, product.id, *_where(page, page.index))),
                ),
                Button(
                    tx.label("card.btn_buy"),
                    seal(cb(Action.BUY, product.id, *_where(page, page.index))),
                ),
            )
        )
    sale = page.sale
    if sale is not None and page.at is not None:
        button = sale_button(tx, sale, page.at)
        if button is not None:
            rows.append((button,))
    deal = page.group
    if deal is not None and product.available > 0:
        rows.append(
            (
                Button(
                    tx.label("group.btn_start", price=tx.money(deal.price), size=deal.team_size),
                    cb(Action.GROUP_START, deal.variant_id),
                ),
            )
        )
    if page.total > 1:
        rows.append(
            (
                Button("◀", seal(cb(Action.NAV, *_where(page, page.prev_index)))),
                Button(f"{page.index + 1} / {page.total}", cb(Action.NOOP)),
                Button("▶", seal(cb(Action.NAV, *_where(page, page.next_index)))),
            )
        )
    rows.append(
        (
            Button(tx.label("card.btn_more"), cb(Action.MORE, product.id)),
            Button(tx.label("card.btn_cart"), cb(Action.CART)),
        )
    )
    ask = Button(tx.label("support.btn_ask"), cb(Action.SUPPORT_PRODUCT, product.id))
    rows.append((ask,))
    rows.append((share_button(tx, product),))
    return tuple(rows)


def share_button(tx: Texts, product: Product) -> Button:
    """📤 Share: Telegram lets the person pick a chat and types ``@bot p_<id>`` there, which
    the inline answer leads with this product (``screens.sharing``)."""
    return Button(tx.label("sharing.btn_share"), share=f"p_{product.id}")


def variant_keyboard(
    tx: Texts, page: CardPage, *, buy: bool = False, seal: Seal = _plain
) -> Keyboard:
    """Shown in place of the card's buttons when a product has several variants; after
    Buy now, picking a variant goes straight to checkout."""
    rows: list[tuple[Button, ...]] = []
    action = Action.BUY_VARIANT if buy else Action.ADD_VARIANT
    for variant in page.product.sellable_variants:
        if variant.available > 0:
            label = tx.t(
                "card.variant_button",
                name=variant.name or variant.sku,
                price=tx.money(variant.price),
            )
        else:
            label = tx.t("card.variant_sold_out", name=variant.name or variant.sku)
        # A sold-out variant's button presses like the others: the press reads the stock again
        # and says "… is sold out" (or adds it, if units came back since the picker was drawn).
        data = seal(cb(action, variant.id, *_where(page, page.index)))
        rows.append((Button(label, data),))
    back = seal(cb(Action.NAV, *_where(page, page.index)))
    rows.append((Button(tx.label("card.btn_back"), back),))
    return tuple(rows)


def media_ref(product: Product) -> MediaRef | None:
    media = product.card_media
    if media is None or media.kind is MediaKind.NONE:
        return None
    return MediaRef(media.kind, media.id, media.source, media.file_id)


def show_card(turn: Turn, page: CardPage, *, replace: bool) -> None:
    """Send the card, or (``replace``) turn the pressed message into it."""
    text, buttons = caption(turn.tx, page), keyboard(turn.tx, page, list_seal(turn, page))
    media = media_ref(page.product)
    event = turn.event
    chat_id = turn.chat_id
    if replace and isinstance(event, ButtonPress) and event.message_id is not None:
        is_media = event.message_kind in (MessageKind.VIDEO, MessageKind.PHOTO)
        if media is not None and is_media:
            turn.replies.append(EditMedia(chat_id, event.message_id, media, text, buttons))
            return
        if media is None and event.message_kind is MessageKind.TEXT:
            turn.replies.append(EditText(chat_id, event.message_id, text, buttons))
            return
        turn.replies.append(DeleteMessage(chat_id, event.message_id))
    if media is None:
        turn.replies.append(SendText(chat_id, text, buttons))
    else:
        turn.replies.append(SendMedia(chat_id, media, text, buttons))


def show_variant_picker(turn: Turn, page: CardPage, *, buy: bool = False) -> None:
    event = turn.event
    assert isinstance(event, ButtonPress) and event.message_id is not None
    turn.answer(turn.tx.t("card.pick_variant"))
    turn.replies.append(
        EditKeyboard(
            turn.chat_id,
            event.message_id,
            variant_keyboard(turn.tx, page, buy=buy, seal=list_seal(turn, page)),
        )
    )
