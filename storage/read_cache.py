"""A small in-process cache for what every browse press reads and merchants rarely change.

A product card needs the category, its product ids and the product with its variants: four
queries that return the same answer for minutes. Entries live ``ttl`` seconds, so a change
made by another process (a catalog import, a stock change) shows on cards within that time;
decisions that must be exact (adding to a cart, and later paying) read the database, not this.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any

#: Long enough to absorb a burst of presses, short enough that cards look current.
DEFAULT_TTL = 5.0
_MAX_ENTRIES = 10_000


class ReadCache:
    def __init__(
        self, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any | None:
        if self.ttl <= 0:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < self._clock():
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: Any) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()  # crude but bounded; a full cache refills in seconds
        self._entries[key] = (self._clock() + self.ttl, value)

    def discard(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


class RecentBuyers:
    """Buyers whose row was written moments ago, so a burst of presses writes it once.

    Every update would otherwise upsert the buyer (name, language, last seen) just to read back
    their chosen locale. Within ``ttl`` seconds an unchanged profile is answered from here;
    /lang updates the entry, so this process never shows a stale language.
    """

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._recent = ReadCache(ttl, clock)

    def get(self, user_id: int, profile: tuple[str, str | None, str | None]) -> Any | None:
        entry = self._recent.get(user_id)
        if entry is None or entry[0] != profile:
            return None
        return entry[1]

    def put(self, user_id: int, profile: tuple[str, str | None, str | None], value: Any) -> None:
        self._recent.put(user_id, (profile, value))

    def forget(self, user_id: int) -> None:
        self._recent.discard(user_id)
