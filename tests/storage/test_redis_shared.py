"""Several bot processes sharing a real Redis: UI steps (typing a quantity) begun in one
process and finished in another, an outage that falls back to the database without losing a
cart, and the shared drop pace. Skipped, with the reason, where no Redis server answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from bot.conversation.replies import EditText, SendMedia, SendText
from bot.conversation.storefront import Storefront
from bot.conversation.turn import ShopConfig
from bot.services.ports import UiState
from bot.workers.drop_pace import Pace
from storage.engine import make_engine
from storage.redis_pace import RedisPace
from storage.redis_state import RedisState
from storage.tables import ConversationStateRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.databases import sqlite_database
from tests.helpers import ANN, Clock, RedisTarget, buttons, command, press, say

pytestmark = pytest.mark.redis
OUTAGE = "Redis unavailable: conversation state in the database"


class Proxy:
    """A TCP proxy in front of Redis that a test can close (an outage) and open again."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


def _process(
    url: str, redis: RedisTarget, redis_url: str | None = None, retry_after: float = 3.0
) -> Storefront:
    """One bot "process": its own engine, caches and Redis client on the shared database."""
    state = RedisState(redis_url or redis.url, prefix=redis.prefix, retry_after=retry_after)
    uows = SqlUnitOfWorkFactory(make_engine(url), redis=state)
    return Storefront(uows, ShopConfig(shop_name="Demo", bot_username="demo_bot"), Clock())


async def _db_steps(shop: Storefront) -> int:
    uows: SqlUnitOfWorkFactory = shop.uows  # type: ignore[assignment]
    async with uows.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(ConversationStateRow)) or 0)


async def _ask_quantity(shop: Storefront) -> None:
    """Ann puts a tripod in her cart and presses its quantity button."""
    [card] = await say(shop, "tripod")
    await press(shop, buttons(card)["🛒 Add to cart"])
    await _press_quantity(shop)


async def _press_quantity(shop: Storefront) -> None:
    [cart] = await command(shop, "/cart")
    qty = next(v for k, v in buttons(cart).items() if k.startswith("✏️"))
    replies = await press(shop, qty, message_id=30)
    assert "How many of Phone Tripod" in replies[-1].text  # type: ignore[union-attr]


@pytest.fixture
async def shops(demo_database_url: str, redis: RedisTarget) -> AsyncIterator[list[Storefront]]:
    url = demo_database_url
    a, b = _process(url, redis), _process(url, redis)
    yield [a, b]
    for shop in (a, b):
        await shop.uows.dispose()  # type: ignore[attr-defined]


async def test_a_quantity_begun_in_one_process_is_finished_in_another(
    shops: list[Storefront], redis: RedisTarget
) -> None:
    a, b = shops
    await _ask_quantity(a)
    client = aioredis.Redis.from_url(redis.url)
    key = f"{redis.prefix}:ui:{ANN.id}:{ANN.id}"
    try:
        assert 0 < await client.ttl(key) <= 24 * 3600  # in Redis, with a TTL
        assert await _db_steps(a) == 0  # not in the database
        replies = await say(b, "3")  # the other process knows what the number is for
        assert any(isinstance(r, SendText | EditText) and "× 3" in r.text for r in replies)
        assert await client.exists(key) == 0  # the step is over, for both
        [found] = await say(a, "mango")
        assert isinstance(found, SendMedia) and "Dried Mango" in found.caption
    finally:
        await client.aclose()


async def test_a_step_is_written_after_the_commit_and_not_at_all_on_rollback(
    shops: list[Storefront], redis: RedisTarget
) -> None:
    uows: SqlUnitOfWorkFactory = shops[0].uows  # type: ignore[assignment]
    now = Clock()()
    async with uows() as uow:
        await uow.ui_states.set(1, 1, UiState("ask", {"line": 7}), now)
        assert uow.has_writes  # a step is a write: the update is claimed and committed
        assert await uow.ui_states.get(1, 1) == UiState("ask", {"line": 7})  # its own write
        # no commit: the update failed and rolled back
    async with uows() as uow:
        assert await uow.ui_states.get(1, 1) is None
        await uow.ui_states.set(1, 1, UiState("ask", {"line": 7}), now)
        await uow.commit()
    async with shops[1].uows() as uow:  # type: ignore[attr-defined]
        assert await uow.ui_states.get(1, 1) == UiState("ask", {"line": 7})


