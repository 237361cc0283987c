"""The sold-out gate of one process (``SoldOutGate``): sold-out sales in process memory.

Right for a single bot process; with several, ``REDIS_URL`` shares the gate through Redis
(``storage/redis_sale_gate.py``). ``OpenGate`` shuts nothing: every claim asks the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime

from bot.domain.flash_sales import FlashSale

#: How long a sale stays shut without being found sold out again: the bound on a wrong
#: refusal when units came back where this gate could not be told (another process without
#: Redis, a Redis outage, a database edited by hand).
SOLD_OUT_TTL = 1.0


class OpenGate:
    """No gate: every claim asks the database."""

    async def check(self, sale_id: int, now: datetime) -> tuple[FlashSale | None, int | None]:
        return None, None

    async def shut(self, sale: FlashSale, ticket: int | None, now: datetime) -> None:
        return None

    async def reopen(self, sale_ids: Iterable[int]) -> None:
        return None


class LocalSoldOutGate:
    """Sold-out sales of this process, each until ``ttl`` seconds pass or it is reopened."""

    def __init__(
        self, ttl: float = SOLD_OUT_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._shut: dict[int, tuple[FlashSale, float]] = {}
        #: Bumped by every reopen: a shut with an older ticket is dropped.
        self._generation: dict[int, int] = {}

    async def check(self, sale_id: int, now: datetime) -> tuple[FlashSale | None, int | None]:
        found = self._shut.get(sale_id)
        if found is not None:
            sale, until = found
            if self._clock() < until and now < sale.ends_at:
                return sale, None
            del self._shut[sale_id]
        return None, self._generation.get(sale_id, 0)

    async def shut(self, sale: FlashSale, ticket: int | None, now: datetime) -> None:
        if ticket is None or ticket != self._generation.get(sale.id, 0):
            return
        if len(self._shut) > 10_000:  # sales long over: drop them all rather than grow
            self._shut.clear()
        self._shut[sale.id] = (sale, self._clock() + self.ttl)

    async def reopen(self, sale_ids: Iterable[int]) -> None:
        for sale_id in sale_ids:
            self._generation[sale_id] = self._generation.get(sale_id, 0) + 1
            self._shut.pop(sale_id, None)
