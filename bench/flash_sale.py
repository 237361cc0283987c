"""``storefront bench flash-sale``: 10,000 buyers contend for 100 units.

Rounds on the same database in the same run, each on a fresh sale state:

- **bare UPDATE**: the conditional ``UPDATE ... SET claimed = claimed + 1 WHERE claimed <
  stock`` alone, one transaction per buyer (the baseline);
- **service**: ``flash_sales.claim`` without a sold-out gate (reads the sale and the buyer's
  count, then the three conditional writes and the reservation row, one unit of work a buyer);
- **service + gate (memory)**: the same with the process's sold-out gate
  (``bot/services/sale_gate.py``): once the database says the units are gone, the losers are
  refused without a query;
- **service + gate (Redis)**: the gate shared through Redis (``storage/redis_sale_gate.py``),
  where ``REDIS_URL`` (or 127.0.0.1:6379) answers.

Buyers run ``--concurrency`` at a time in each of ``--workers`` processes. For each round it
prints buyers handled per second, the seconds for all of them, the 95th percentile and the
slowest buyer's latency (from its turn to its answer), the units won, the units oversold
(must be 0) and the buyers who got no answer (no database connection came free in time).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.money import Money
from bot.services import flash_sales
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.ports import StorageUnavailable
from bot.services.sale_gate import LocalSoldOutGate
from bot.services.sale_ports import SoldOutGate
from storage.engine import make_engine
from storage.maintenance import printable_url, raw_sale_claim, reset_sale, set_variant_stock
from storage.migrate import upgrade
from storage.redis_sale_gate import RedisSoldOutGate
from storage.redis_state import RedisState
from storage.unit_of_work import SqlUnitOfWorkFactory

WINDOW = timedelta(minutes=10)
STOCK = 1_000_000  # the variant's stock: the sale's units are the limit under test
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
MODES = {
    "raw": "bare UPDATE",
    "service": "service",
    "memory": "service + gate (memory)",
    "redis": "service + gate (Redis)",
}


@dataclass(frozen=True, slots=True)
class Round:
    label: str
    seconds: float
    won: int
    oversold: int
    #: Buyers who got no answer (no database connection came free in time: a loaded machine).
    failed: int
    latencies: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


async def _setup(url: str, units: int) -> int:
    engine = make_engine(url)
    await upgrade(engine)
    uows = SqlUnitOfWorkFactory(engine)
    try:
        await import_catalog(uows, read_catalog(demo_catalog_path()))
        await set_variant_stock(engine, "KJ-10", STOCK)
        now = datetime.now(UTC)
        async with uows() as uow:
            variant_id = await uow.catalog.variant_by_sku("KJ-10")
            assert variant_id is not None
            sale = await flash_sales.schedule(
                uow,
                variant_id,
                Money(299, "USD"),
                units,
                1,
                now - timedelta(minutes=1),
                now + timedelta(hours=2),
                now,
            )
            await uow.commit()
        return sale.id
    finally:
        await uows.dispose()


async def _work(
    url: str,
    mode: str,
    sale_id: int,
    first: int,
    count: int,
    concurrency: int,
    redis_url: str = "",
    prefix: str = "",
) -> tuple[int, list[float], int]:
    """One process's share of the buyers: how many won a unit, each buyer's latency, and how
    many got no answer (the database unavailable to them)."""
    engine = make_engine(url)
    redis = RedisState(redis_url, prefix=prefix) if mode == "redis" else None
    gate: SoldOutGate | None = None
    if mode == "memory":
        gate = LocalSoldOutGate()
    elif redis is not None:
        gate = RedisSoldOutGate(redis)
    uows = SqlUnitOfWorkFactory(engine, sale_gate=gate)
    turns = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failed = 0

    async def buyer(user: int) -> bool:
        async with turns:
            started = time.perf_counter()
            try:
                if mode == "raw":
                    if uows.writer_lock is None:
                        return await raw_sale_claim(engine, sale_id)
                    # SQLite: one writer at a time, as the shop's units of work take turns
                    # (40 writers left to SQLite's busy wait can time out on a loaded machine).
                    async with uows.writer_lock:
                        return await raw_sale_claim(engine, sale_id)
                async with uows() as uow:
                    now = datetime.now(UTC)
                    result = await flash_sales.claim(uow, sale_id, user, now, WINDOW)
                    await uow.commit()
                    return result.claim_id is not None
            except StorageUnavailable:
                nonlocal failed
                failed += 1
                return False
            finally:
                latencies.append(time.perf_counter() - started)

    try:
        won = await asyncio.gather(*(buyer(first + i) for i in range(count)))
        return sum(won), latencies, failed
    finally:
        await uows.dispose()
        if redis is not None:
            await redis.close()


async def _units(url: str, sale_id: int) -> tuple[int, int]:
    """The sale's claimed units and its variant's stock."""
    uows = SqlUnitOfWorkFactory(make_engine(url))
    try:
        async with uows() as uow:
            sale = await uow.sales.sale(sale_id)
            found = await uow.catalog.variant(sale.variant_id) if sale else None
    finally:
        await uows.dispose()
    assert sale is not None and found is not None
    return sale.claimed, found[0].stock


async def _round(
    url: str,
    mode: str,
    sale_id: int,
    buyers: int,
    units: int,
    workers: int,
    concurrency: int,
    first_user: int,
    redis_url: str,
) -> Round:
    engine = make_engine(url)
    await reset_sale(engine, sale_id)
    await engine.dispose()
    _, stock_before = await _units(url, sale_id)
    prefix = f"storefront-bench-{uuid.uuid4().hex[:12]}"
    share = buyers // workers
    started = time.perf_counter()
    if workers == 1:
        won, latencies, failed = await _work(
            url, mode, sale_id, first_user, buyers, concurrency, redis_url, prefix
        )
    else:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.flash_sale",
                url,
                mode,
                str(sale_id),
                str(first_user + w * share),
                str(share),
                str(concurrency),
                redis_url,
                prefix,
                stdout=asyncio.subprocess.PIPE,
            )
            for w in range(workers)
        ]
        outs = await asyncio.gather(*(p.communicate() for p in procs))
        won, latencies, failed = 0, [], 0
        for out, _ in outs:
            # A worker that died answered none of its share.
            empty = json.dumps({"won": 0, "latencies": [], "failed": share})
            part = json.loads(out.decode() or empty)
            won += int(part["won"])
            failed += int(part["failed"])
            latencies += [float(x) for x in part["latencies"]]
    seconds = time.perf_counter() - started
    if mode == "redis":
        await _forget(redis_url, prefix, sale_id)
    claimed, stock_after = await _units(url, sale_id)
    taken = stock_before - stock_after  # the raw round takes no variant stock
    oversold = max(claimed - units, 0) + max(taken - units, 0)
    return Round(MODES[mode], seconds, won, oversold, failed, latencies)


async def _redis_answers(url: str) -> bool:
    redis = RedisState(url, prefix="storefront-bench")
    try:
        return bool(await redis.client.ping())
    except Exception:
        return False
    finally:
        await redis.close()


async def _forget(url: str, prefix: str, sale_id: int) -> None:
    redis = RedisState(url, prefix=prefix)
    try:
        await redis.client.delete(f"{prefix}:sale:{sale_id}:shut", f"{prefix}:sale:{sale_id}:gen")
    finally:
        await redis.close()


async def run_flash_bench(
    database_url: str | None,
    buyers: int = 10_000,
    units: int = 100,
    workers: int = 1,
    concurrency: int = 40,
    redis_url: str | None = None,
) -> int:
    redis_url = redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS
    modes = ["raw", "service", "memory"]
    with_redis = await _redis_answers(redis_url)
    if with_redis:
        modes.append("redis")
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'flash.db'}"
        sale_id = await _setup(url, units)
        rounds = [
            await _round(
                url,
                mode,
                sale_id,
                buyers,
                units,
                workers,
                concurrency,
                1_000_000 * (n + 1),  # fresh buyers each round (the limit is 1 a buyer)
                redis_url,
            )
            for n, mode in enumerate(modes)
        ]
    print(
        f"storefront bench flash-sale: {buyers} buyers on {units} units, "
        f"{workers} process(es) x {concurrency} at a time, {printable_url(url)}"
    )
    print(
        f"{'path':<26}{'buyers/s':>9}{'total s':>9}{'p95 ms':>9}{'max ms':>9}"
        f"{'won':>6}{'oversold':>10}{'failed':>8}"
    )
    for r in rounds:
        print(
            f"{r.label:<26}{buyers / r.seconds:>9.0f}{r.seconds:>9.2f}"
            f"{r.percentile(0.95) * 1000:>9.1f}{max(r.latencies, default=0.0) * 1000:>9.1f}"
            f"{r.won:>6}{r.oversold:>10}{r.failed:>8}"
        )
    if not with_redis:
        print(f"(no Redis answered at {redis_url}: the Redis gate was not measured)")
    raw = rounds[0]
    print(
        "; ".join(f"{r.label} / bare UPDATE: {raw.seconds / r.seconds:.0%}" for r in rounds[1:])
        + f"; oversold units: {sum(r.oversold for r in rounds)}"
    )
    ok = all(r.oversold == 0 and r.won == units for r in rounds)
    return 0 if ok else 1


def _main() -> None:  # a worker process of a multi-process round
    url, mode, sale, first, count, conc, redis_url, prefix = sys.argv[1:9]
    won, latencies, failed = asyncio.run(
        _work(url, mode, int(sale), int(first), int(count), int(conc), redis_url, prefix)
    )
    rounded = [round(x, 6) for x in latencies]
    print(json.dumps({"won": won, "failed": failed, "latencies": rounded}))


if __name__ == "__main__":
    _main()
