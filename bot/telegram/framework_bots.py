"""The storefront on either framework (``BOT_FRAMEWORK``), fed one raw update at a time.

Both run modes feed these the update's JSON as Telegram sent it: the webhook server
(``bot.telegram.webhook``) the body of Telegram's POST, long polling (``bot.telegram.runner``)
the row of its inbox. ``process`` parses the update the framework's own way and dispatches it
through the framework (aiogram's ``Dispatcher.feed_update``, python-telegram-bot's
``Application.process_update``), and raises when it was not handled, so the caller can try it
again (the database was out) or give up on it (the framework refused it).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Literal, Protocol

from bot.conversation.storefront import Storefront
from bot.telegram.sending import BotApiSender

log = logging.getLogger(__name__)

#: The update types the storefront handles (sent as ``allowed_updates``).
ALLOWED_UPDATES = [
    "message",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "inline_query",
    "chosen_inline_result",
]

Framework = Literal["aiogram", "ptb"]

#: Connections each framework's HTTP client keeps to the Bot API (aiohttp's connector
#: ``limit``, on both): a paid drop's 48 sends at once (``DropSender``) and the replies to
#: updates alongside; a call beyond them waits for a free one (``ptb_request.POOL`` seconds
#: on PTB, none on aiogram). Defaults were 100 (aiogram) and httpx's 256 (PTB).
BOT_API_CONNECTIONS = 64


class FrameworkBot(Protocol):
    framework: Framework

    async def start(self) -> None:
        """Connect (getMe, the command menu) and get ready to process updates."""
        ...

    async def process(self, update: dict[str, Any]) -> None:
        """Handle one update; raises if it was not handled."""
        ...

    async def set_webhook(self, url: str, secret: str) -> None: ...
    async def delete_webhook(self) -> None: ...
    async def stop(self) -> None:
        """Close the Telegram session (after the updates in flight delivered their replies)."""
        ...

    def sender(self) -> BotApiSender:
        """The bot's Bot API calls, for messages and refunds outside an update."""
        ...


class AiogramBot:
    """aiogram's Bot and a Dispatcher with the storefront's router."""

    framework: Framework = "aiogram"

    def __init__(self, storefront: Storefront, token: str, api_base: str) -> None:
        from aiogram import Bot, Dispatcher
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        from bot.telegram.aiogram_app import build_router

        self.storefront = storefront
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(api_base), limit=BOT_API_CONNECTIONS
        )
        self.bot = Bot(token, session=session)
        # The storefront keeps its UI steps in its own store (the database, later Redis), so
        # aiogram's FSM middleware would only cost time on every update.
        self.dispatcher = Dispatcher(disable_fsm=True)
        self.dispatcher.include_router(build_router(storefront))

    def sender(self) -> BotApiSender:
        from bot.telegram.aiogram_app import AiogramSender

        return AiogramSender(self.bot)

    async def start(self) -> None:
        from bot.telegram.aiogram_app import set_commands

        me = await self.bot.me()
        self.storefront.config.bot_username = me.username
        await set_commands(self.bot, self.storefront)
        log.info("aiogram bot @%s", me.username)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)

    async def process(self, update: dict[str, Any]) -> None:
        from aiogram.types import Update

        parsed = Update.model_validate(update, context={"bot": self.bot})
        # feed_update, not feed_webhook_update: the latter answers after 55 s whether or not
        # the update was handled, and swallows the failure that should make Telegram resend.
        await self.dispatcher.feed_update(self.bot, parsed)

    async def stop(self) -> None:
        await self.bot.session.close()


class PtbBot:
    """python-telegram-bot's Application with the storefront's handlers and no Updater; an
    error handler hands a handler's failure back to ``process``."""

    framework: Framework = "ptb"

    def __init__(self, storefront: Storefront, token: str, api_base: str) -> None:
        # Opt in to PTB 23's timedelta durations now: PTB 22 otherwise warns on every 429
        # (RetryAfter) it builds. Our adapter reads retry_after either way.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from telegram.ext import Application

        from bot.telegram.ptb_app import install
        from bot.telegram.ptb_request import AiohttpRequest

        self.storefront = storefront
        self.application: Any = (
            Application.builder()
            .token(token)
            .base_url(f"{api_base}/bot")
            .base_file_url(f"{api_base}/file/bot")
            # Handle updates concurrently, as aiogram does: a slow update never blocks others.
            .concurrent_updates(True)
            # Its Bot API calls over aiohttp (``bot.telegram.ptb_request``), as aiogram's.
            .request(AiohttpRequest(BOT_API_CONNECTIONS))
            .updater(None)
            .build()
        )
        install(self.application, storefront)
        self._failures: dict[int, list[BaseException]] = {}
        self.application.add_error_handler(self._record_failure)

    async def _record_failure(self, update: object, context: Any) -> None:
        failures = self._failures.get(id(update))
        if failures is not None and context.error is not None:
            failures.append(context.error)
        elif context.error is not None:  # not an update of ours (a job): log it
            log.error("python-telegram-bot error", exc_info=context.error)

    def sender(self) -> BotApiSender:
        from bot.telegram.ptb_app import PtbSender

        return PtbSender(self.application.bot)

    async def start(self) -> None:
        from bot.telegram.ptb_app import set_commands

        app = self.application
        await app.initialize()
        self.storefront.config.bot_username = app.bot.username
        await set_commands(app.bot, self.storefront)
        await app.start()
        log.info("python-telegram-bot bot @%s", app.bot.username)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.application.bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )

    async def delete_webhook(self) -> None:
        await self.application.bot.delete_webhook(drop_pending_updates=False)

    async def process(self, update: dict[str, Any]) -> None:
        from telegram import Update

        app = self.application
        parsed = Update.de_json(update, app.bot)
        failures: list[BaseException] = []
        self._failures[id(parsed)] = failures
        try:
            await app.process_update(parsed)
        finally:
            del self._failures[id(parsed)]
        if failures:
            raise failures[0]

    async def stop(self) -> None:
        app = self.application
        if app.running:
            await app.stop()
        await app.shutdown()


def make_framework_bot(
    framework: Framework, storefront: Storefront, token: str, api_base: str
) -> FrameworkBot:
    if framework == "aiogram":
        return AiogramBot(storefront, token, api_base)
    if framework == "ptb":
        return PtbBot(storefront, token, api_base)
    raise ValueError(f"BOT_FRAMEWORK must be 'aiogram' or 'ptb', not {framework!r}")
