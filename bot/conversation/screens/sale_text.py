"""How a flash sale reads on a card: its line (price, units left, countdown) and its button."""

from __future__ import annotations

from datetime import datetime

from bot.conversation.callbacks import Action, cb
from bot.conversation.replies import Button
from bot.conversation.screens.team_text import left_text
from bot.conversation.texts import Texts
from bot.domain.flash_sales import FlashSale, SaleState


def sale_line(tx: Texts, sale: FlashSale, now: datetime) -> str:
    """The card's line: price, what is left, and the countdown to the start or the end."""
    price = tx.money(sale.price)
    regular = tx.money(sale.regular_price)
    if sale.state(now) is SaleState.UPCOMING:
        return tx.t(
            "sale.line_upcoming",
            price=price,
            regular=regular,
            left=left_text(tx, sale.starts_at - now),
        )
    if sale.left <= 0:
        return tx.t("sale.line_sold_out", price=price, regular=regular)
    return tx.t(
        "sale.line_live",
        price=price,
        regular=regular,
        units=sale.left,
        left=left_text(tx, sale.ends_at - now),
    )


def sale_button(tx: Texts, sale: FlashSale, now: datetime) -> Button | None:
    state = sale.state(now)
    if state is SaleState.UPCOMING:
        return Button(tx.label("sale.btn_notify"), cb(Action.FLASH_WATCH, sale.id))
    if state is SaleState.LIVE and sale.left > 0:
        return Button(
            tx.label("sale.btn_claim", price=tx.money(sale.price)), cb(Action.FLASH_CLAIM, sale.id)
        )
    if state is SaleState.LIVE:
        return Button(tx.label("sale.btn_restock"), cb(Action.FLASH_RESTOCK, sale.id))
    return None
