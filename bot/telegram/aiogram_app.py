"""The aiogram 3 adapter: a Router to include into any Dispatcher, and its Sender.

Mount into an existing bot with ``dp.include_router(build_router(storefront))``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiogram import Bot, Router, methods
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import Response
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    ChosenInlineResult,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultCachedVideo,
    InlineQueryResultPhoto,
    InputMediaPhoto,
    InputMediaVideo,
    InputTextMessageContent,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ShippingOption,
    ShippingQuery,
    Update,
    WebAppInfo,
)

from bot.conversation.delivery import DeliveryError, Failure, classify_bad_request
from bot.conversation.replies import AnswerInline, InlineArticle, InlineProduct, Keyboard, MediaRef
from bot.conversation.storefront import Storefront
from bot.domain.catalog import MediaKind
from bot.telegram.handling import bot_username, run_update
from bot.telegram.sending import HTML, BotApiSender, inline_shape, media_source
from bot.telegram.translate import (
    chosen_event,
    inline_event,
    message_event,
    pre_checkout_event,
    press_event,
    shipping_event,
)

#: The Bot API methods the storefront calls through aiogram.
_METHODS_USED = (
    methods.GetMe,
    methods.GetUpdates,
    methods.DeleteWebhook,
    methods.SetMyCommands,
    methods.SendMessage,
    methods.SendVideo,
    methods.SendPhoto,
    methods.SendDocument,
    methods.EditMessageText,
    methods.EditMessageCaption,
    methods.EditMessageMedia,
    methods.EditMessageReplyMarkup,
    methods.DeleteMessage,
    methods.AnswerCallbackQuery,
    methods.SendInvoice,
    methods.AnswerShippingQuery,
    methods.AnswerPreCheckoutQuery,
    methods.RefundStarPayment,
    methods.AnswerInlineQuery,
    methods.PinChatMessage,
    methods.UnpinChatMessage,
    methods.GetChat,
    methods.GetChatMember,
)
_pinned_response_models: list[type] = []


def pin_response_models() -> None:
    """Keep aiogram's ``Response[T]`` models alive for the methods we call.

    aiogram builds ``Response[method.__returning__]`` for every reply it parses, and pydantic
    caches generic models in a weak dictionary, so the class is garbage-collected and rebuilt
    again and again (about a millisecond each time). Holding a reference makes every lookup a
    cache hit; in ``storefront bench updates`` this was the largest single cost of a press.
    """
    if not _pinned_response_models:
        _pinned_response_models.extend(
            Response[m.__returning__]  # type: ignore[name-defined]  # a value, not a type
            for m in _METHODS_USED
        )


@lru_cache(maxsize=4096)
def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """aiogram's markup for a neutral keyboard; cached, since building the pydantic models
    costs more than the rest of a card press and the same keyboards recur."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=b.text,
                    callback_data=b.callback,
                    url=b.url,
                    pay=b.pay or None,
                    switch_inline_query=b.share,
                    web_app=WebAppInfo(url=b.web_app) if b.web_app else None,
                )
                for b in row
            ]
            for row in keyboard
        ]
    )


def _file(media: MediaRef) -> str | FSInputFile | BufferedInputFile:
    if media.data is not None:
        return BufferedInputFile(media.data, filename=media.filename)
    source = media_source(media)
    return FSInputFile(source) if isinstance(source, Path) else source


