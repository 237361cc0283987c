"""The Bot API calls of ``Sender``, written once for both frameworks.

aiogram's and python-telegram-bot's ``Bot`` classes both name their methods and keyword
arguments after the Bot API (``send_message(chat_id=..., text=..., reply_markup=...)``), so the
calls are the same; each adapter supplies only what differs: its keyboard and file types, how
it wraps a teaser for ``editMessageMedia``, and how its exceptions map to ``DeliveryError``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from bot.conversation.delivery import Sent
from bot.conversation.replies import Keyboard, MediaRef
from bot.domain.catalog import MediaKind
from bot.telegram.translate import sent_of

HTML = "HTML"


def media_source(media: MediaRef) -> str | Path:
    """What to send for a teaser: Telegram's file_id once known, else its URL, else the local
    file (each framework wraps a path in its own upload type)."""
    if media.file_id:
        return media.file_id
    if media.source.startswith(("http://", "https://")):
        return media.source
    return Path(media.source)


class BotApiSender(ABC):
    def __init__(self, bot: Any) -> None:
        self.bot = bot

    @abstractmethod
    async def _call(self, call: Awaitable[Any]) -> Any:
        """Await a framework call, turning its errors into ``DeliveryError``."""

    @abstractmethod
    def _markup(self, keyboard: Keyboard | None) -> Any: ...

    @abstractmethod
    def _file(self, media: MediaRef) -> Any:
        """What the framework sends for a top-level video/photo parameter."""

    @abstractmethod
    def _input_media(self, media: MediaRef, caption: str) -> Any:
        """The framework's InputMediaVideo/InputMediaPhoto for ``editMessageMedia``."""

    async def _sent(self, call: Awaitable[Any]) -> Sent:
        sent = sent_of(await self._call(call))
        assert sent is not None, "send methods return the message"
        return sent

    async def send_text(self, chat_id: int, text: str, keyboard: Keyboard | None) -> Sent:
        return await self._sent(
            self.bot.send_message(
                chat_id=chat_id, text=text, parse_mode=HTML, reply_markup=self._markup(keyboard)
            )
        )

    async def send_media(
        self, chat_id: int, media: MediaRef, caption: str, keyboard: Keyboard | None
    ) -> Sent:
        common = {
            "chat_id": chat_id,
            "caption": caption,
            "parse_mode": HTML,
            "reply_markup": self._markup(keyboard),
        }
        if media.kind is MediaKind.VIDEO:
            return await self._sent(self.bot.send_video(video=self._file(media), **common))
        return await self._sent(self.bot.send_photo(photo=self._file(media), **common))

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, keyboard: Keyboard | None
    ) -> None:
        await self._call(
            self.bot.edit_message_text(
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                parse_mode=HTML,
                reply_markup=self._markup(keyboard),
            )
        )

    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str, keyboard: Keyboard | None
    ) -> None:
        await self._call(
            self.bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=caption,
                parse_mode=HTML,
                reply_markup=self._markup(keyboard),
            )
        )

    async def edit_media(
        self,
        chat_id: int,
        message_id: int,
        media: MediaRef,
        caption: str,
        keyboard: Keyboard | None,
    ) -> Sent | None:
        return sent_of(
            await self._call(
                self.bot.edit_message_media(
                    media=self._input_media(media, caption),
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=self._markup(keyboard),
                )
            )
        )

    async def edit_keyboard(
        self, chat_id: int, message_id: int, keyboard: Keyboard | None
    ) -> None:
        await self._call(
            self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=self._markup(keyboard)
            )
        )

    async def delete(self, chat_id: int, message_id: int) -> None:
        await self._call(self.bot.delete_message(chat_id=chat_id, message_id=message_id))

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None:
        await self._call(
            self.bot.answer_callback_query(
                callback_query_id=callback_id, text=text, show_alert=alert or None
            )
        )
