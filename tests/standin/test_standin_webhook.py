"""Webhook mode: delivery with the secret header, retries, info, and the getUpdates conflict."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web
from telegram.error import Conflict

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio


@dataclass
class Receiver:
    """A tiny webhook endpoint that records deliveries and can fail on purpose."""

    url: str = ""
    received: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    fail_first: int = 0
    reply: dict[str, object] | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=500)
        body = await request.json()
        self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.arrived.set()
        if self.reply is not None:
            return web.json_response(self.reply)
        return web.Response(status=200)

    async def wait_for(self, count: int, timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    target.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield target
    finally:
        await runner.cleanup()


async def test_webhook_delivers_in_order_with_secret_and_retries(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot, receiver: Receiver
) -> None:
    chat = standin.private_chat(6001)
    early = chat.send_text("queued before the webhook")
    receiver.fail_first = 2
    assert await aiogram_bot.set_webhook(receiver.url, secret_token="s3cr3t-Token_1")
    late = chat.send_text("/menu")
    await receiver.wait_for(2)
    assert [body["update_id"] for body, _ in receiver.received] == [
        early["update_id"],
        late["update_id"],
    ]
    assert {secret for _, secret in receiver.received} == {"s3cr3t-Token_1"}
    assert receiver.received[1][0]["message"]["text"] == "/menu"
    await standin.wait_until_confirmed(late["update_id"], timeout=1)
    info = await ptb_bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert standin.state.webhook is not None
    assert standin.state.webhook.failures == 2

    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await aiogram_bot.get_updates(timeout=0)
    with pytest.raises(Conflict, match="webhook is active"):
        await ptb_bot.get_updates(timeout=0)

    assert await ptb_bot.delete_webhook()
    assert (await aiogram_bot.get_webhook_info()).url == ""
    after = chat.send_text("polling again")
    updates = await aiogram_bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [after["update_id"]]
    assert standin.violations == []


async def test_webhook_reply_method_and_drop_pending(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, receiver: Receiver
) -> None:
    chat = standin.private_chat(6002)
    chat.send_text("dropped")
    receiver.reply = {"method": "sendMessage", "chat_id": chat.id, "text": "from the reply"}
    await aiogram_bot.set_webhook(receiver.url, drop_pending_updates=True)
    assert standin.pending_updates == 0
    chat.send_text("hello")
    call = await standin.wait_for_call("sendMessage", timeout=3)
    assert call.ok
    assert call.params == {"chat_id": chat.id, "text": "from the reply"}
    assert [len(receiver.received)] == [1]
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await aiogram_bot.set_webhook(receiver.url, secret_token="no spaces")
    assert standin.violations == []