class AiogramSender(BotApiSender):
    """Bot API calls through aiogram, errors mapped to ``DeliveryError``."""

    async def username(self) -> str | None:
        bot: Bot = self.bot
        return (await bot.me()).username

    async def _call(self, coro: Awaitable[Any]) -> Any:
        try:
            return await coro
        except TelegramRetryAfter as exc:
            raise DeliveryError(Failure.RETRY_AFTER, exc.message, exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise DeliveryError(Failure.FORBIDDEN, exc.message) from exc
        except TelegramBadRequest as exc:
            raise DeliveryError(classify_bad_request(exc.message), exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise DeliveryError(Failure.NETWORK, str(exc)) from exc

    def _markup(self, keyboard: Keyboard | None) -> Any:
        return _markup(keyboard)

    def _file(self, media: MediaRef) -> Any:
        return _file(media)

    def _upload(self, data: bytes, filename: str) -> Any:
        return BufferedInputFile(data, filename=filename)

    def _input_media(self, media: MediaRef, caption: str) -> Any:
        kind = InputMediaVideo if media.kind is MediaKind.VIDEO else InputMediaPhoto
        return kind(media=_file(media), caption=caption, parse_mode=HTML)

    def _prices(self, prices: tuple[tuple[str, int], ...]) -> list[Any]:
        return [LabeledPrice(label=label, amount=amount) for label, amount in prices]

    def _shipping_option(self, option_id: str, title: str, prices: list[Any]) -> Any:
        return ShippingOption(id=option_id, title=title, prices=prices)

    def _inline_results(self, answer: AnswerInline) -> list[Any]:
        return [_inline_result(r) for r in answer.results]


def _inline_result(r: InlineArticle | InlineProduct) -> Any:
    if isinstance(r, InlineArticle):
        return InlineQueryResultArticle(
            id=r.id,
            title=r.title,
            input_message_content=InputTextMessageContent(message_text=r.text, parse_mode=HTML),
            reply_markup=_markup(r.keyboard),
            description=r.description,
        )
    shape = inline_shape(r)
    common: dict[str, Any] = {
        "id": r.id,
        "title": r.title,
        "description": r.description,
        "reply_markup": _markup(r.keyboard),
    }
    media = r.media
    if shape == "cached_video" and media is not None and media.file_id:
        return InlineQueryResultCachedVideo(
            video_file_id=media.file_id, caption=r.caption, parse_mode=HTML, **common
        )
    if shape == "cached_photo" and media is not None and media.file_id:
        return InlineQueryResultCachedPhoto(
            photo_file_id=media.file_id, caption=r.caption, parse_mode=HTML, **common
        )
    if shape == "photo_url" and media is not None:
        return InlineQueryResultPhoto(
            photo_url=media.source,
            thumbnail_url=media.source,
            caption=r.caption,
            parse_mode=HTML,
            **common,
        )
    return InlineQueryResultArticle(
        input_message_content=InputTextMessageContent(message_text=r.caption, parse_mode=HTML),
        **common,
    )


def build_router(storefront: Storefront) -> Router:
    """A Router with the whole storefront; include it into any aiogram Dispatcher."""
    router = Router(name="storefront")
    pin_response_models()

    @router.message()
    async def on_message(message: Message, bot: Bot, event_update: Update) -> None:
        sender = AiogramSender(bot)
        username = await bot_username(storefront, sender)
        update_id = event_update.update_id
        await run_update(
            storefront, sender, update_id, message_event(update_id, message, username)
        )

    @router.callback_query()
    async def on_callback(query: CallbackQuery, bot: Bot, event_update: Update) -> None:
        sender = AiogramSender(bot)
        await bot_username(storefront, sender)
        update_id = event_update.update_id
        await run_update(storefront, sender, update_id, press_event(update_id, query))

    @router.shipping_query()
    async def on_shipping(query: ShippingQuery, bot: Bot, event_update: Update) -> None:
        update_id = event_update.update_id
        await run_update(
            storefront, AiogramSender(bot), update_id, shipping_event(update_id, query)
        )

    @router.pre_checkout_query()
    async def on_pre_checkout(query: PreCheckoutQuery, bot: Bot, event_update: Update) -> None:
        update_id = event_update.update_id
        await run_update(
            storefront, AiogramSender(bot), update_id, pre_checkout_event(update_id, query)
        )

    @router.inline_query()
    async def on_inline(query: InlineQuery, bot: Bot, event_update: Update) -> None:
        sender = AiogramSender(bot)
        await bot_username(storefront, sender)
        update_id = event_update.update_id
        await run_update(storefront, sender, update_id, inline_event(update_id, query))

    @router.chosen_inline_result()
    async def on_chosen(chosen: ChosenInlineResult, bot: Bot, event_update: Update) -> None:
        update_id = event_update.update_id
        await run_update(
            storefront, AiogramSender(bot), update_id, chosen_event(update_id, chosen)
        )

    return router


async def set_commands(bot: Bot, storefront: Storefront) -> None:
    """Register the command menu in every language the shop speaks (``setMyCommands``)."""
    for language, menu in storefront.command_menus():
        await bot.set_my_commands(
            commands=[BotCommand(command=c, description=d) for c, d in menu],
            scope=BotCommandScopeDefault(),
            language_code=language,
        )
