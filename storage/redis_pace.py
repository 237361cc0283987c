"""The drop pace shared through Redis: one Lua script reserves a drop's send slot, a global
schedule (a token bucket of one token, ``per_second``) and a next-slot time per chat, all on
Redis's clock, so every process sending drops draws on one budget. If Redis fails, the process
paces itself alone for the outage (and obeys Telegram's 429s).
"""

from __future__ import annotations

import asyncio

from bot.services.drop_ports import Pacer
from storage.redis_state import REDIS_ERRORS, RedisState

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
