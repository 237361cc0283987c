"""What several bot processes share through Redis (``REDIS_URL``): UI steps and the drop pace.

- **UI steps** (typing a quantity, typing a coupon) are keys with a TTL (a day). Within an
  update they are read and written through the same ``UiStateStore`` port as the database
  store, but Redis writes wait for the update's commit: an update that fails and rolls back
  leaves no step behind, as with the database. A process that dies between the commit and the
  Redis write loses that one step (the next message is taken as a search), never a cart.
- **Outage.** A Redis error switches this process to the database store (one WARNING per
  outage); Redis is tried again every few seconds, and when it answers the steps written to
  the database meanwhile move back into it. Carts, orders and stock are in the database
  either way.
- **Flood counts.** Another script keeps each chat's flood bucket (``bot.domain.flood``), so a
  chat over its rate is over it on every process and told to slow down once. If Redis fails,
  each process counts alone for the outage.
- **Pace.** One Lua script reserves a drop's send slot: a global schedule (a token bucket of
  one token, ``per_second``) and a next-slot time per chat, all on Redis's clock, so every
  process sending drops draws on one budget. If Redis fails, the process paces itself alone
  for the outage (and obeys Telegram's 429s).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.domain.flood import FloodCounts, FloodRule, Verdict
from bot.services.drop_ports import Pacer
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
_NEVER = datetime.min.replace(tzinfo=UTC)


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
                    value = _encode(UiState(row.state, json.loads(row.data)))
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

    async def _fallback_write(
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

    def pacer(self, per_second: float, alone: Pacer) -> RedisPace:
        return RedisPace(self, per_second, alone)

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


def _encode(state: UiState) -> bytes:
    return json.dumps({"s": state.state, "d": state.data}).encode()


def _decode(raw: bytes | str | None) -> UiState | None:
    if raw is None:
        return None
    value = json.loads(raw)
    return UiState(value["s"], value["d"])


class RedisUiStateStore:
    """``UiStateStore`` in Redis for one unit of work, the database store as its fallback.

    Reads see this update's own writes; writes wait in ``pending`` for the commit (``flush``).
    While Redis is down both go to the database, inside the update's transaction.
    """

    def __init__(self, redis: RedisState, sql: SqlUiStateStore) -> None:
        self._r = redis
        self._sql = sql
        self.pending: dict[tuple[int, int], tuple[UiState | None, datetime]] = {}

    async def get(self, user_id: int, chat_id: int) -> UiState | None:
        key = (user_id, chat_id)
        if key in self.pending:
            return self.pending[key][0]
        health = self._r.ui_health
        if health.usable():
            try:
                raw = await self._r.client.get(self._r.ui_key(user_id, chat_id))
            except REDIS_ERRORS as exc:
                health.failed(exc)
            else:
                health.ok()
                if raw is not None or not self._r.moving_back:
                    return _decode(raw)
        return await self._sql.get(user_id, chat_id)

    async def set(self, user_id: int, chat_id: int, state: UiState, now: datetime) -> None:
        if self._r.ui_health.usable():
            await self._forget_in_database(user_id, chat_id)
            self.pending[(user_id, chat_id)] = (state, now)
        else:
            await self._sql.set(user_id, chat_id, state, now)

    async def clear(self, user_id: int, chat_id: int) -> None:
        if self._r.ui_health.usable():
            await self._forget_in_database(user_id, chat_id)
            self.pending[(user_id, chat_id)] = (None, _NEVER)
        else:
            await self._sql.clear(user_id, chat_id)

    async def _forget_in_database(self, user_id: int, chat_id: int) -> None:
        """While the outage's steps move back, a step changed in Redis must not come back
        from the database (its row goes with this update's commit)."""
        if self._r.moving_back:
            await self._sql.clear(user_id, chat_id)

    def discard(self) -> None:
        self.pending.clear()

    async def flush(self) -> None:
        """After the commit: write the update's steps to Redis (or, failing, the database)."""
        if not self.pending:
            return
        ops, self.pending = self.pending, {}
        try:
            async with self._r.client.pipeline(transaction=False) as pipe:
                for (user_id, chat_id), (state, _) in ops.items():
                    key = self._r.ui_key(user_id, chat_id)
                    if state is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, _encode(state), ex=self._r.ui_ttl)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            self._r.ui_health.failed(exc)
            await self._r._fallback_write(ops)
        else:
            self._r.ui_health.ok()


