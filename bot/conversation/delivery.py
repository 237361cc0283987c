"""Delivering replies: the part of sending that is the same on every framework.

An adapter implements ``Sender`` (one Bot API call per method) and maps its framework's errors
to ``DeliveryError``; ``deliver`` decides what to do about them, so both frameworks behave alike:
"message is not modified" is success, an edit of a vanished message becomes a new message, a
429 is waited out once, a 403 (blocked) stops sending to that chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from bot.conversation.replies import (
    AnswerCallback,
    AnswerInline,
    AnswerPreCheckout,
    AnswerShipping,
    DeleteMessage,
    EditCaption,
    EditKeyboard,
    EditMedia,
    EditText,
    Keyboard,
    MediaRef,
    Reply,
    SendDocument,
    SendInvoice,
    SendMedia,
    SendText,
)

log = logging.getLogger(__name__)

#: Longest 429 back-off we wait out inline; longer ones are dropped (the person can retry).
MAX_INLINE_RETRY_AFTER = 5.0


class Failure(StrEnum):
    NOT_MODIFIED = "not_modified"  # the edit changes nothing: fine
    MESSAGE_GONE = "message_gone"  # deleted, too old to edit, or of another kind
    FORBIDDEN = "forbidden"  # blocked by the user, kicked from the group
    RETRY_AFTER = "retry_after"  # 429
    BAD_REQUEST = "bad_request"  # our bug or a refused file
    NETWORK = "network"  # timeouts, 5xx


_GONE_MARKERS = (
    "message to edit not found",
    "message can't be edited",
    "message to delete not found",
    "there is no text in the message to edit",
    "there is no caption in the message to edit",
    "message can't be deleted",
    "there is no media in the message to edit",
)


def classify_bad_request(description: str) -> Failure:
    text = description.lower()
    if "message is not modified" in text:
        return Failure.NOT_MODIFIED
    if any(marker in text for marker in _GONE_MARKERS):
        return Failure.MESSAGE_GONE
    return Failure.BAD_REQUEST


class DeliveryError(Exception):
    def __init__(
        self, failure: Failure, description: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(description or failure.value)
        self.failure = failure
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int
    #: The ``file_id`` Telegram assigned to the video or photo in the message, if any.
    file_id: str | None = None


class Sender(Protocol):
    # ``paid``: ``allow_paid_broadcast`` (drops sent at up to 1,000/s, paid in Stars).
    async def send_text(
        self, chat_id: int, text: str, keyboard: Keyboard | None, *, paid: bool = False
    ) -> Sent: ...
    async def send_media(
        self,
        chat_id: int,
        media: MediaRef,
        caption: str,
        keyboard: Keyboard | None,
        *,
        paid: bool = False,
    ) -> Sent: ...
    async def send_document(
        self, chat_id: int, data: bytes, filename: str, caption: str, keyboard: Keyboard | None
    ) -> Sent: ...
    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None
    ) -> None: ...
    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str, keyboard: Keyboard | None
    ) -> None: ...
    async def edit_media(
        self,
        chat_id: int,
        message_id: int,
        media: MediaRef,
        caption: str,
        keyboard: Keyboard | None,
    ) -> Sent | None: ...
    async def edit_keyboard(
        self, chat_id: int, message_id: int, keyboard: Keyboard | None
    ) -> None: ...
    async def delete(self, chat_id: int, message_id: int) -> None: ...
    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None: ...
    async def send_invoice(self, invoice: SendInvoice) -> Sent: ...
    async def answer_shipping(self, answer: AnswerShipping) -> None: ...
    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None: ...
    async def answer_inline(self, answer: AnswerInline) -> None: ...
    async def pin(self, chat_id: int, message_id: int) -> None:
        """``pinChatMessage``, quietly (no notification to the members)."""
        ...

    async def unpin(self, chat_id: int, message_id: int) -> None: ...
    async def resolve_chat(self, chat_ref: str) -> int:
        """The numeric id of a chat named by ``@username`` (``getChat``)."""
        ...

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Whether the person owns or administers the chat (``getChatMember``)."""
        ...


FileIdSink = Callable[[int, str], Awaitable[None]]


