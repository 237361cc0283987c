"""The Telegram side of ``/live``: post the product card into the group or channel and pin it,
turn the pinned card into the next product's, unpin it and leave an "ended" card at the end.

It runs from the outbox (the command queued a ``live`` notice in the same transaction as the
update's claim), because each step needs Telegram's answer to the one before: the message id
to pin, whether the bot may pin there at all. A show is recorded only once Telegram took the
card and the pin; anything refused leaves the show as it was and tells the merchant why.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.conversation.delivery import DeliveryError, Failure, Sender, Sent
from bot.conversation.screens.live_text import LiveCard, ended_card, live_card
from bot.conversation.texts import Texts, texts
from bot.domain.catalog import MediaKind, Product
from bot.domain.live import CardSwap, card_kind, swap_plan
from bot.services import live
from bot.services.live_ports import LiveShow
from bot.services.order_ports import Notice
from bot.workers.boards import ChatPoster

log = logging.getLogger(__name__)

_TRANSIENT = (Failure.RETRY_AFTER, Failure.NETWORK)


def _no_rights(exc: DeliveryError) -> bool:
    text = exc.description.lower()
    return "not enough rights" in text or "administrator rights" in text or "can_pin" in text


def _shown_kind(product: Product | None) -> MediaKind | None:
    """What the pinned card holds, from the product it features (None: nobody knows)."""
    if product is None:
        return None
    media = product.card_media
    return card_kind(media.kind if media is not None else MediaKind.NONE)


@dataclass(slots=True)
class _Job:
    """One ``/live`` to carry out, and who to tell how it went."""

    sender: Sender
    reply_chat: int
    tx: Texts
    #: Typed in the private chat (confirmations go there); in a group the card is the answer.
    private: bool
    where: str
    by: int

    async def tell(self, key: str, **values: object) -> None:
        try:
            await self.sender.send_text(self.reply_chat, self.tx.t(key, **values), None)
        except DeliveryError as exc:
            log.warning("live: could not tell %s (%s): %s", self.reply_chat, key, exc)

    async def confirm(self, key: str, **values: object) -> None:
        if self.private:
            await self.tell(key, **values)


class LiveDesk(ChatPoster):
    """Carries out queued ``/live`` commands. The card speaks the shop's language (``locale``:
    the group's members are anybody); the merchant hears back in theirs."""

    async def run(self, sender: Sender, notice: Notice) -> bool | None:
        """Carry out a queued ``/live``: True when done, False when refused (the merchant was
        told), None to try again later (Telegram was unreachable before anything changed)."""
        p = notice.params
        tx = texts(str(p.get("locale") or self.locale))
        private = bool(p.get("private"))
        target = p.get("target")
        job = _Job(
            sender,
            notice.chat_id,
            tx,
            private,
            str(target) if private else tx.t("live.here"),
            int(p.get("by") or 0),  # type: ignore[call-overload]
        )
        if isinstance(target, int):
            chat_id = target
        else:
            try:
                chat_id = await sender.resolve_chat(str(target))
            except DeliveryError as exc:
                if exc.failure in _TRANSIENT:
                    return None
                await job.tell("live.chat_not_found", chat=job.where)
                return False
        if p.get("op") == "end":
            return await self._end(job, chat_id)
        product_id = p.get("product")
        if not isinstance(product_id, int):
            return False
        return await self._show(job, chat_id, product_id)

    # Feature a product ------------------------------------------------------------------------

    async def _show(self, job: _Job, chat_id: int, product_id: int) -> bool | None:
        now = self.clock()
        async with self.uows() as uow:
            page = await live.card(uow, product_id, now)
            found = await live.featured(uow, chat_id)
        if page is None:
            await job.tell("live.product_gone")
            return False
        card = live_card(texts(self.locale), page, now, self.bot_username())
        name = page.product.name
        if found is None:
            return await self._start(job, chat_id, product_id, card, name)
        show, shown = found
        new_kind = card.media.kind if card.media is not None else MediaKind.NONE
        plan = swap_plan(_shown_kind(shown), new_kind)
        if plan is not CardSwap.REPLACE:
            try:
                edited = await self._edit(job.sender, show, card, plan)
            except DeliveryError as exc:
                if exc.failure in _TRANSIENT:
                    return None  # an edit is safe to try again
                await job.tell("live.failed", reason=exc.description or exc.failure.value)
                return False
            if edited:
                async with self.uows() as uow:
                    await live.swapped(uow, chat_id, show.message_id, product_id, self.clock())
                await job.confirm("live.swapped", chat=job.where, name=name)
                return True
        return await self._replace(job, show, product_id, card, name)

    async def _edit(self, sender: Sender, show: LiveShow, card: LiveCard, plan: CardSwap) -> bool:
        """Edit the pinned card in place; False when it cannot take the edit (deleted, or of
        another kind than Telegram can turn it into), so a new card is posted instead."""
        try:
            if plan is CardSwap.EDIT_MEDIA:
                assert card.media is not None
                sent = await sender.edit_media(
                    show.chat_id, show.message_id, card.media, card.text, card.keyboard
                )
                await self._remember(card, sent)
            else:
                await sender.edit_text(show.chat_id, show.message_id, card.text, card.keyboard)
        except DeliveryError as exc:
            if exc.failure is Failure.NOT_MODIFIED:
                return True
            if exc.failure is Failure.MESSAGE_GONE:
                return False
            raise
        return True

    async def _post_and_pin(self, job: _Job, chat_id: int, card: LiveCard) -> Sent | None:
        """Post the card and pin it; None (the merchant told why, nothing left behind) when
        Telegram refuses either."""
        sender = job.sender
        try:
            if card.media is not None:
                sent = await sender.send_media(chat_id, card.media, card.text, card.keyboard)
                await self._remember(card, sent)
            else:
                sent = await sender.send_text(chat_id, card.text, card.keyboard)
        except DeliveryError as exc:
            log.info("live card not posted to %s: %s", chat_id, exc)
            await job.tell(
                "live.cant_post", chat=job.where, reason=exc.description or exc.failure.value
            )
            return None
        try:
            await sender.pin(chat_id, sent.message_id)
        except DeliveryError as exc:
            log.info("live card not pinned in %s: %s", chat_id, exc)
            with contextlib.suppress(DeliveryError):
                await sender.delete(chat_id, sent.message_id)
            if _no_rights(exc) or exc.failure is Failure.FORBIDDEN:
                await job.tell("live.cant_pin", chat=job.where)
            else:
                await job.tell("live.failed", reason=exc.description or exc.failure.value)
            return None
        return sent

    async def _start(
        self, job: _Job, chat_id: int, product_id: int, card: LiveCard, name: str
    ) -> bool:
        sent = await self._post_and_pin(job, chat_id, card)
        if sent is None:
            return False
        async with self.uows() as uow:
            await live.started(uow, chat_id, sent.message_id, product_id, job.by, self.clock())
        await job.confirm("live.started", chat=job.where, name=name)
        return True

    async def _replace(
        self, job: _Job, show: LiveShow, product_id: int, card: LiveCard, name: str
    ) -> bool:
        """A new card for the next product, pinned; the old one unpinned (if still there)."""
        sent = await self._post_and_pin(job, show.chat_id, card)
        if sent is None:
            return False
        with contextlib.suppress(DeliveryError):
            await job.sender.unpin(show.chat_id, show.message_id)
        async with self.uows() as uow:
            await live.swapped(uow, show.chat_id, sent.message_id, product_id, self.clock())
        await job.confirm("live.swapped", chat=job.where, name=name)
        return True

    # The end ------------------------------------------------------------------------------------

    async def _end(self, job: _Job, chat_id: int) -> bool | None:
        async with self.uows() as uow:
            found = await live.featured(uow, chat_id)
        if found is None:
            await job.tell("live.no_show", chat=job.where)
            return False
        show, shown = found
        sender = job.sender
        try:
            await sender.unpin(chat_id, show.message_id)
        except DeliveryError as exc:
            if exc.failure in _TRANSIENT:
                return None
            if _no_rights(exc) or exc.failure is Failure.FORBIDDEN:
                await job.tell("live.cant_pin", chat=job.where)
                return False
            # The card was deleted meanwhile: nothing left to unpin.
            log.info("live card in %s already gone: %s", chat_id, exc)
        text, keyboard = ended_card(texts(self.locale), self.bot_username())
        edits: list[Callable[[], Awaitable[None]]] = [
            lambda: sender.edit_text(chat_id, show.message_id, text, keyboard),
            lambda: sender.edit_caption(chat_id, show.message_id, text, keyboard),
        ]
        if _shown_kind(shown) not in (None, MediaKind.NONE):
            edits.reverse()
        for attempt in edits:
            try:
                await attempt()
                break
            except DeliveryError as exc:
                if exc.failure is not Failure.MESSAGE_GONE:
                    log.info("live card in %s not edited: %s", chat_id, exc)
                    break
        async with self.uows() as uow:
            await live.ended(uow, chat_id)
        await job.confirm("live.ended_ok", chat=job.where)
        return True

    async def _remember(self, card: LiveCard, sent: Sent | None) -> None:
        """Keep the file_id Telegram gave an uploaded teaser, as every other card does."""
        media = card.media
        if sent is None or not sent.file_id or media is None or media.media_id <= 0:
            return
        if media.file_id == sent.file_id:
            return
        async with self.uows() as uow:
            await uow.catalog.remember_file_id(media.media_id, sent.file_id)
            await uow.commit()
