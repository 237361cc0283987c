"""A creator's teaser posted by the bot into the creator's channel or group.

``/creator post @channel [SKU]`` queues a notice; the outbox worker carries it out after the
commit: it names the chat (``getChat``), checks that the creator administers it
(``getChatMember``; nobody may have the bot post into someone else's channel), and posts the
teaser (the product's video or photo, its card caption, **Buy** with the creator's link).
Telegram refuses the post when the bot is not an admin there; the creator hears why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.conversation.delivery import DeliveryError, Failure, Sender
from bot.conversation.screens.creator_text import teaser
from bot.conversation.texts import texts
from bot.services import browsing
from bot.services.order_ports import Notice
from bot.services.ports import UnitOfWorkFactory
from bot.workers.boards import ChatPoster

log = logging.getLogger(__name__)

_TRANSIENT = (Failure.RETRY_AFTER, Failure.NETWORK)


class CreatorPoster(ChatPoster):
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Callable[[], datetime],
        locale: str,
        bot_username: Callable[[], str | None],
        shop: str,
    ) -> None:
        super().__init__(uows, clock, locale, bot_username)
        self.shop = shop

    async def run(self, sender: Sender, notice: Notice) -> bool | None:
        """True when posted, False when refused (the creator was told), None to try later."""
        p = notice.params
        tx = texts(str(p.get("locale") or self.locale))
        creator_id = notice.chat_id
        target = p.get("target")
        where = str(target)
        product_id = p.get("product")
        try:
            chat_id = target if isinstance(target, int) else await sender.resolve_chat(where)
            admin = await sender.is_admin(chat_id, creator_id)
        except DeliveryError as exc:
            if exc.failure in _TRANSIENT:
                return None
            return await self._tell(sender, creator_id, tx.t("creator.post.not_found", chat=where))
        if not admin:
            return await self._tell(sender, creator_id, tx.t("creator.post.not_admin", chat=where))
        now = self.clock()
        async with self.uows() as uow:
            creator = await uow.trust.creator(creator_id)
            page = None
            if isinstance(product_id, int) and product_id:
                page = await browsing.single_page(uow, product_id, now)
        if creator is None or not creator.active:
            return False
        if isinstance(product_id, int) and product_id and page is None:
            return await self._tell(sender, creator_id, tx.t("card.product_gone"))
        text, media, keyboard = teaser(tx, creator, page, self.bot_username(), self.shop)
        try:
            if media is None:
                await sender.send_text(chat_id, text, keyboard)
            else:
                await sender.send_media(chat_id, media, text, keyboard)
        except DeliveryError as exc:
            if exc.failure in _TRANSIENT:
                return None
            reason = exc.description or exc.failure.value
            return await self._tell(
                sender, creator_id, tx.t("creator.post.failed", chat=where, reason=reason)
            )
        await self._tell(sender, creator_id, tx.t("creator.post.done", chat=where))
        return True

    async def _tell(self, sender: Sender, chat_id: int, text: str) -> bool:
        try:
            await sender.send_text(chat_id, text, None)
        except DeliveryError as exc:
            log.warning("could not tell creator %s: %s", chat_id, exc)
        return False