async def test_redis_going_away_falls_back_to_the_database_and_comes_back(
    tmp_path: Path, redis: RedisTarget, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = Proxy(redis.host, redis.port)
    await proxy.open()
    url = sqlite_database(tmp_path / "shop.db", demo=True)
    shop = _process(url, redis, f"redis://127.0.0.1:{proxy.port}/0", retry_after=0.3)
    other = _process(url, redis)  # a process whose Redis stays up
    caplog.set_level(logging.INFO, logger="storage.redis_state")
    try:
        await _ask_quantity(shop)
        await proxy.close()  # Redis goes away mid-conversation
        # The step lived in Redis: "2" is a search now, but the bot answers and the cart stays.
        assert await say(shop, "2")
        [cart] = await command(shop, "/cart")
        assert "Phone Tripod" in cart.text and "× 1" in cart.text  # type: ignore[union-attr]
        await _press_quantity(shop)  # this step goes to the database
        assert await _db_steps(shop) == 1
        replies = await say(shop, "4")
        assert any("× 4" in getattr(r, "text", "") for r in replies)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert [OUTAGE in r.getMessage() for r in warnings] == [True]  # once per outage

        await _press_quantity(shop)  # in the database, then Redis comes back
        await proxy.open()
        await asyncio.sleep(0.35)
        replies = await say(shop, "5")  # found in the database while it moves back
        assert any("× 5" in getattr(r, "text", "") for r in replies)
        await _press_quantity(shop)
        await asyncio.sleep(0.05)
        assert await _db_steps(shop) == 0  # back in Redis, shared again
        replies = await say(other, "6")
        assert any("× 6" in getattr(r, "text", "") for r in replies)
        assert any("Redis is back" in r.getMessage() for r in caplog.records)
        assert sum(r.levelno == logging.WARNING for r in caplog.records) == 1
    finally:
        with contextlib.suppress(Exception):
            await proxy.close()
        await shop.uows.dispose()  # type: ignore[attr-defined]
        await other.uows.dispose()  # type: ignore[attr-defined]


async def test_two_processes_share_one_drop_pace(redis: RedisTarget) -> None:
    rate = 100.0
    states = [RedisState(redis.url, prefix=redis.prefix) for _ in range(2)]
    pacers = [RedisPace(s, rate, Pace(rate)) for s in states]
    slots: list[float] = []
    chat_slots: dict[int, list[float]] = {}

    async def sender(n: int, chats: list[int]) -> None:
        for chat in chats:
            wait = await pacers[n].slot(chat)
            at = time.monotonic() + wait
            slots.append(at)
            chat_slots.setdefault(chat, []).append(at)

    try:
        distinct = [range(5_000, 5_150), range(6_000, 6_150)]
        await asyncio.gather(
            *(sender(n, list(distinct[n])) for n in (0, 1)),
            *(sender(n, [42, 42]) for n in (0, 1)),  # one person, four sends
            *(sender(n, [-77]) for n in (0, 1)),  # one group, two sends
        )
        slots.sort()
        # Over any one second, never more than the rate (plus the slot that starts it).
        worst = max(sum(1 for t in slots[i:] if t < start + 1.0) for i, start in enumerate(slots))
        assert worst <= rate + 2, worst
        assert slots[-1] - slots[0] >= (len(slots) - 1) / rate - 0.05
        for chat, times in chat_slots.items():  # one a second per person, 3 s per group
            gap = 3.0 if chat < 0 else 1.0
            assert all(b - a >= gap - 0.02 for a, b in zip(times, times[1:], strict=False))
        assert len(chat_slots[42]) == 4 and len(chat_slots[-77]) == 2
        client = states[0].client
        assert 0 < await client.pttl(f"{redis.prefix}:pace:100") < 10_000  # keys expire
        assert 0 < await client.pttl(f"{redis.prefix}:pace:chat:-77") < 60_000
    finally:
        for state in states:
            await state.close()


async def test_the_pace_falls_back_to_this_process_alone_without_redis() -> None:
    state = RedisState("redis://127.0.0.1:1/0", retry_after=60)
    pacer = RedisPace(state, 10.0, Pace(10.0))
    try:
        waits = [await pacer.slot(1000 + i) for i in range(3)]
        assert waits[0] == 0.0 and 0.15 < waits[2] <= 0.2  # 10 a second, in this process
        assert state.pace_health.outages == 1
    finally:
        await state.close()
