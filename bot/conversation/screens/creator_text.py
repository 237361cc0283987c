"""How a creator's teaser reads, whether the creator gets it to forward (``screens.creators``)
or the bot posts it into the creator's channel (``bot.workers.creator_post``): a product's
video or photo with its card caption and **Buy**, or the shop's line and **Shop**, each with
the creator's link."""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard, MediaRef
from bot.conversation.screens.cards import caption, media_ref
from bot.conversation.texts import Texts
from bot.domain.creators import Creator, product_payload, shop_payload
from bot.services import browsing


def link(bot_username: str | None, payload: str) -> str | None:
    return f"https://t.me/{bot_username}?start={payload}" if bot_username else None


def teaser(
    tx: Texts,
    creator: Creator,
    page: browsing.CardPage | None,
    bot_username: str | None,
    shop: str,
) -> tuple[str, MediaRef | None, Keyboard | None]:
    """(caption or text, media, keyboard) of the teaser: a product's, or (no page) the shop's."""
    if page is None:
        url = link(bot_username, shop_payload(creator.code))
        keyboard = ((Button(tx.label("creator.btn_shop"), url=url),),) if url else None
        return tx.t("creator.teaser.shop", shop=shop), None, keyboard
    url = link(bot_username, product_payload(creator.code, page.product.id))
    keyboard = ((Button(tx.label("creator.btn_buy"), url=url),),) if url else None
    return caption(tx, page), media_ref(page.product), keyboard
