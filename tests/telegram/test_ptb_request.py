"""python-telegram-bot over aiohttp (``AiohttpRequest``): form and multipart calls reach the Bot
API stand-in as PTB sends them, and failures on the wire become PTB's own errors."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest
from aiohttp import web

os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.standin import BotApiSpec, BotApiStandIn
from bot.telegram.ptb_request import AiohttpRequest

TOKEN = "42:REQUEST"
HELLO = RequestData(
    [RequestParameter.from_input("chat_id", 1), RequestParameter.from_input("text", "Hi")]
)


async def test_messages_and_uploads_reach_the_bot_api_and_its_refusals_come_back() -> None:
    async with BotApiStandIn(BotApiSpec.default(), token=TOKEN) as standin:
        chat = standin.private_chat(501, "Ann")
        blocked = standin.private_chat(502, "Bob")
        standin.block_chat(blocked.id)
        bot = Bot(TOKEN, base_url=f"{standin.base_url}/bot", request=AiohttpRequest(4))
        await bot.initialize()
        try:
            sent = await bot.send_message(chat_id=chat.id, text="<b>Hi</b>", parse_mode="HTML")
            document = await bot.send_document(
                chat_id=chat.id, document=b"id,name\n1,Tea\n", filename="stock.csv", caption="x"
            )
            with pytest.raises(Forbidden):
                await bot.send_message(chat_id=blocked.id, text="Hi")
            with pytest.raises(BadRequest):
                await bot.send_message(chat_id=chat.id, text="")
        finally:
            await bot.shutdown()
        assert sent.text == "Hi"
        assert document.document is not None
        assert document.document.file_name == "stock.csv"
        stored = standin.files.get(document.document.file_id)
        assert stored is not None
        assert stored.content == b"id,name\n1,Tea\n"
        assert [m.get("text") or m.get("caption") for m in chat.messages()] == ["Hi", "x"]


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage", HELLO)
        assert not isinstance(caught.value, TimedOut)
    finally:
        await request.shutdown()


async def test_an_answer_slower_than_the_read_timeout_is_timed_out() -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{path:.*}", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    request = AiohttpRequest(2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(
                f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage",
                HELLO,
                read_timeout=0.2,
                write_timeout=0.1,
            )
    finally:
        release.set()
        await request.shutdown()
        await runner.cleanup()


async def test_calls_before_initialize_or_after_shutdown_are_refused() -> None:
    request = AiohttpRequest(1)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/botX/getMe", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/botX/getMe", "POST")
