"""One-time coupon codes under concurrency, on SQLite and on PostgreSQL: 1,000 codes made in
bulk, each raced for by two buyers at once, give exactly 1,000 uses, one per code; a second
use of any code is refused; a use given back (an order expired unpaid) frees its code; a code
the coupon's own limits refuse is not spent."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from bot.domain.coupons import (
    ONE_TIME_ALPHABET,
    ONE_TIME_LENGTH,
    Coupon,
    CouponKind,
    normalise_code,
)
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CODES = 1000


async def _coupon(uows: SqlUnitOfWorkFactory, count: int, **limits: int) -> tuple[int, list[str]]:
    async with uows() as uow:
        coupon_id = await uow.coupons.create(
            Coupon(0, "BULK", CouponKind.PERCENT, percent=10, **limits),
            NOW,  # type: ignore[arg-type]
        )
        codes = await uow.coupons.add_codes(coupon_id, count, NOW)
        await uow.commit()
    return coupon_id, codes


async def _take(uows: SqlUnitOfWorkFactory, coupon_id: int, buyer: int, code: str) -> bool:
    async with uows() as uow:
        taken = await uow.coupons.take(coupon_id, buyer, code, NOW)
        await uow.commit()
        return taken


async def test_1000_codes_raced_by_2000_buyers_give_exactly_1000_uses(
    uows: SqlUnitOfWorkFactory,
) -> None:
    coupon_id, codes = await _coupon(uows, CODES, per_buyer_limit=1)
    assert len(codes) == len(set(codes)) == CODES
    for code in codes:  # random, unambiguous, and read as themselves
        assert len(code) == ONE_TIME_LENGTH and set(code) <= set(ONE_TIME_ALPHABET)
        assert normalise_code(code.lower()) == code
    gate = asyncio.Semaphore(40)  # 40 at once
    # Each code is tried by its own buyer and by a rival, in a random order.
    tries = [(10_000 + i, code) for i, code in enumerate(codes)]
    tries += [(50_000 + i, code) for i, code in enumerate(codes)]
    random.Random(7).shuffle(tries)

    async def redeem(buyer: int, code: str) -> tuple[int, str, bool]:
        async with gate:
            return buyer, code, await _take(uows, coupon_id, buyer, code)

    results = await asyncio.gather(*(redeem(b, c) for b, c in tries))
    won = [(b, c) for b, c, ok in results if ok]
    assert len(won) == CODES
    assert sorted(c for _, c in won) == sorted(codes)  # exactly one use per code
    async with uows() as uow:
        usage = await uow.coupons.usage(coupon_id, 1, codes[0])
        uses = await uow.coupons.codes(coupon_id)
        [stats] = await uow.coupons.all()
    assert usage.used_total == CODES and usage.code_used
    assert {(u.used_by, u.code) for u in uses} == set(won)
    assert all(u.used_at == NOW for u in uses)
    assert (stats.used, stats.codes, stats.codes_used) == (CODES, CODES, CODES)
    # A second use of any code is refused, by whoever asks, and counts nothing.
    again = await asyncio.gather(*(redeem(90_000 + i, code) for i, code in enumerate(codes[:200])))
    assert not any(ok for _, _, ok in again)
    async with uows() as uow:
        assert (await uow.coupons.usage(coupon_id, 1)).used_total == CODES


async def test_a_use_given_back_frees_the_code_and_a_refused_use_keeps_it(
    uows: SqlUnitOfWorkFactory,
) -> None:
    coupon_id, codes = await _coupon(uows, 3, usage_limit=1)
    first, second, third = codes
    assert await _take(uows, coupon_id, 1, first)
    # The coupon's own limit (1 use) refuses buyer 2: his code is not spent.
    assert not await _take(uows, coupon_id, 2, second)
    async with uows() as uow:
        assert not (await uow.coupons.usage(coupon_id, 2, second)).code_used
        # Buyer 1's order expires unpaid: the use and the code come back.
        await uow.coupons.give_back(coupon_id, 99, first)  # not his: nothing freed
        await uow.commit()
    async with uows() as uow:
        assert (await uow.coupons.usage(coupon_id, 1, first)).code_used
        await uow.coupons.give_back(coupon_id, 1, first)
        await uow.commit()
    async with uows() as uow:
        usage = await uow.coupons.usage(coupon_id, 1, first)
        assert not usage.code_used and usage.used_total == 0
    assert await _take(uows, coupon_id, 3, first)  # the freed code works for someone else
    assert not await _take(uows, coupon_id, 3, third)  # the coupon's limit again
    async with uows() as uow:
        # The coupon's own code: only its one-time codes redeem it now.
        assert (await uow.coupons.usage(coupon_id, 5, "BULK")).codes_only
        found = await uow.coupons.by_code(first)
        assert found is not None and found.one_time and found.id == coupon_id
        assert found.code == first