# KEYS: the global schedule, the chat's next slot. ARGV: interval, the chat's gap (seconds).
# Returns the seconds until the send's slot (reserved), or, while the chat's own slot is still
# ahead, minus the seconds until it (nothing reserved: the global slots go to other chats).
_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local chat_at = tonumber(redis.call('GET', KEYS[2]) or '0')
if chat_at > now then
  return string.format('%.6f', now - chat_at)
end
local interval = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', at + interval),
           'PX', math.ceil((at + interval - now) * 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%.6f', at + gap),
           'PX', math.ceil((at + gap - now) * 1000) + 1000)
return string.format('%.6f', at - now)
"""


class RedisPace:
    """A drop's send slots shared by every process on this Redis (a ``Pacer``); ``alone``
    paces this process by itself while Redis is down."""

    def __init__(self, redis: RedisState, per_second: float, alone: Pacer) -> None:
        self._r = redis
        self.per_second = per_second
        self.interval = 1.0 / per_second
        self._alone = alone
        self._script = redis.client.register_script(_SLOT)
        self._global = f"{redis.prefix}:pace:{per_second:g}"

    async def slot(self, chat_id: int) -> float:
        health = self._r.pace_health
        if health.usable():
            gap = 3.0 if chat_id < 0 else 1.0  # groups: 20 a minute; people: 1 a second
            chat_key = f"{self._r.prefix}:pace:chat:{chat_id}"
            try:
                keys, args = [self._global, chat_key], [self.interval, gap]
                while (wait := float(await self._script(keys, args))) < 0:
                    await asyncio.sleep(-wait)  # this chat's turn comes later: ask again then
            except REDIS_ERRORS as exc:
                health.failed(exc)
            else:
                health.ok()
                return wait
        return await self._alone.slot(chat_id)


# KEYS: the chat's bucket (a hash). ARGV: rate, window (seconds). The rule of
# ``bot.domain.flood.judge`` on Redis's clock. Returns 1 (handle), 2 (drop and warn: the
# episode's first drop) or 0 (drop).
_FLOOD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'dropped')
local tokens = tonumber(state[1]) or rate
local at = tonumber(state[2]) or now
local dropped = tonumber(state[3])
tokens = math.min(rate, tokens + math.max(0, now - at) * rate / window)
local verdict
if tokens >= 1 then
  tokens = tokens - 1
  verdict = 1
else
  if dropped == nil or now - dropped >= window then verdict = 2 else verdict = 0 end
  dropped = now
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'at', string.format('%.6f', now))
if dropped ~= nil then
  redis.call('HSET', KEYS[1], 'dropped', string.format('%.6f', dropped))
end
-- Idle for a window, the bucket is full again and the episode over: as good as absent.
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
return verdict
"""
_VERDICTS = {1: Verdict.HANDLE, 2: Verdict.WARN, 0: Verdict.DROP}


class RedisFloodCounts:
    """Every chat's flood bucket in Redis, shared by all processes on it (``FloodCounts``);
    ``alone`` counts in this process while Redis is down (each process then lets a chat
    through at the full rate: up to one rate per process, for the outage)."""

    def __init__(self, redis: RedisState, rule: FloodRule, alone: FloodCounts) -> None:
        self._r = redis
        self.rule = rule
        self._alone = alone
        self._script = redis.client.register_script(_FLOOD)
        self.health = Health("flood counts kept in this process alone")

    def key(self, chat_id: int) -> str:
        return f"{self._r.prefix}:flood:{chat_id}"

    async def hit(self, chat_id: int) -> Verdict:
        health = self.health
        if health.usable():
            try:
                raw = await self._script([self.key(chat_id)], [self.rule.rate, self.rule.window])
            except REDIS_ERRORS as exc:
                health.failed(exc)
            else:
                health.ok()
                return _VERDICTS.get(int(raw), Verdict.HANDLE)
        return await self._alone.hit(chat_id)
