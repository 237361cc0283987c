"""The Telegram side of "💬 Ask the shop": posts a buyer's message (a text, or a photo with
its caption) into a staff chat, with its Reply and Close buttons, and remembers which message
Telegram gave it, so that a staff member's reply to it finds the thread in any process; also
the reminders of threads left unanswered.

It runs from the outbox: the buyer's update queued one ``support`` notice per staff chat in
its own transaction (``bot/services/support.py``), claimed once by whichever process sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.conversation.delivery import DeliveryError, Failure, Sender, Sent
from bot.conversation.replies import MediaRef
from bot.conversation.screens.support_text import staff_post, staff_reminder
from bot.conversation.texts import Texts
from bot.domain.catalog import MediaKind
from bot.domain.support import HISTORY, ThreadStatus, display_name
from bot.services.order_ports import Notice
from bot.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

_TRANSIENT = (Failure.RETRY_AFTER, Failure.NETWORK)


class SupportDesk:
    def __init__(self, uows: UnitOfWorkFactory, clock: Callable[[], datetime]) -> None:
        self.uows = uows
        self.clock = clock

    async def run(self, sender: Sender, notice: Notice, tx: Texts) -> bool | None:
        """Post the notice's message (or reminder) to ``notice.chat_id`` in ``tx``'s language:
        True when posted, False when there is nothing to post any more (or Telegram refused
        it for good), None to try again later."""
        p = notice.params
        message_id, thread_id = p.get("message"), p.get("thread")
        photo: str | None = None
        async with self.uows() as uow:
            if isinstance(message_id, int):
                message = await uow.support.message(message_id)
                if message is None:
                    return False
                thread = await uow.support.thread(message.thread_id)
            elif isinstance(thread_id, int):
                message = None
                thread = await uow.support.thread(thread_id)
            else:
                return False
            if thread is None:
                return False
            profile = await uow.buyers.profile(thread.buyer_id)
            history = await uow.support.messages(thread.id, HISTORY) if message is None else []
        buyer = display_name(profile.first_name, profile.username) if profile else "?"
        if message is not None:
            if not message.text and not message.photo_file_id:  # erased meanwhile
                return False
            text, keyboard = staff_post(tx, thread, buyer, message)
            photo = message.photo_file_id
        else:
            if thread.status is not ThreadStatus.OPEN or thread.waiting_since is None:
                return False  # answered or closed since the reminder was queued
            text, keyboard = staff_reminder(tx, thread, buyer, history)
        try:
            sent: Sent
            if photo:
                media = MediaRef(MediaKind.PHOTO, 0, photo, file_id=photo)
                sent = await sender.send_media(notice.chat_id, media, text, keyboard)
            else:
                sent = await sender.send_text(notice.chat_id, text, keyboard)
        except DeliveryError as exc:
            if exc.failure in _TRANSIENT:
                return None
            log.warning("support thread %s not posted to %s: %s", thread.id, notice.chat_id, exc)
            return False
        async with self.uows() as uow:
            await uow.support.remember_post(notice.chat_id, sent.message_id, thread.id)
            await uow.commit()
        return True
