"""The python-telegram-bot 22 adapter: handlers to add to any Application, and its Sender.

Mount into an existing bot with ``install(application, storefront)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultCachedVideo,
    InlineQueryResultPhoto,
    InputFile,
    InputMediaPhoto,
    InputMediaVideo,
    InputTextMessageContent,
    LabeledPrice,
    ShippingOption,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    ShippingQueryHandler,
)
from telegram.ext import filters as ptb_filters

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

T = TypeVar("T")


@lru_cache(maxsize=4096)
def _markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """PTB's markup for a neutral keyboard; cached (PTB objects are immutable)."""
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text,
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


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta; we accept both
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PtbSender(BotApiSender):
    """Bot API calls through python-telegram-bot, errors mapped to ``DeliveryError``."""

    async def username(self) -> str | None:
        bot: Bot = self.bot
        return bot.username

    async def _call(self, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except RetryAfter as exc:
            raise DeliveryError(Failure.RETRY_AFTER, exc.message, _seconds(exc)) from exc
        except Forbidden as exc:
            raise DeliveryError(Failure.FORBIDDEN, exc.message) from exc
        except BadRequest as exc:
            raise DeliveryError(classify_bad_request(exc.message), exc.message) from exc
        except NetworkError as exc:
            raise DeliveryError(Failure.NETWORK, exc.message) from exc

    def _markup(self, keyboard: Keyboard | None) -> Any:
        return _markup(keyboard)

    def _file(self, media: MediaRef) -> Any:
        if media.data is not None:
            return InputFile(media.data, filename=media.filename)
        return media_source(media)

    def _upload(self, data: bytes, filename: str) -> Any:
        return InputFile(data, filename=filename)

    def _input_media(self, media: MediaRef, caption: str) -> Any:
        kind = InputMediaVideo if media.kind is MediaKind.VIDEO else InputMediaPhoto
        if media.data is not None:
            return kind(
                media=media.data, caption=caption, parse_mode=HTML, filename=media.filename
            )
        file = media_source(media)
        if isinstance(file, Path):
            # PTB reads a path inside InputMedia as a local-mode file:// URI; upload the bytes.
            return kind(
                media=file.read_bytes(), caption=caption, parse_mode=HTML, filename=file.name
            )
        return kind(media=file, caption=caption, parse_mode=HTML)

    def _prices(self, prices: tuple[tuple[str, int], ...]) -> list[Any]:
        return [LabeledPrice(label, amount) for label, amount in prices]

    def _shipping_option(self, option_id: str, title: str, prices: list[Any]) -> Any:
        return ShippingOption(option_id, title, prices)

    def _inline_results(self, answer: AnswerInline) -> list[Any]:
        return [_inline_result(r) for r in answer.results]


def _inline_result(r: InlineArticle | InlineProduct) -> Any:
    if isinstance(r, InlineArticle):
        return InlineQueryResultArticle(
            r.id,
            r.title,
            InputTextMessageContent(r.text, parse_mode=HTML),
            reply_markup=_markup(r.keyboard),
            description=r.description,
        )
    shape = inline_shape(r)
    markup = _markup(r.keyboard)
    media = r.media
    if shape == "cached_video" and media is not None and media.file_id:
        return InlineQueryResultCachedVideo(
            r.id,
            media.file_id,
            r.title,
            description=r.description,
            caption=r.caption,
            parse_mode=HTML,
            reply_markup=markup,
        )
    if shape == "cached_photo" and media is not None and media.file_id:
        return InlineQueryResultCachedPhoto(
            r.id,
            media.file_id,
            title=r.title,
            description=r.description,
            caption=r.caption,
            parse_mode=HTML,
            reply_markup=markup,
        )
    if shape == "photo_url" and media is not None:
        return InlineQueryResultPhoto(
            r.id,
            media.source,
            media.source,
            title=r.title,
            description=r.description,
            caption=r.caption,
            parse_mode=HTML,
            reply_markup=markup,
        )
    return InlineQueryResultArticle(
        r.id,
        r.title,
        InputTextMessageContent(r.caption, parse_mode=HTML),
        reply_markup=markup,
        description=r.description,
    )


def build_handlers(storefront: Storefront) -> list[BaseHandler[Update, Any, None]]:
    """The storefront's handlers; add them to any PTB Application."""

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        sender = PtbSender(context.bot)
        username = await bot_username(storefront, sender)
        event = message_event(update.update_id, message, username) if message else None
        await run_update(storefront, sender, update.update_id, event)

    async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        sender = PtbSender(context.bot)
        await bot_username(storefront, sender)
        event = press_event(update.update_id, query) if query else None
        await run_update(storefront, sender, update.update_id, event)

    async def on_shipping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.shipping_query
        event = shipping_event(update.update_id, query) if query else None
        await run_update(storefront, PtbSender(context.bot), update.update_id, event)

    async def on_pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.pre_checkout_query
        event = pre_checkout_event(update.update_id, query) if query else None
        await run_update(storefront, PtbSender(context.bot), update.update_id, event)

    async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        sender = PtbSender(context.bot)
        await bot_username(storefront, sender)
        event = inline_event(update.update_id, query) if query else None
        await run_update(storefront, sender, update.update_id, event)

    async def on_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chosen = update.chosen_inline_result
        event = chosen_event(update.update_id, chosen) if chosen else None
        await run_update(storefront, PtbSender(context.bot), update.update_id, event)

    return [
        MessageHandler(ptb_filters.UpdateType.MESSAGE, on_message),
        InlineQueryHandler(on_inline),
        ChosenInlineResultHandler(on_chosen),
        CallbackQueryHandler(on_callback),
        ShippingQueryHandler(on_shipping),
        PreCheckoutQueryHandler(on_pre_checkout),
    ]


def install(
    application: Application[Any, Any, Any, Any, Any, Any], storefront: Storefront, group: int = 0
) -> None:
    application.add_handlers(build_handlers(storefront), group=group)


async def set_commands(bot: Bot, storefront: Storefront) -> None:
    """Register the command menu in every language the shop speaks (``setMyCommands``)."""
    for language, menu in storefront.command_menus():
        await bot.set_my_commands(
            commands=[BotCommand(c, d) for c, d in menu],
            scope=BotCommandScopeDefault(),
            language_code=language,
        )
