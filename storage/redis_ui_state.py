"""UI steps in Redis: the ``UiStateStore`` of one unit of work, the database store its fallback.

Within an update the steps are read and written through the same ``UiStateStore`` port as the
database store, but Redis writes wait for the update's commit: an update that fails and rolls
back leaves no step behind, as with the database. A process that dies between the commit and
the Redis write loses that one step (the next message is taken as a search), never a cart.
While Redis is down the steps go to the database (``storage/redis_state.py`` moves them back).
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.ports import UiState
from storage.redis_state import REDIS_ERRORS, RedisState, decode_step, encode_step
from storage.repositories import SqlUiStateStore

_NEVER = datetime.min.replace(tzinfo=UTC)


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
                    return decode_step(raw)
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
                        pipe.set(key, encode_step(state), ex=self._r.ui_ttl)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            self._r.ui_health.failed(exc)
            await self._r.fallback_write(ops)
        else:
            self._r.ui_health.ok()
