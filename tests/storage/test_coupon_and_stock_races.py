"""Limits the database enforces under concurrency, on SQLite and on PostgreSQL: a coupon
limited to 100 uses gives exactly 100 of 1,000 concurrent redemptions; the last units of stock
go to exactly as many buyers as there are units."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.domain.coupons import Coupon, CouponKind
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def _coupon(uows: SqlUnitOfWorkFactory, **limits: int) -> int:
    async with uows() as uow:
        coupon_id = await uow.coupons.create(
            Coupon(0, "RACE", CouponKind.PERCENT, percent=10, **limits),
            NOW,  # type: ignore[arg-type]
        )
        await uow.commit()
    return coupon_id


async def test_a_coupon_limited_to_100_gives_exactly_100_of_1000(
    uows: SqlUnitOfWorkFactory,
) -> None:
    coupon_id = await _coupon(uows, usage_limit=100)

    async def redeem(buyer: int) -> bool:
        async with uows() as uow:
            taken = await uow.coupons.take(coupon_id, buyer)
            await uow.commit()
            return taken

    results = await asyncio.gather(*(redeem(10_000 + i) for i in range(1000)))
    assert sum(results) == 100
    async with uows() as uow:
        usage = await uow.coupons.usage(coupon_id, 10_000)
    assert usage.used_total == 100


async def test_the_per_buyer_limit_holds_when_one_buyer_races_himself(
    uows: SqlUnitOfWorkFactory,
) -> None:
    coupon_id = await _coupon(uows, per_buyer_limit=2)

    async def redeem() -> bool:
        async with uows() as uow:
            taken = await uow.coupons.take(coupon_id, 42)
            await uow.commit()
            return taken

    results = await asyncio.gather(*(redeem() for _ in range(50)))
    assert sum(results) == 2
    async with uows() as uow:
        usage = await uow.coupons.usage(coupon_id, 42)
        assert (usage.used_total, usage.used_by_buyer) == (2, 2)
        await uow.coupons.give_back(coupon_id, 42)
        await uow.commit()
    async with uows() as uow:
        assert (await uow.coupons.usage(coupon_id, 42)).used_by_buyer == 1


async def test_the_last_units_go_to_as_many_buyers_as_there_are_units(
    uows: SqlUnitOfWorkFactory,
) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        [pid] = await uow.catalog.search_ids(["trail"], 5)  # Trail Blazer Boots: 3 in stock
        product = await uow.catalog.product(pid)
    assert product is not None
    variant = product.variants[0].id

    async def claim() -> bool:
        async with uows() as uow:
            taken = await uow.stock.take([(variant, 1)])
            await uow.commit()
            return taken

    results = await asyncio.gather(*(claim() for _ in range(60)))
    assert sum(results) == 3
    async with uows() as uow:
        found = await uow.catalog.variant(variant)
    assert found is not None and found[0].stock == 0


async def test_a_basket_takes_all_its_lines_or_none(uows: SqlUnitOfWorkFactory) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        [runner] = await uow.catalog.search_ids(["runner"], 5)
        product = await uow.catalog.product(runner)
        assert product is not None
        plenty, scarce = product.variants[0].id, product.variants[1].id  # 12 and 4 in stock
        assert not await uow.stock.take([(plenty, 2), (scarce, 5)])
        await uow.commit()
    async with uows() as uow:
        after = await uow.catalog.product(runner, fresh=True)
    assert after is not None and [v.stock for v in after.variants[:2]] == [12, 4]
