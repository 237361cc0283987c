"""The flash-sale sold-out gate shared through Redis (``SoldOutGate``): once a sale's units are
gone, every process refuses its buyers from one Redis read instead of a query.

Two keys a sale: ``shut`` (the sale as found sold out, with a short expiry) and ``gen`` (bumped
by every reopen). A claim reads both in one round trip; it shuts the sale only if ``gen`` is
still what it read (a Lua script), so a unit given back meanwhile is never hidden. A reopen
bumps ``gen`` and deletes ``shut`` in one transaction. If Redis fails, claims ask the database
(which never oversells) until it answers again; a reopen lost in the outage is healed by the
expiry of ``shut``.

Each process also remembers a shut it read for ``memo`` seconds (0.1 s): the losers of a
sell-out stop waiting on Redis too (on SQLite a unit of work holds the process's writer lock
meanwhile). A reopen in this process forgets it at once; one in another process is seen
within ``memo``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from bot.domain.flash_sales import FlashSale
from bot.domain.money import Money
from bot.services.sale_gate import SOLD_OUT_TTL
from storage.redis_state import REDIS_ERRORS, Health, RedisState

# KEYS: shut, gen. ARGV: the ticket (gen as read), the sale, milliseconds to keep it.
_SHUT = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""
#: A generation outlives any sale (7 days at most).
_GEN_TTL_SECONDS = 8 * 24 * 3600
#: How long a process trusts a shut it read from Redis without asking again.
MEMO_SECONDS = 0.1


class RedisSoldOutGate:
    """Sold-out sales in Redis, shared by every process on it."""

    def __init__(
        self,
        redis: RedisState,
        ttl: float = SOLD_OUT_TTL,
        memo: float = MEMO_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._r = redis
        self.ttl_ms = max(math.ceil(ttl * 1000), 1)
        self.memo = memo
        self._clock = clock
        self._memo: dict[int, tuple[FlashSale, float]] = {}
        self._script = redis.client.register_script(_SHUT)
        self.health = Health("flash-sale claims ask the database (no sold-out gate)")

    def _keys(self, sale_id: int) -> tuple[str, str]:
        base = f"{self._r.prefix}:sale:{sale_id}"
        return f"{base}:shut", f"{base}:gen"

    async def check(self, sale_id: int, now: datetime) -> tuple[FlashSale | None, int | None]:
        memo = self._memo.get(sale_id)
        if memo is not None:
            if self._clock() < memo[1] and now < memo[0].ends_at:
                return memo[0], None
            del self._memo[sale_id]
        if not self.health.usable():
            return None, None
        try:
            raw, gen = await self._r.client.mget(self._keys(sale_id))
        except REDIS_ERRORS as exc:
            self.health.failed(exc)
            return None, None
        self.health.ok()
        try:
            sale = decode_sale(raw)
        except (ValueError, KeyError, TypeError):  # not ours, or an older shape: ask the database
            sale = None
        if sale is not None and now < sale.ends_at:
            if self.memo > 0:
                if len(self._memo) > 10_000:
                    self._memo.clear()
                self._memo[sale_id] = (sale, self._clock() + self.memo)
            return sale, None
        return None, int(gen or 0)

    async def shut(self, sale: FlashSale, ticket: int | None, now: datetime) -> None:
        if ticket is None or not self.health.usable():
            return
        try:
            await self._script(self._keys(sale.id), [str(ticket), encode_sale(sale), self.ttl_ms])
        except REDIS_ERRORS as exc:
            self.health.failed(exc)
        else:
            self.health.ok()

    async def reopen(self, sale_ids: Iterable[int]) -> None:
        ids = sorted(set(sale_ids))
        if not ids:
            return
        for sale_id in ids:
            self._memo.pop(sale_id, None)
        if not self.health.usable():  # a silent Redis must not hold the commit up: the shut
            return  # lapses by itself (``ttl``)
        try:
            async with self._r.client.pipeline(transaction=True) as pipe:
                for sale_id in ids:
                    shut, gen = self._keys(sale_id)
                    pipe.incr(gen)
                    pipe.expire(gen, _GEN_TTL_SECONDS)
                    pipe.delete(shut)
                await pipe.execute()
        except REDIS_ERRORS as exc:
            self.health.failed(exc)
        else:
            self.health.ok()


def encode_sale(sale: FlashSale) -> str:
    return json.dumps(
        {
            "id": sale.id,
            "variant": sale.variant_id,
            "product": sale.product_id,
            "name": sale.name,
            "price": sale.price.amount,
            "regular": sale.regular_price.amount,
            "currency": sale.price.currency,
            "stock": sale.stock,
            "claimed": sale.claimed,
            "per_buyer": sale.per_buyer,
            "starts": sale.starts_at.isoformat(),
            "ends": sale.ends_at.isoformat(),
            "active": sale.active,
        }
    )


def decode_sale(raw: bytes | str | None) -> FlashSale | None:
    if raw is None:
        return None
    v = json.loads(raw)
    return FlashSale(
        id=int(v["id"]),
        variant_id=int(v["variant"]),
        product_id=int(v["product"]),
        name=str(v["name"]),
        price=Money(int(v["price"]), str(v["currency"])),
        regular_price=Money(int(v["regular"]), str(v["currency"])),
        stock=int(v["stock"]),
        claimed=int(v["claimed"]),
        per_buyer=int(v["per_buyer"]),
        starts_at=datetime.fromisoformat(v["starts"]),
        ends_at=datetime.fromisoformat(v["ends"]),
        active=bool(v["active"]),
    )