async def _send(reply: Reply, sender: Sender) -> Sent | None:
    match reply:
        case SendText(chat_id, text, keyboard):
            return await sender.send_text(chat_id, text, keyboard)
        case SendMedia(chat_id, media, caption, keyboard):
            return await sender.send_media(chat_id, media, caption, keyboard)
        case SendDocument(chat_id, data, filename, caption, keyboard):
            return await sender.send_document(chat_id, data, filename, caption, keyboard)
        case EditText(chat_id, message_id, text, keyboard):
            await sender.edit_text(chat_id, message_id, text, keyboard)
        case EditCaption(chat_id, message_id, caption, keyboard):
            await sender.edit_caption(chat_id, message_id, caption, keyboard)
        case EditMedia(chat_id, message_id, media, caption, keyboard):
            return await sender.edit_media(chat_id, message_id, media, caption, keyboard)
        case EditKeyboard(chat_id, message_id, keyboard):
            await sender.edit_keyboard(chat_id, message_id, keyboard)
        case DeleteMessage(chat_id, message_id):
            await sender.delete(chat_id, message_id)
        case AnswerCallback(callback_id, text, alert):
            await sender.answer_callback(callback_id, text, alert)
        case SendInvoice():
            return await sender.send_invoice(reply)
        case AnswerShipping():
            await sender.answer_shipping(reply)
        case AnswerPreCheckout(query_id, error):
            await sender.answer_pre_checkout(query_id, error)
        case AnswerInline():
            await sender.answer_inline(reply)
    return None


def _as_new_message(reply: Reply) -> Reply | None:
    """What to send instead when the message to edit is gone or cannot take the edit."""
    match reply:
        case EditText(chat_id, _, text, keyboard):
            return SendText(chat_id, text, keyboard)
        case EditMedia(chat_id, _, media, caption, keyboard):
            return SendMedia(chat_id, media, caption, keyboard)
    return None


def _stale_file_id(reply: Reply, exc: DeliveryError) -> bool:
    media = _media_of(reply)
    text = exc.description.lower()
    return bool(
        media
        and media.file_id
        and exc.failure is Failure.BAD_REQUEST
        and ("file identifier" in text or "file_id" in text or "wrong remote file" in text)
    )


def _without_file_id(reply: Reply) -> Reply:
    assert isinstance(reply, SendMedia | EditMedia)
    return replace(reply, media=replace(reply.media, file_id=None))


def _media_of(reply: Reply) -> MediaRef | None:
    return reply.media if isinstance(reply, SendMedia | EditMedia) else None


async def _deliver_one(
    reply: Reply, sender: Sender, remember: FileIdSink | None, blocked: set[int]
) -> bool:
    """Whether the reply reached Telegram (or needed not: an edit that changes nothing)."""
    chat_id = getattr(reply, "chat_id", None)
    if chat_id is not None and chat_id in blocked:
        return False
    for attempt in range(2):
        try:
            sent = await _send(reply, sender)
        except DeliveryError as exc:
            if (
                exc.failure is Failure.NOT_MODIFIED
                or isinstance(reply, DeleteMessage)
                and (exc.failure is Failure.MESSAGE_GONE)
            ):
                return True
            if _stale_file_id(reply, exc) and attempt == 0:
                # The file_id is not this bot's (a new token, a copied database): upload the
                # teaser again from its source; the new file_id is remembered below.
                reply = _without_file_id(reply)
                continue
            if exc.failure is Failure.MESSAGE_GONE:
                replacement = _as_new_message(reply)
                if replacement is not None and attempt == 0:
                    reply = replacement
                    continue
            if (
                exc.failure is Failure.RETRY_AFTER
                and attempt == 0
                and (exc.retry_after or 0) <= MAX_INLINE_RETRY_AFTER
            ):
                await asyncio.sleep(exc.retry_after or 1)
                continue
            if exc.failure is Failure.FORBIDDEN and chat_id is not None:
                blocked.add(chat_id)
            log.warning("%s failed: %s (%s)", type(reply).__name__, exc.failure, exc.description)
            return False
        media = _media_of(reply)
        if (
            sent
            and sent.file_id
            and media
            and media.media_id > 0
            and remember
            and media.file_id != sent.file_id
        ):
            await remember(media.media_id, sent.file_id)
        return True
    return False


async def deliver(
    replies: Sequence[Reply], sender: Sender, remember: FileIdSink | None = None
) -> bool:
    """Send replies in order; the answer to a button press goes out alongside the first one.
    Whether every message reached Telegram (the answer to the press aside)."""
    blocked: set[int] = set()
    answers = [r for r in replies if isinstance(r, AnswerCallback)]
    others = [r for r in replies if not isinstance(r, AnswerCallback)]

    async def in_order() -> bool:
        delivered = True
        for reply in others:
            delivered = await _deliver_one(reply, sender, remember, blocked) and delivered
        return delivered

    if answers:
        *_, delivered = await asyncio.gather(
            *(_deliver_one(a, sender, None, blocked) for a in answers), in_order()
        )
        return delivered
    return await in_order()
