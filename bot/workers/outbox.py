"""Messages that do not answer an update: a refund went through, the merchant shipped, a cart
waits. Services queue them as notices (kind + params) in the same transaction as the change;
this worker words each one in the recipient's language and sends it after the commit.

The worker also sends due refunds (``RefundSender``). ``kick()`` runs it soon after a turn
queued something; the scheduler runs it every half minute as a safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.conversation.delivery import DeliveryError, Failure, Sender
from bot.conversation.screens.cash import CASH_RECEIPT, cash_receipt
from bot.conversation.screens.creators import POST_NOTICE
from bot.conversation.screens.live import LIVE_NOTICE
from bot.conversation.screens.notice_text import render
from bot.conversation.storefront import Storefront
from bot.conversation.texts import Texts, pick_locale, texts
from bot.domain.alerts import Verdict
from bot.services import alerts
from bot.services.alerts import MARKETING_NOTICES
from bot.services.order_ports import Notice
from bot.services.payment_port import StarsGateway
from bot.services.refunds import RefundSender
from bot.services.support import SUPPORT_NOTICE
from bot.workers.creator_post import CreatorPoster
from bot.workers.live_desk import LiveDesk
from bot.workers.sale_board import SaleBoard
from bot.workers.support_desk import SupportDesk
from bot.workers.team_board import TeamBoard

log = logging.getLogger(__name__)

_BATCH = 50


class OutboxWorker:
    def __init__(self, storefront: Storefront, refunds: RefundSender) -> None:
        self.storefront = storefront
        self.refunds = refunds
        self.sender: Sender | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        storefront.on_outbox.append(self.kick)
        config = storefront.config
        # The storage, the clock, the shop's language, the bot's @username once it runs.
        shop = (
            storefront.uows,
            storefront.clock,
            config.default_locale,
            lambda: config.bot_username,
        )
        self.board = TeamBoard(*shop)
        self.live = LiveDesk(*shop)
        self.creator_post = CreatorPoster(*shop, config.shop_name)
        self.sale_board = SaleBoard(*shop, config.admin_ids)
        self.support = SupportDesk(storefront.uows, storefront.clock)

    def attach(self, sender: Sender, stars: StarsGateway | None = None) -> None:
        """Called once the bot runs: notices go out through it, and Stars refunds too."""
        self.sender = sender
        if stars is not None:
            self.refunds.stars = stars

    def kick(self) -> None:
        """Work the outbox soon (coalesced: one run at a time, one more if kicked meanwhile)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self.drain()
            except Exception:
                log.exception("outbox run failed; the scheduler will try again")
            if not self._again:
                return

    async def idle(self) -> None:
        """Wait for a kicked run to finish (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(self._task)

    async def drain(self) -> None:
        await self.refunds.run_due()
        await self.flush_notices()
        if self.sender is not None:
            await self.board.refresh(self.sender)

    async def refresh_sale_posts(self) -> int:
        """Sale cards queued for groups and channels go out, and the posted ones are edited
        as their units and countdowns change (the scheduler runs this every few seconds)."""
        if self.sender is None:
            return 0
        await self.flush_notices()
        return await self.sale_board.refresh(self.sender)

    async def flush_notices(self) -> int:
        if self.sender is None:
            return 0
        sent = 0
        while True:
            async with self.storefront.uows() as uow:
                batch = [
                    n
                    for n in await uow.notices.pending(_BATCH, self.storefront.clock())
                    if await uow.notices.claim(n.id)
                ]
                await uow.commit()
            if not batch:
                return sent
            for notice in batch:
                if notice.kind in MARKETING_NOTICES and not await self._admitted(notice):
                    continue
                outcome = await self._send(notice)
                async with self.storefront.uows() as uow:
                    await uow.notices.done(notice.id, self.storefront.clock(), sent=outcome)
                    await uow.commit()
                if outcome is None:  # try again on the next run
                    return sent
                sent += int(outcome)

    async def _admitted(self, notice: Notice) -> bool:
        """A marketing notice asks its buyer's alert choices first (taking one from their day's
        count when it goes): held until quiet hours end, or skipped."""
        async with self.storefront.uows() as uow:
            now = self.storefront.clock()
            decision = await alerts.gate_notice(uow, notice, now, self.storefront.config.alerts)
            if decision.verdict is Verdict.HOLD and decision.until is not None:
                await uow.notices.hold(notice.id, decision.until)
            elif decision.verdict is not Verdict.SEND:
                await uow.notices.skip(notice.id, now)
            await uow.commit()
        return decision.verdict is Verdict.SEND

    async def _send(self, notice: Notice) -> bool | None:
        assert self.sender is not None
        team = notice.params.get("team")
        if notice.kind == "group_card" and isinstance(team, int):
            return await self.board.post(self.sender, notice.chat_id, team)
        if notice.kind == LIVE_NOTICE:
            return await self.live.run(self.sender, notice)
        if notice.kind == POST_NOTICE:
            return await self.creator_post.run(self.sender, notice)
        sale = notice.params.get("sale")
        if notice.kind == "sale_card" and isinstance(sale, int):
            return await self.sale_board.post(self.sender, notice.chat_id, sale)
        tx = await self._texts_for(notice.chat_id)
        if notice.kind == SUPPORT_NOTICE:  # a staff chat: a group gets the shop's language
            return await self.support.run(self.sender, notice, tx)
        if notice.kind == CASH_RECEIPT:  # the receipt of an order staff marked paid
            async with self.storefront.uows() as uow:
                worded = await cash_receipt(uow, self.storefront.config, tx, notice)
            if worded is None:
                return False
            text, keyboard = worded
        else:
            text, keyboard = render(tx, notice)
        try:
            await self.sender.send_text(notice.chat_id, text, keyboard)
        except DeliveryError as exc:
            if exc.failure in (Failure.RETRY_AFTER, Failure.NETWORK):
                return None
            log.warning("notice %s to %s not delivered: %s", notice.id, notice.chat_id, exc)
            return False
        return True

    async def _texts_for(self, chat_id: int) -> Texts:
        async with self.storefront.uows() as uow:
            profile = await uow.buyers.profile(chat_id)
        default = self.storefront.config.default_locale
        if profile is None:
            return texts(default)
        return texts(pick_locale(profile.locale, profile.language_code, default))
