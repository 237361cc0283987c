"""How a flash sale reads on a card: its line (price, units left, countdown) and its button;
and on its card in a group or channel (``board_text``, ``board_keyboard``), which the sale
board (``bot.workers.sale_board``) posts and keeps up to date."""

from __future__ import annotations

from datetime import datetime

from bot.conversation.callbacks import Action, cb
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.team_text import left_text
from bot.conversation.texts import Texts
from bot.domain.flash_sales import FlashSale, PostPhase, SaleState, post_phase


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


def board_text(tx: Texts, sale: FlashSale, now: datetime) -> str:
    lines = [tx.t("saleboard.title", name=sale.name)]
    if post_phase(sale, now) is PostPhase.OVER:
        lines.append(tx.t("saleboard.over", sold=sale.claimed, units=sale.stock))
    else:
        lines.append(sale_line(tx, sale, now))
    return "\n".join(lines)


def board_keyboard(
    tx: Texts, sale: FlashSale, now: datetime, bot_username: str | None
) -> Keyboard | None:
    if not bot_username:
        return None
    phase = post_phase(sale, now)
    link = f"https://t.me/{bot_username}?start=s_{sale.id}"
    if phase is PostPhase.LIVE:
        label = tx.label("sale.btn_claim", price=tx.money(sale.price))
    elif phase is PostPhase.UPCOMING:
        label = tx.label("sale.btn_notify")
    elif phase is PostPhase.SOLD_OUT:
        label = tx.label("sale.btn_restock")
    else:
        label = tx.label("saleboard.btn_product")
        link = f"https://t.me/{bot_username}?start=p_{sale.product_id}"
    return ((Button(label, url=link),),)
