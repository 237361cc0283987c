"""Messages a bot keeps up to date in a group or channel (a team's progress, a sale's units
and countdown): posting one and editing it, with what each Telegram answer means for it.

Both boards pace themselves (the domain says when an edit is due); this module decides, for
one send or edit, whether to try again later, stop editing, or carry on, and runs a round of
edits (``Board.refresh``) for both. ``ChatPoster`` is what every worker posting into a chat
on the shop's behalf starts from (the boards, the live desk, a creator's post).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from bot.conversation.delivery import DeliveryError, Failure, Sender, Sent
from bot.conversation.replies import Keyboard
from bot.services.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

T = TypeVar("T")


class Edit(StrEnum):
    DONE = "done"  # edited (or unchanged, or refused for good: not tried again until due)
    GONE = "gone"  # the message was deleted or the bot left the chat: stop editing it
    THROTTLED = "throttled"  # Telegram said 429: stop this round
    LATER = "later"  # a network error: try this one again next round


class PostFailed(Exception):
    """A board could not be posted for good (the bot is not in the chat, may not post)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def post_board(
    sender: Sender, chat_id: int, text: str, keyboard: Keyboard | None, what: str
) -> Sent | None:
    """Send a board: the message, or None to try again later; ``PostFailed`` when it cannot
    be posted at all."""
    try:
        return await sender.send_text(chat_id, text, keyboard)
    except DeliveryError as exc:
        if exc.failure in (Failure.RETRY_AFTER, Failure.NETWORK):
            return None
        log.warning("%s not posted to %s: %s", what, chat_id, exc)
        raise PostFailed(exc.description or exc.failure.value) from exc


async def edit_board(
    sender: Sender,
    chat_id: int,
    message_id: int,
    text: str,
    keyboard: Keyboard | None,
    what: str,
) -> Edit:
    try:
        await sender.edit_text(chat_id, message_id, text, keyboard)
    except DeliveryError as exc:
        if exc.failure is Failure.RETRY_AFTER:
            log.info("board edits throttled by Telegram; the next round continues")
            return Edit.THROTTLED
        if exc.failure is Failure.NETWORK:
            return Edit.LATER
        if exc.failure in (Failure.MESSAGE_GONE, Failure.FORBIDDEN):
            log.info("%s is gone (%s); no more edits", what, exc.failure)
            return Edit.GONE
        if exc.failure is not Failure.NOT_MODIFIED:
            log.warning("%s not edited: %s", what, exc)
    return Edit.DONE


class ChatPoster:
    """What a worker that posts into chats on the shop's behalf needs: the storage, the clock,
    the shop's language, and the bot's @username (known once the bot runs)."""

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        clock: Callable[[], datetime],
        locale: str,
        bot_username: Callable[[], str | None],
    ) -> None:
        self.uows = uows
        self.clock = clock
        self.locale = locale
        self.bot_username = bot_username


@dataclass(frozen=True, slots=True)
class BoardEdit:
    """One due board: where it is, what it should say now, and how the log names it."""

    chat_id: int
    message_id: int
    text: str
    keyboard: Keyboard | None
    what: str


class Board(ChatPoster, ABC, Generic[T]):
    """Posted messages kept up to date: a round edits those that are due, one by one, and
    records each outcome in its own transaction."""

    async def refresh(self, sender: Sender) -> int:
        """Edit the boards that are due; how many were edited. A 429 ends the round; a network
        error leaves that board for the next round."""
        now = self.clock()
        async with self.uows() as uow:
            due = await self.due(uow, now)
        edited = 0
        for item in due:
            edit = self.edit_of(item, now)
            outcome = await edit_board(
                sender, edit.chat_id, edit.message_id, edit.text, edit.keyboard, edit.what
            )
            if outcome is Edit.THROTTLED:
                break
            if outcome is Edit.LATER:
                continue
            async with self.uows() as uow:
                await self.edited(uow, item, outcome, now)
                await uow.commit()
            if outcome is Edit.DONE:
                edited += 1
        return edited

    @abstractmethod
    async def due(self, uow: UnitOfWork, now: datetime) -> Sequence[T]:
        """The boards to edit this round."""

    @abstractmethod
    def edit_of(self, item: T, now: datetime) -> BoardEdit:
        """Where the board is and what it should say now."""

    @abstractmethod
    async def edited(self, uow: UnitOfWork, item: T, outcome: Edit, now: datetime) -> None:
        """Record the outcome: ``Edit.DONE`` (shown as of ``now``) or ``Edit.GONE``."""
