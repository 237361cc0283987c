"""A flash sale's card in a group or channel: posted once, then edited in place as units go
and the countdown runs ("37 left · ends in 12 min"), and a last time when the sale is over.

Its buttons are links into the private chat (``s_<sale>``): a reservation and its invoice are
personal, so Grab it and Notify me happen there. Edits are paced by the domain
(``post_edit_due``: no sooner than every few seconds per card, at most one card per chat a
round) to stay inside Telegram's 20 messages a minute per group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.conversation.delivery import Sender
from bot.conversation.replies import Keyboard
from bot.conversation.screens.sale_text import board_keyboard, board_text
from bot.conversation.texts import texts
from bot.domain.flash_sales import FlashSale, SalePost, post_phase
from bot.services.flash_sales import posts_due
from bot.services.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.sale_ports import SalePostShown
from bot.workers.boards import Board, BoardEdit, Edit, PostFailed, post_board

log = logging.getLogger(__name__)

_BATCH = 20


class SaleBoard(Board[tuple[SalePost, FlashSale]]):
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Callable[[], datetime],
        locale: str,
        bot_username: Callable[[], str | None],
        admin_ids: tuple[int, ...] = (),
    ) -> None:
        super().__init__(uows, clock, locale, bot_username)
        self.admin_ids = admin_ids

    def render(self, sale: FlashSale, now: datetime) -> tuple[str, Keyboard | None]:
        tx = texts(self.locale)
        return board_text(tx, sale, now), board_keyboard(tx, sale, now, self.bot_username())

    async def post(self, sender: Sender, chat_id: int, sale_id: int) -> bool | None:
        """Post the sale's card into ``chat_id`` and keep it up to date. True when posted,
        False when it cannot be (no such sale; the bot may not post there: the shop's admins
        are told why), None to try again later."""
        async with self.uows() as uow:
            sale = await uow.sales.sale(sale_id)
        if sale is None:
            return False
        now = self.clock()
        text, keyboard = self.render(sale, now)
        try:
            sent = await post_board(sender, chat_id, text, keyboard, f"sale {sale_id} card")
        except PostFailed as failed:
            async with self.uows() as uow:
                for admin in self.admin_ids:
                    params = {"sale": sale_id, "chat": chat_id, "reason": failed.reason[:200]}
                    await uow.notices.add(admin, "sale_post_failed_admin", params, now)
                await uow.commit()
            return False
        if sent is None:
            return None
        shown = SalePostShown(sale.left, post_phase(sale, now))
        async with self.uows() as uow:
            await uow.sale_posts.record(sale_id, chat_id, sent.message_id, shown, now)
            await uow.commit()
        return True

    async def due(self, uow: UnitOfWork, now: datetime) -> list[tuple[SalePost, FlashSale]]:
        return await posts_due(uow, now, _BATCH)

    def edit_of(self, due: tuple[SalePost, FlashSale], now: datetime) -> BoardEdit:
        post, sale = due
        text, keyboard = self.render(sale, now)
        what = f"sale {sale.id} card in {post.chat_id}"
        return BoardEdit(post.chat_id, post.message_id, text, keyboard, what)

    async def edited(
        self, uow: UnitOfWork, due: tuple[SalePost, FlashSale], outcome: Edit, now: datetime
    ) -> None:
        post, sale = due
        if outcome is Edit.GONE:
            await uow.sale_posts.close(post.id)
        else:
            shown = SalePostShown(sale.left, post_phase(sale, now))
            await uow.sale_posts.shown(post.id, shown, now)
