"""Messages a bot keeps up to date in a group or channel (a team's progress, a sale's units
and countdown): posting one and editing it, with what each Telegram answer means for it.

Both boards pace themselves (the domain says when an edit is due); this module only decides,
for one send or edit, whether to try again later, stop editing, or carry on.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from bot.conversation.delivery import DeliveryError, Failure, Sender, Sent
from bot.conversation.replies import Keyboard

log = logging.getLogger(__name__)


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
