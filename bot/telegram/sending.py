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
from typing import Any, Literal

from bot.conversation.delivery import DeliveryError, Failure, Sent
from bot.conversation.replies import (
    AnswerInline,
    AnswerShipping,
    InlineProduct,
    Keyboard,
    MediaRef,
    SendInvoice,
)
from bot.domain.catalog import MediaKind
from bot.services.payment_port import PaymentError
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


InlineShape = Literal["cached_video", "cached_photo", "photo_url", "article"]


def inline_shape(result: InlineProduct) -> InlineShape:
    """Which InlineQueryResult a product result becomes: inline answers cannot upload, so a
    video needs Telegram's file_id, a photo its file_id or an https URL; else a text card."""
    media = result.media
    if media is not None and media.file_id:
        return "cached_video" if media.kind is MediaKind.VIDEO else "cached_photo"
    if media is not None and media.kind is MediaKind.PHOTO and media.source.startswith("https://"):
        return "photo_url"
    return "article"


def _paid(paid: bool) -> dict[str, bool]:
    """``allow_paid_broadcast`` only when asked for: every other call stays as it was."""
    return {"allow_paid_broadcast": True} if paid else {}


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
    def _upload(self, data: bytes, filename: str) -> Any:
        """The framework's upload type for bytes made on the fly (a document)."""

    @abstractmethod
    def _input_media(self, media: MediaRef, caption: str) -> Any:
        """The framework's InputMediaVideo/InputMediaPhoto for ``editMessageMedia``."""

    @abstractmethod
    def _prices(self, prices: tuple[tuple[str, int], ...]) -> list[Any]:
        """The framework's LabeledPrice list."""

    @abstractmethod
    def _shipping_option(self, option_id: str, title: str, prices: list[Any]) -> Any: ...

    @abstractmethod
    def _inline_results(self, answer: AnswerInline) -> list[Any]:
        """The framework's InlineQueryResult list (see ``inline_shape``)."""

    @abstractmethod
    async def username(self) -> str | None:
        """The bot's @username as the framework knows it."""

    async def _sent(self, call: Awaitable[Any]) -> Sent:
        sent = sent_of(await self._call(call))
        assert sent is not None, "send methods return the message"
        return sent

    async def send_text(
        self, chat_id: int, text: str, keyboard: Keyboard | None, *, paid: bool = False
    ) -> Sent:
        return await self._sent(
            self.bot.send_message(
                chat_id=chat_id,
                text=text,
                parse_mode=HTML,
                reply_markup=self._markup(keyboard),
                **_paid(paid),
            )
        )

    async def send_media(
        self,
        chat_id: int,
        media: MediaRef,
        caption: str,
        keyboard: Keyboard | None,
        *,
        paid: bool = False,
    ) -> Sent:
        common = {
            "chat_id": chat_id,
            "caption": caption,
            "parse_mode": HTML,
            "reply_markup": self._markup(keyboard),
            **_paid(paid),
        }
        if media.kind is MediaKind.VIDEO:
            return await self._sent(self.bot.send_video(video=self._file(media), **common))
        return await self._sent(self.bot.send_photo(photo=self._file(media), **common))

    async def send_document(
        self, chat_id: int, data: bytes, filename: str, caption: str, keyboard: Keyboard | None
    ) -> Sent:
        return await self._sent(
            self.bot.send_document(
                chat_id=chat_id,
                document=self._upload(data, filename),
                caption=caption or None,
                parse_mode=HTML if caption else None,
                reply_markup=self._markup(keyboard),
            )
        )

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

    async def send_invoice(self, invoice: SendInvoice) -> Sent:
        return await self._sent(
            self.bot.send_invoice(
                chat_id=invoice.chat_id,
                title=invoice.title,
                description=invoice.description,
                payload=invoice.payload,
                currency=invoice.currency,
                prices=self._prices(invoice.prices),
                # Telegram Stars take no provider token at all (not even an empty string).
                provider_token=invoice.provider_token or None,
                is_flexible=invoice.is_flexible or None,
                need_name=invoice.need_name or None,
                need_phone_number=invoice.need_phone_number or None,
                need_shipping_address=invoice.need_shipping_address or None,
                photo_url=invoice.photo_url,
                reply_markup=self._markup(invoice.keyboard),
            )
        )

    async def answer_shipping(self, answer: AnswerShipping) -> None:
        options = [
            self._shipping_option(option_id, title, self._prices(prices))
            for option_id, title, prices in answer.options
        ]
        await self._call(
            self.bot.answer_shipping_query(
                shipping_query_id=answer.query_id,
                ok=answer.error is None,
                shipping_options=options if answer.error is None else None,
                error_message=answer.error,
            )
        )

    async def answer_pre_checkout(self, query_id: str, error: str | None) -> None:
        await self._call(
            self.bot.answer_pre_checkout_query(
                pre_checkout_query_id=query_id, ok=error is None, error_message=error
            )
        )

    async def answer_inline(self, answer: AnswerInline) -> None:
        await self._call(
            self.bot.answer_inline_query(
                inline_query_id=answer.query_id,
                results=self._inline_results(answer),
                cache_time=answer.cache_time,
                is_personal=answer.personal or None,
                next_offset=answer.next_offset or None,
            )
        )

    async def pin(self, chat_id: int, message_id: int) -> None:
        await self._call(
            self.bot.pin_chat_message(
                chat_id=chat_id, message_id=message_id, disable_notification=True
            )
        )

    async def unpin(self, chat_id: int, message_id: int) -> None:
        await self._call(self.bot.unpin_chat_message(chat_id=chat_id, message_id=message_id))

    async def resolve_chat(self, chat_ref: str) -> int:
        chat = await self._call(self.bot.get_chat(chat_id=chat_ref))
        return int(chat.id)

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        member = await self._call(self.bot.get_chat_member(chat_id=chat_id, user_id=user_id))
        status = getattr(member.status, "value", member.status)  # aiogram: an enum
        return str(status) in ("creator", "administrator")

    async def refund_stars(self, user_id: int, telegram_charge_id: str) -> None:
        """``refundStarPayment`` (the Stars side of the refund outbox)."""
        try:
            await self._call(
                self.bot.refund_star_payment(
                    user_id=user_id, telegram_payment_charge_id=telegram_charge_id
                )
            )
        except DeliveryError as exc:
            already = "already_refunded" in exc.description.lower()
            raise PaymentError(
                exc.description,
                retryable=exc.failure in (Failure.NETWORK, Failure.RETRY_AFTER),
                code="charge_already_refunded" if already else None,
            ) from exc
