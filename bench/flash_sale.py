"""``storefront bench flash-sale``: 10,000 buyers contend for 100 units.

Two rates from the same database in the same run: claims through the application service
(``flash_sales.claim``: reads the sale and the buyer's count, then the three conditional writes
and the reservation row, in one unit of work per buyer) and the bare conditional ``UPDATE ...
SET claimed = claimed + 1 WHERE claimed < stock`` loop, one transaction per buyer. Buyers run
``--concurrency`` at a time in each of ``--workers`` processes. It prints buyers handled per
second for both, their ratio (target: the service at >= 50 % of the bare write), and the units
oversold (must be 0).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.money import Money
from bot.services import flash_sales
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.engine import make_engine
from storage.maintenance import printable_url, raw_sale_claim, reset_sale, set_variant_stock
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory

WINDOW = timedelta(minutes=10)
STOCK = 1_000_000  # the variant's stock: the sale's units are the limit under test


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
    url: str, mode: str, sale_id: int, first: int, count: int, concurrency: int
) -> int:
    """One process's share of the buyers; how many won a unit."""
    engine = make_engine(url)
    uows = SqlUnitOfWorkFactory(engine)
    gate = asyncio.Semaphore(concurrency)

    async def buyer(user: int) -> bool:
        async with gate:
            if mode == "raw":
                return await raw_sale_claim(engine, sale_id)
            async with uows() as uow:
                result = await flash_sales.claim(uow, sale_id, user, datetime.now(UTC), WINDOW)
                await uow.commit()
                return result.claim_id is not None

    try:
        won = await asyncio.gather(*(buyer(first + i) for i in range(count)))
        return sum(won)
    finally:
        await uows.dispose()


async def _round(
    url: str, mode: str, sale_id: int, buyers: int, workers: int, concurrency: int
) -> tuple[float, int]:
    """Seconds for all buyers, and units won."""
    share = buyers // workers
    started = time.perf_counter()
    if workers == 1:
        won = await _work(url, mode, sale_id, 1_000_000, buyers, concurrency)
    else:
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.flash_sale",
                url,
                mode,
                str(sale_id),
                str(1_000_000 + w * share),
                str(share),
                str(concurrency),
                stdout=asyncio.subprocess.PIPE,
            )
            for w in range(workers)
        ]
        outs = await asyncio.gather(*(p.communicate() for p in procs))
        won = sum(int(out.decode().strip() or 0) for out, _ in outs)
    return time.perf_counter() - started, won


async def run_flash_bench(
    database_url: str | None,
    buyers: int = 10_000,
    units: int = 100,
    workers: int = 1,
    concurrency: int = 40,
) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'flash.db'}"
        sale_id = await _setup(url, units)
        raw_seconds, raw_won = await _round(url, "raw", sale_id, buyers, workers, concurrency)
        engine = make_engine(url)
        await reset_sale(engine, sale_id)
        await engine.dispose()
        service_seconds, won = await _round(url, "service", sale_id, buyers, workers, concurrency)
        engine = make_engine(url)
        uows = SqlUnitOfWorkFactory(engine)
        async with uows() as uow:
            sale = await uow.sales.sale(sale_id)
            found = await uow.catalog.variant(sale.variant_id) if sale else None
        await uows.dispose()
    assert sale is not None and found is not None
    oversold = max(sale.claimed - units, 0) + max(STOCK - units - found[0].stock, 0)
    raw_rate, rate = buyers / raw_seconds, buyers / service_seconds
    print(
        f"storefront bench flash-sale: {buyers} buyers on {units} units, "
        f"{workers} process(es) x {concurrency} at a time, {printable_url(url)}"
    )
    print("path          buyers/s   units won")
    print(f"bare UPDATE   {raw_rate:>8.0f}   {raw_won:>9}")
    print(f"service       {rate:>8.0f}   {won:>9}")
    print(
        f"service / bare UPDATE: {rate / raw_rate:.0%} (target >= 50%); oversold units: {oversold}"
    )
    return 0 if oversold == 0 and won == units else 1


if __name__ == "__main__":  # a worker process of a multi-process round
    url, mode, sale, first, count, conc = sys.argv[1:7]
    print(asyncio.run(_work(url, mode, int(sale), int(first), int(count), int(conc))))
