"""Flood counts shared through Redis: a Lua script keeps each chat's flood bucket
(``bot.domain.flood``), so a chat over its rate is over it on every process and told to slow
down once. If Redis fails, each process counts alone for the outage.
"""

from __future__ import annotations

from bot.domain.flood import FloodCounts, FloodRule, Verdict
from storage.redis_state import REDIS_ERRORS, Health, RedisState

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
