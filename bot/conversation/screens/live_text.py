"""How the live card reads in a group or channel: the product of the moment (price, stock,
a flash sale if one runs, all as the server has them) and URL buttons into the private chat,
since a cart cannot open in a group; and the short card left behind when the live ends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.conversation.replies import Button, Keyboard, MediaRef
from bot.conversation.screens.cards import caption, media_ref
from bot.conversation.texts import Texts
from bot.domain.flash_sales import SaleState
from bot.services.browsing import CardPage


@dataclass(frozen=True, slots=True)
class LiveCard:
    text: str
    keyboard: Keyboard | None
    #: The teaser video or photo; None for a text card.
    media: MediaRef | None


def _link(bot_username: str | None, payload: str | None = None) -> str | None:
    if not bot_username:
        return None
    return f"https://t.me/{bot_username}" + (f"?start={payload}" if payload else "")


def live_card(tx: Texts, page: CardPage, now: datetime, bot_username: str | None) -> LiveCard:
    product = page.product
    text = tx.t("live.header") + "\n" + caption(tx, page)
    rows: list[tuple[Button, ...]] = []
    sale = page.sale
    grab = _link(bot_username, f"s_{sale.id}") if sale is not None else None
    if sale is not None and grab and sale.state(now) is SaleState.LIVE and sale.left > 0:
        rows.append((Button(tx.label("live.btn_grab", price=tx.money(sale.price)), url=grab),))
    buy = _link(bot_username, f"p_{product.id}")
    if buy:
        key = "live.btn_buy" if product.available > 0 else "live.btn_view"
        rows.append((Button(tx.label(key), url=buy),))
    return LiveCard(text, tuple(rows) or None, media_ref(product))


def ended_card(tx: Texts, bot_username: str | None) -> tuple[str, Keyboard | None]:
    shop = _link(bot_username)
    keyboard = ((Button(tx.label("live.btn_shop"), url=shop),),) if shop else None
    return tx.t("live.ended"), keyboard
