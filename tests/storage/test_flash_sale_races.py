"""Flash-sale claims under contention, on SQLite and on PostgreSQL: 2,000 buyers, 40 at a
time, on 100 units get exactly 100 reservations (``storefront bench flash-sale`` races
10,000), a buyer racing himself gets his limit, and expiry, retakes and a merchant lowering
the stock mid-sale never oversell."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.flash_sales import ClaimRefusal, FlashSale
from bot.domain.money import Money
from bot.services import flash_sales
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
BUYERS = 2_000
UNITS = 100


async def _sale(uows: SqlUnitOfWorkFactory, units: int = UNITS, per_buyer: int = 1) -> FlashSale:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("KJ-10")  # 200 in stock
        assert variant_id is not None
        sale = await flash_sales.schedule(
            uow,
            variant_id,
            Money(299, "USD"),
            units,
            per_buyer,
            NOW - timedelta(minutes=1),
            NOW + timedelta(hours=1),
            NOW,
        )
        await uow.commit()
    return sale


async def _claim(uows: SqlUnitOfWorkFactory, sale_id: int, user: int) -> flash_sales.ClaimResult:
    async with uows() as uow:
        result = await flash_sales.claim(uow, sale_id, user, NOW, WINDOW)
        await uow.commit()
        return result


async def _stock(uows: SqlUnitOfWorkFactory, sale: FlashSale) -> tuple[int, int]:
    async with uows() as uow:
        fresh = await uow.sales.sale(sale.id)
        found = await uow.catalog.variant(sale.variant_id)
    assert fresh is not None and found is not None
    return fresh.claimed, found[0].stock


async def test_2000_buyers_on_100_units_get_exactly_100_reservations(
    uows: SqlUnitOfWorkFactory,
) -> None:
    sale = await _sale(uows)
    gate = asyncio.Semaphore(40)  # 40 buyers at once, 2,000 in all

    async def buyer(user: int) -> bool:
        async with gate:
            return (await _claim(uows, sale.id, user)).claim_id is not None

    won = await asyncio.gather(*(buyer(100_000 + i) for i in range(BUYERS)))
    assert sum(won) == UNITS
    assert await _stock(uows, sale) == (UNITS, 200 - UNITS)  # nothing oversold
    late = await _claim(uows, sale.id, 1)
    assert late.refusal is ClaimRefusal.SOLD_OUT


async def test_a_buyer_racing_himself_gets_his_limit(uows: SqlUnitOfWorkFactory) -> None:
    sale = await _sale(uows, per_buyer=2)
    results = await asyncio.gather(*(_claim(uows, sale.id, 42) for _ in range(30)))
    assert sum(r.claim_id is not None for r in results) == 2
    assert {r.refusal for r in results if r.claim_id is None} == {ClaimRefusal.LIMIT}
    assert await _stock(uows, sale) == (2, 198)


async def test_expiry_retakes_and_lowered_stock_never_oversell(
    uows: SqlUnitOfWorkFactory,
) -> None:
    sale = await _sale(uows, units=2)
    first = await _claim(uows, sale.id, 1)
    second = await _claim(uows, sale.id, 2)
    assert first.claim_id and second.claim_id
    assert (await _claim(uows, sale.id, 3)).refusal is ClaimRefusal.SOLD_OUT
    # Buyer 1 does not pay: the window passes and the unit goes back to the sale and stock.
    async with uows() as uow:
        assert await flash_sales.release_due(uow, NOW + WINDOW) == 2
        assert await flash_sales.release_due(uow, NOW + WINDOW) == 0
        await uow.commit()
    assert await _stock(uows, sale) == (0, 200)
    # A payment for a lapsed reservation takes a unit again while one is left...
    async with uows() as uow:
        assert await uow.sales.retake(first.claim_id, NOW + WINDOW)
        assert not await uow.sales.retake(first.claim_id, NOW + WINDOW)  # once
        await uow.commit()
    # ...and the merchant lowering the stock to what is claimed closes the sale.
    async with uows() as uow:
        assert await uow.sales.set_stock(sale.id, 1)
        await uow.commit()
    assert (await _claim(uows, sale.id, 4)).refusal is ClaimRefusal.SOLD_OUT
    async with uows() as uow:
        assert not await uow.sales.retake(second.claim_id, NOW + WINDOW)  # nothing left
        await uow.commit()
    assert await _stock(uows, sale) == (1, 199)


async def test_claims_before_the_start_and_after_the_end_are_refused(
    uows: SqlUnitOfWorkFactory,
) -> None:
    sale = await _sale(uows)
    async with uows() as uow:
        early = await flash_sales.claim(uow, sale.id, 5, NOW - timedelta(hours=1), WINDOW)
        late = await flash_sales.claim(uow, sale.id, 5, NOW + timedelta(hours=2), WINDOW)
        missing = await flash_sales.claim(uow, 999_999, 5, NOW, WINDOW)
    assert early.refusal is ClaimRefusal.NOT_STARTED
    assert late.refusal is ClaimRefusal.ENDED
    assert missing.refusal is ClaimRefusal.NOT_FOUND
    assert await _stock(uows, sale) == (0, 200)
