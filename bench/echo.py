"""The baseline: a bare echo bot on each framework, in its own process.

It answers every text message with one ``sendMessage`` and touches no database: the fastest a
bot on that framework goes against the same Bot API server, so the storefront's rate is read
against it. Run as ``python -m bench.echo FRAMEWORK TOKEN API_BASE``; it prints one line
("echo bot polling on ...") when it starts polling (``bench/startup.py`` times that).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any


async def _aiogram(token: str, api_base: str, stop: asyncio.Event) -> None:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    dispatcher = Dispatcher()
    router = Router()

    @router.message()
    async def echo(message: Message, bot: Bot) -> None:
        await bot.send_message(chat_id=message.chat.id, text=message.text or "?")

    dispatcher.include_router(router)

    async def polling() -> None:  # aiogram's startup: just before its first getUpdates
        print("echo bot polling on aiogram", flush=True)

    dispatcher.startup.register(polling)
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, polling_timeout=1, allowed_updates=["message"]
        )
    )
    await stop.wait()
    await dispatcher.stop_polling()
    await task


async def _ptb(token: str, api_base: str, stop: asyncio.Event) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    from bot.telegram.ptb_request import AiohttpRequest

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await context.bot.send_message(
            chat_id=update.message.chat.id, text=update.message.text or "?"
        )

    app: Any = (
        Application.builder()
        .token(token)
        .base_url(f"{api_base}/bot")
        .base_file_url(f"{api_base}/file/bot")
        # The same HTTP client and pool size as the shop's (``bot.telegram.ptb_request``,
        # ``BOT_API_CONNECTIONS``), without importing the shop.
        .request(AiohttpRequest(64))
        .get_updates_request(AiohttpRequest(1))
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=1, allowed_updates=["message"])
        print("echo bot polling on ptb", flush=True)
        await stop.wait()
        await app.updater.stop()
        await app.stop()


async def main(framework: str, token: str, api_base: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await (_aiogram if framework == "aiogram" else _ptb)(token, api_base, stop)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
