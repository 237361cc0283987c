"""The webhook baseline: a bare echo bot on each framework, served by webhook, in its own process.

An aiohttp server checks the secret header and feeds each update to the framework the way
``bot/telegram/webhook.py`` does (aiogram's ``feed_update``, python-telegram-bot's
``process_update``), answering 200 once it is handled; the bot answers every text with one
``sendMessage`` and touches no database. Run as
``python -m bench.echo_webhook FRAMEWORK TOKEN API_BASE PORT SECRET``; it calls setWebhook with
``http://127.0.0.1:PORT/hook``.
"""

from __future__ import annotations

import asyncio
import hmac
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Handle = Callable[[dict[str, Any]], Awaitable[None]]


async def _aiogram(token: str, api_base: str) -> tuple[Handle, Any, Callable[[], Awaitable[Any]]]:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message, Update

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    dispatcher = Dispatcher()
    router = Router()

    @router.message()
    async def echo(message: Message, bot: Bot) -> None:
        await bot.send_message(chat_id=message.chat.id, text=message.text or "?")

    dispatcher.include_router(router)

    async def handle(data: dict[str, Any]) -> None:
        await dispatcher.feed_update(bot, Update.model_validate(data, context={"bot": bot}))

    return handle, bot, bot.session.close


async def _ptb(token: str, api_base: str) -> tuple[Handle, Any, Callable[[], Awaitable[Any]]]:
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
        .updater(None)
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()

    async def handle(data: dict[str, Any]) -> None:
        await app.process_update(Update.de_json(data, app.bot))

    async def close() -> None:
        await app.stop()
        await app.shutdown()

    return handle, app.bot, close


async def main(framework: str, token: str, api_base: str, port: int, secret: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    handle, bot, close = await (_aiogram if framework == "aiogram" else _ptb)(token, api_base)

    async def update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret.encode()):
            return web.json_response({"ok": False}, status=401)
        await handle(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.add_routes([web.post("/hook", update)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await bot.set_webhook(
        url=f"http://127.0.0.1:{port}/hook", secret_token=secret, allowed_updates=["message"]
    )
    await stop.wait()
    await runner.cleanup()
    await close()


if __name__ == "__main__":
    framework, token, api_base, port, secret = sys.argv[1:6]
    asyncio.run(main(framework, token, api_base, int(port), secret))
