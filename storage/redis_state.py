"""What several bot processes share through Redis (``REDIS_URL``): the client, its health, and
the UI steps' way back from the database.

- **UI steps** (typing a quantity, typing a coupon) are keys with a TTL (a day), read and
  written through ``RedisUiStateStore`` (``storage/redis_ui_state.py``).
- **Outage.** A Redis error switches this process to the database store (one WARNING per
  outage); Redis is tried again every few seconds, and when it answers the steps written to
  the database meanwhile move back into it (``RedisState.move_back``). Carts, orders and stock
  are in the database either way.
- **Flood counts** (``storage/redis_flood.py``) and the **drop pace** (``storage/redis_pace.py``)
  are Lua scripts on the same client, each with its own ``Health``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.services.ports import UiState
from storage.repositories import SqlUiStateStore
from storage.tables import ConversationStateRow

log = logging.getLogger(__name__)

#: How long a UI step lives in Redis without being touched.
UI_TTL_SECONDS = 24 * 3600
#: After a failure, how long Redis is left alone before it is tried again.
RETRY_AFTER = 3.0
#: Redis must answer within this (a dead server must not hold an update up).
TIMEOUT = 0.5

REDIS_ERRORS = (RedisError, OSError, TimeoutError)


class Health:
    """Whether Redis is usable for one purpose, with one WARNING per outage."""

    def __init__(
        self,
        outage_message: str,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outage_message = outage_message
        self.retry_after = retry_after
        self._clock = clock
        self.up: bool | None = None  # None: not tried yet
        self._retry_at = 0.0
        self.outages = 0
        #: Called (synchronously) when Redis answers for the first time or after an outage.
        self.on_up: list[Callable[[], None]] = []

    def usable(self) -> bool:
        return self.up is not False or self._clock() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        self._retry_at = self._clock() + self.retry_after
        if self.up is not False:
            self.outages += 1
            log.warning("Redis unavailable: %s (%s)", self.outage_message, exc or type(exc))
        self.up = False

    def ok(self) -> None:
        if self.up is not True:
            if self.up is False:
                log.info("Redis is back: %s no longer", self.outage_message)
            self.up = True
            for callback in self.on_up:
                callback()


class RedisState:
    """The process's Redis client and what it keeps there (made at start-up)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "storefront",
        retry_after: float = RETRY_AFTER,
        ui_ttl: int = UI_TTL_SECONDS,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.ui_ttl = ui_ttl
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT, retry_on_timeout=False
        )
        self.ui_health = Health("conversation state in the database", retry_after)
        self.pace_health = Health("drop pace kept in this process alone", retry_after)
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._writer_lock: asyncio.Lock | None = None
        self._moving: asyncio.Task[int] | None = None
        self._tasks: set[asyncio.Task[int]] = set()
        self.ui_health.on_up.append(self._move_back)

    def bind(
        self, sessions: async_sessionmaker[AsyncSession], writer_lock: asyncio.Lock | None
    ) -> None:
        """The database the UI steps fall back to (the unit-of-work factory calls this)."""
        self._sessions = sessions
        self._writer_lock = writer_lock

    def ui_key(self, user_id: int, chat_id: int) -> str:
        return f"{self.prefix}:ui:{user_id}:{chat_id}"

    @property
    def moving_back(self) -> bool:
        """Steps written to the database during an outage are being moved into Redis."""
        return self._moving is not None and not self._moving.done()

    def _move_back(self) -> None:
        if self._sessions is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._moving = loop.create_task(self.move_back())
        self._tasks.add(self._moving)
        self._moving.add_done_callback(self._tasks.discard)

    async def move_back(self) -> int:
        """Move UI steps from the database into Redis (after an outage, or at the first start
        with Redis); a step already in Redis is newer and stays. How many moved."""
        assert self._sessions is not None
        lock = self._writer_lock
        if lock is not None:
            await lock.acquire()
        try:
            async with self._sessions() as session:
                # FOR UPDATE (PostgreSQL): an update deleting one of these rows meanwhile
                # either goes first (the row is gone) or waits until it has moved.
                query = select(ConversationStateRow).with_for_update()
                rows = (await session.execute(query)).scalars().all()
                moved = 0
                for row in rows:
                    value = encode_step(UiState(row.state, json.loads(row.data)))
                    key = self.ui_key(row.user_id, row.chat_id)
                    await self.client.set(key, value, ex=self.ui_ttl, nx=True)
                    await session.execute(
                        delete(ConversationStateRow).where(
                            col(ConversationStateRow.user_id) == row.user_id,
                            col(ConversationStateRow.chat_id) == row.chat_id,
                            col(ConversationStateRow.updated_at) == row.updated_at,
                        )
                    )
                    moved += 1
                await session.commit()
        except REDIS_ERRORS as exc:
            self.ui_health.failed(exc)
            return 0
        except Exception:
            log.exception("UI steps could not be moved back into Redis")
            return 0
        finally:
            if lock is not None:
                lock.release()
        if moved:
            log.info("moved %d conversation steps from the database back into Redis", moved)
        return moved

    async def fallback_write(
        self, ops: dict[tuple[int, int], tuple[UiState | None, datetime]]
    ) -> None:
        """Redis failed after the update committed: its steps go to the database instead."""
        if self._sessions is None:
            return
        # On SQLite the committing unit of work still holds the writer lock: this is its write.
        async with self._sessions() as session:
            store = SqlUiStateStore(session)
            for (user_id, chat_id), (state, now) in ops.items():
                if state is None:
                    await store.clear(user_id, chat_id)
                else:
                    await store.set(user_id, chat_id, state, now)
            await session.commit()

    async def close(self) -> None:
        # Wait for the cancelled moves to unwind: each holds a database session, which must be
        # closed before the engine is disposed (else its connection is closed by the garbage
        # collector later, on a loop that may be gone, and hangs the shutdown).
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.client.aclose()


def encode_step(state: UiState) -> bytes:
    return json.dumps({"s": state.state, "d": state.data}).encode()


def decode_step(raw: bytes | str | None) -> UiState | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return UiState(value["s"], value["d"])
