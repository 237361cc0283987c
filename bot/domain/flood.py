"""Flood control: how many updates a chat may send, and when it is told to slow down.

A chat has a token bucket of ``rate`` updates that refills at ``rate`` per ``window`` seconds:
a burst of ``rate`` goes through at once, then ``rate / window`` a second. An update that finds
the bucket empty is dropped (it does not take a token, so a chat that keeps flooding still gets
its share through, and one that stops is back to a full bucket a window later).

A **flood episode** begins with a chat's first dropped update and lasts while its updates keep
being dropped; it ends once a whole window passed without a drop. The first drop of an episode
is ``WARN`` (drop it and tell the chat, once), the others are ``DROP``: a chat that floods for a
minute hears about it once, not once per dropped update, and once again only if it floods again
after calming down.

Pure: the caller passes the time (seconds, any monotonic origin). ``storage.redis_flood`` runs
the same rule in a Lua script on Redis's clock when several processes share the counts.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

#: Default: 20 updates per 10 seconds per chat (a burst of 20, then 2 a second).
DEFAULT_RATE = 20
DEFAULT_WINDOW = 10.0


class Verdict(StrEnum):
    HANDLE = "handle"  # within the rate
    WARN = "warn"  # over the rate, the episode's first: drop it and tell the chat
    DROP = "drop"  # over the rate, already told: drop it quietly


@dataclass(frozen=True, slots=True)
class FloodRule:
    rate: int = DEFAULT_RATE
    window: float = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.rate < 1:
            raise ValueError("a flood rule needs a rate of at least 1 update")
        if self.window <= 0:
            raise ValueError("a flood rule needs a window of more than 0 seconds")

    @property
    def refill_per_second(self) -> float:
        return self.rate / self.window


@dataclass(slots=True)
class Bucket:
    """One chat's state: tokens left at ``at``, and when its last update was dropped."""

    tokens: float
    at: float
    dropped_at: float | None = None

    def idle(self, rule: FloodRule, now: float) -> bool:
        """Whether forgetting this bucket changes nothing (full again, no episode running)."""
        quiet = self.dropped_at is None or now - self.dropped_at >= rule.window
        return quiet and self.tokens + (now - self.at) * rule.refill_per_second >= rule.rate


def judge(rule: FloodRule, bucket: Bucket | None, now: float) -> tuple[Verdict, Bucket]:
    """The verdict on one more update of a chat whose state is ``bucket`` (None: none yet),
    and the chat's new state."""
    if bucket is None:
        bucket = Bucket(float(rule.rate), now)
    elapsed = max(0.0, now - bucket.at)
    tokens = min(float(rule.rate), bucket.tokens + elapsed * rule.refill_per_second)
    if tokens >= 1.0:
        return Verdict.HANDLE, Bucket(tokens - 1.0, now, bucket.dropped_at)
    last = bucket.dropped_at
    verdict = Verdict.WARN if last is None or now - last >= rule.window else Verdict.DROP
    return verdict, Bucket(tokens, now, now)


class FloodLimiter:
    """The buckets of one process, keyed by chat; buckets that changed nothing are forgotten
    now and then, so memory follows the chats active in the last window."""

    #: Sweep the idle buckets after this many updates.
    SWEEP_EVERY = 1024

    def __init__(self, rule: FloodRule) -> None:
        self.rule = rule
        self._buckets: dict[Hashable, Bucket] = {}
        self._since_sweep = 0

    def hit(self, key: Hashable, now: float) -> Verdict:
        """One update of chat ``key`` at ``now``."""
        verdict, self._buckets[key] = judge(self.rule, self._buckets.get(key), now)
        self._since_sweep += 1
        if self._since_sweep >= self.SWEEP_EVERY:
            self.sweep(now)
        return verdict

    def sweep(self, now: float) -> None:
        self._since_sweep = 0
        idle = [k for k, b in self._buckets.items() if b.idle(self.rule, now)]
        for key in idle:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class FloodCounts(Protocol):
    """Where the buckets live: this process (``bot.telegram.throttle.LocalFloodCounts``) or
    Redis, shared by every process (``storage.redis_flood.RedisFloodCounts``)."""

    rule: FloodRule

    async def hit(self, chat_id: int) -> Verdict:
        """Count one update of ``chat_id`` now; what to do with it."""
        ...
