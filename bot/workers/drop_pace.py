"""Telegram's broadcast limits for drops: about 30 messages a second overall (1,000 with
``allow_paid_broadcast``), one a second per chat, 20 a minute per group.

``Pace`` is the schedule of send slots in one process, the default ``Pacer``; with
``REDIS_URL`` the processes share one in Redis instead (``storage.redis_pace``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.services.drop_ports import Pacer

FREE_RATE = 30.0
PAID_RATE = 1000.0


class Pace:
    """Telegram's broadcast limits as a schedule of send slots (all in one process): the
    default ``Pacer``; with ``REDIS_URL`` the processes share one in Redis instead."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_second
        self._clock = clock
        self._next = clock()
        self._chat_next: dict[int, float] = {}

    async def slot(self, chat_id: int) -> float:
        """Seconds to wait before sending into ``chat_id`` (the slot is taken)."""
        now = self._clock()
        start = max(self._next, now)
        self._next = start + self.interval
        gap = 3.0 if chat_id < 0 else 1.0  # groups: 20 a minute; people: 1 a second
        chat_at = max(start, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = chat_at + gap
        if len(self._chat_next) > 100_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return max(chat_at - now, 0.0)


def shared_paces() -> Callable[[float], Pacer]:
    """One in-process ``Pace`` per rate, shared by the drops this sender runs at once."""
    paces: dict[float, Pace] = {}

    def pace(rate: float) -> Pace:
        if rate not in paces:
            paces[rate] = Pace(rate)
        return paces[rate]

    return pace
