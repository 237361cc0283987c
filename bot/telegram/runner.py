"""Long polling on either framework (``BOT_FRAMEWORK``), started and stopped from asyncio.

``PollingBot`` is what ``storefront run``, ``storefront sandbox``, the end-to-end tests and the
benchmarks all use, so the path they exercise is the production path.
"""

from __future__ import annotations

import asyncio
import contextlib
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


class PollingBot(Protocol):
    framework: Framework

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def sender(self) -> BotApiSender:
        """The bot's Bot API calls, for messages and refunds outside an update."""
        ...


class AiogramPolling:
    framework: Framework = "aiogram"

    def __init__(
        self, storefront: Storefront, token: str, api_base: str, poll_timeout: int = 30
    ) -> None:
        from aiogram import Bot, Dispatcher
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        from bot.telegram.aiogram_app import build_router

        self.storefront = storefront
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
        self.bot = Bot(token, session=session)
        # The storefront keeps its UI steps in its own store (the database, later Redis), so
        # aiogram's FSM middleware would only cost time on every update.
        self.dispatcher = Dispatcher(disable_fsm=True)
        self.dispatcher.include_router(build_router(storefront))
        self.poll_timeout = poll_timeout
        self._task: asyncio.Task[None] | None = None

    def sender(self) -> BotApiSender:
        from bot.telegram.aiogram_app import AiogramSender

        return AiogramSender(self.bot)

    async def start(self) -> None:
        from bot.telegram.aiogram_app import set_commands

        me = await self.bot.me()
        self.storefront.config.bot_username = me.username
        await self.bot.delete_webhook()
        await set_commands(self.bot, self.storefront)
        self._task = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=ALLOWED_UPDATES,
                polling_timeout=self.poll_timeout,
            )
        )
        log.info("aiogram polling as @%s", me.username)

    async def stop(self) -> None:
        if self._task is not None:
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:  # "Polling is not started": the task has not run yet
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.bot.session.close()


class PtbPolling:
    framework: Framework = "ptb"
    #: Whether the Application gets an Updater (long polling) or none (webhook mode).
    polls = True

    def __init__(
        self, storefront: Storefront, token: str, api_base: str, poll_timeout: int = 30
    ) -> None:
        # Opt in to PTB 23's timedelta durations now: PTB 22 otherwise warns on every 429
        # (RetryAfter) it builds. Our adapter reads retry_after either way.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        from telegram.ext import Application

        from bot.telegram.ptb_app import install

        self.storefront = storefront
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api_base}/bot")
            .base_file_url(f"{api_base}/file/bot")
            # Handle updates concurrently, as aiogram does: a slow update never blocks others.
            .concurrent_updates(True)
        )
        if not self.polls:  # webhook mode: the webhook server feeds process_update
            builder = builder.updater(None)
        self.application: Any = builder.build()
        install(self.application, storefront)
        self.poll_timeout = poll_timeout

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
        await app.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES,
            timeout=self.poll_timeout,
        )
        log.info("python-telegram-bot polling as @%s", app.bot.username)

    async def stop(self) -> None:
        app = self.application
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


def make_polling(
    framework: Framework, storefront: Storefront, token: str, api_base: str, poll_timeout: int = 30
) -> PollingBot:
    if framework == "aiogram":
        return AiogramPolling(storefront, token, api_base, poll_timeout)
    if framework == "ptb":
        return PtbPolling(storefront, token, api_base, poll_timeout)
    raise ValueError(f"BOT_FRAMEWORK must be 'aiogram' or 'ptb', not {framework!r}")
