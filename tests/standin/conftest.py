"""Fixtures for the stand-in's own tests: a running stand-in and the two real clients.

The repository root is put on ``sys.path`` here so these tests run the same under
``python -m pytest`` and a bare ``pytest`` before any packaging config exists.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from aiogram import Bot as AiogramBot  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from telegram import Bot as PtbBot  # noqa: E402

from bot.standin import BotApiStandIn  # noqa: E402

TOKEN = "123456:STANDIN"


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    """A started stand-in; the test fails afterwards if any call broke the description."""
    server = BotApiStandIn(token=TOKEN, webhook_retry_delay=0.02)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def aiogram_bot(standin: BotApiStandIn) -> AsyncIterator[AiogramBot]:
    """A real aiogram Bot whose session points at the stand-in."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.base_url))
    bot = AiogramBot(TOKEN, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest_asyncio.fixture
async def ptb_bot(standin: BotApiStandIn) -> AsyncIterator[PtbBot]:
    """A real, initialised python-telegram-bot Bot pointing at the stand-in."""
    bot = PtbBot(
        TOKEN,
        base_url=f"{standin.base_url}/bot",
        base_file_url=f"{standin.base_url}/file/bot",
    )
    await bot.initialize()
    try:
        yield bot
    finally:
        await bot.shutdown()
