"""Recommendation screens: "You may also like" under a receipt, and opening a suggestion.

The suggestions ride on the receipt itself (a line and up to three buttons), so a payment
still makes one message: the receipt's backup (``Turn.receipt_of``) covers them, and a
redelivered payment, which says nothing, does not suggest twice.
"""

from __future__ import annotations

import logging

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_press
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens import browse
from bot.conversation.turn import Turn
from bot.services import recommendations
from bot.services.order_ports import Order

log = logging.getLogger(__name__)

#: At most this many suggestions under a receipt.
AFTER_PURCHASE = 3
#: A suggestion's button shows the product's name up to this many characters.
_NAME_CHARS = 40


async def after_purchase(turn: Turn, order: Order) -> tuple[str, Keyboard]:
    """The receipt's extra line and button rows; nothing when there is nothing to suggest.

    A failure here must never cost the receipt: it is logged and the receipt goes without; and
    since a failed query may have spoiled the transaction (PostgreSQL aborts it), a payment
    tried again leaves the suggestions out (``Turn.extras``)."""
    tx = turn.tx
    if not turn.extras:
        return "", ()
    try:
        bought = [ln.product_id for ln in order.lines]
        ids = await recommendations.for_buyer(
            turn.uow, order.user_id, turn.now, AFTER_PURCHASE, just_bought=bought
        )
        rows: list[tuple[Button, ...]] = []
        for product_id in ids:
            product = await turn.uow.catalog.product(product_id)
            price = product.price_from if product is not None else None
            if product is None or price is None:
                continue
            name = product.name
            if len(name) > _NAME_CHARS:
                name = name[: _NAME_CHARS - 1].rstrip() + "…"
            label = tx.label("recs.button", name=name, price=tx.money(price))
            rows.append((Button(label, cb(Action.REC_OPEN, product_id)),))
    except Exception:
        log.exception("no suggestions under the receipt of order %s", order.id)
        return "", ()
    if not rows:
        return "", ()
    return "\n\n" + tx.t("recs.title"), tuple(rows)


@on_press(Action.REC_OPEN)
async def suggestion_pressed(turn: Turn, call: Callback) -> None:
    await open_suggestion(turn, call.int_arg(0))


async def open_suggestion(turn: Turn, product_id: int) -> None:
    """A suggestion pressed: its card as a new message (the receipt stays as it was)."""
    if not await browse.open_product(turn, product_id):
        turn.answer(turn.tx.t("card.product_gone"), alert=True)
        return
    turn.answer()
