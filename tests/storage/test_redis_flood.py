"""Flood counts shared through a real Redis by several processes (``RedisFloodCounts``), and
their fallback to this process alone when Redis is away. Skipped, with the reason, where no
Redis server answers (the fallback test needs none)."""

from __future__ import annotations

import asyncio

from bot.domain.flood import FloodRule, Verdict
from bot.telegram.throttle import LocalFloodCounts
from storage.redis_flood import RedisFloodCounts
from storage.redis_state import RedisState
from tests.helpers import RedisTarget

RULE = FloodRule(rate=10, window=10.0)


async def test_two_processes_count_one_chat_together_and_tell_it_once(redis: RedisTarget) -> None:
    states = [RedisState(redis.url, prefix=redis.prefix) for _ in range(2)]
    counts = [RedisFloodCounts(s, RULE, LocalFloodCounts(RULE)) for s in states]
    try:
        verdicts = await asyncio.gather(*(counts[n % 2].hit(77) for n in range(40)))
        # A few milliseconds pass meanwhile: at 1 a second refilled, no more than one extra.
        handled = verdicts.count(Verdict.HANDLE)
        assert 10 <= handled <= 11
        assert verdicts.count(Verdict.WARN) == 1
        assert verdicts.count(Verdict.DROP) == 40 - handled - 1
        # Another chat has its own bucket.
        assert await counts[1].hit(78) is Verdict.HANDLE
        # Idle for a window, a bucket is as good as new: the key expires.
        ttl = await states[0].client.pttl(counts[0].key(77))
        assert 0 < ttl <= 11_000
        assert all(c.health.outages == 0 for c in counts)
    finally:
        for state in states:
            await state.close()


async def test_without_redis_each_process_counts_alone() -> None:
    state = RedisState("redis://127.0.0.1:1/0", retry_after=60)
    counts = RedisFloodCounts(state, RULE, LocalFloodCounts(RULE))
    try:
        verdicts = [await counts.hit(5) for _ in range(12)]
        assert verdicts == [Verdict.HANDLE] * 10 + [Verdict.WARN, Verdict.DROP]
        assert counts.health.outages == 1  # one warning for the outage, not one per update
    finally:
        await state.close()


async def test_the_shared_bucket_refills_on_redis_clock(redis: RedisTarget) -> None:
    window = 2.0  # a token a second: three hits take far less
    rule = FloodRule(rate=2, window=window)
    state = RedisState(redis.url, prefix=redis.prefix)
    counts = RedisFloodCounts(state, rule, LocalFloodCounts(rule))
    try:
        assert [await counts.hit(9) for _ in range(3)] == [
            Verdict.HANDLE,
            Verdict.HANDLE,
            Verdict.WARN,
        ]
        await asyncio.sleep(window + 0.1)  # a window later: full again, the episode over
        assert [await counts.hit(9) for _ in range(3)] == [
            Verdict.HANDLE,
            Verdict.HANDLE,
            Verdict.WARN,
        ]
    finally:
        await state.close()


async def test_the_settings_pick_where_chats_are_counted() -> None:
    from bot.bootstrap import flood_counts
    from bot.config import Settings

    assert flood_counts(Settings(flood_rate=0), None) is None
    alone = flood_counts(Settings(flood_rate=7, flood_window_seconds=3), None)
    assert isinstance(alone, LocalFloodCounts) and alone.rule == FloodRule(7, 3.0)
    state = RedisState("redis://127.0.0.1:1/0")
    try:
        shared = flood_counts(Settings(), state)
        assert isinstance(shared, RedisFloodCounts) and shared.rule == FloodRule(20, 10.0)
    finally:
        await state.close()
