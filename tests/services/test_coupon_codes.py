"""One reading of a coupon code for every way it is typed: the buyer's ``/coupon`` and typed
code (``apply_code``), a drop's ``coupon:CODE`` button, the terms a merchant writes. Case and
spaces do not count; what still cannot be a code is never looked up (not a guess)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.coupons import Coupon, CouponKind, CouponRefusal
from bot.domain.drops import ButtonKind, DropError
from bot.services import coupon_terms, coupons, drops
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _shop_with_save10(uows: SqlUnitOfWorkFactory) -> int:
    async with uows() as uow:
        coupon = coupon_terms.build_coupon(
            "save 10", coupon_terms.Value(CouponKind.PERCENT, percent=10), now=NOW
        )
        assert coupon.code == "SAVE10"
        await uow.coupons.create(coupon, NOW)
        await uow.commit()
        stored = await uow.coupons.by_code("SAVE10")
    assert stored is not None
    return stored.id


@pytest.mark.parametrize("typed", ["SAVE10", "save10", "SAVE 10", "save 10", " Save\u00a010 "])
async def test_a_buyer_typing_the_code_any_way_gets_it(
    sqlite_uows: SqlUnitOfWorkFactory, typed: str
) -> None:
    coupon_id = await _shop_with_save10(sqlite_uows)
    async with sqlite_uows() as uow:
        await uow.buyers.touch(7, "Ann", None, "en", NOW)  # as the storefront does first
        applied = await coupons.apply_code(uow, 7, typed, NOW)
        assert applied.refusal is None and not applied.wrong
        assert isinstance(applied.coupon, Coupon) and applied.coupon.id == coupon_id
        assert await uow.prefs.coupon_of(7) == coupon_id


async def test_a_wrong_code_is_a_guess_and_garbage_is_not(
    sqlite_uows: SqlUnitOfWorkFactory,
) -> None:
    await _shop_with_save10(sqlite_uows)
    async with sqlite_uows() as uow:
        await uow.buyers.touch(7, "Ann", None, "en", NOW)
        wrong = await coupons.apply_code(uow, 7, "save 11", NOW)
        assert (wrong.refusal, wrong.wrong) == (CouponRefusal.UNKNOWN, True)
        garbage = await coupons.apply_code(uow, 7, "save\n10", NOW)
        assert (garbage.refusal, garbage.wrong) == (CouponRefusal.UNKNOWN, False)
        assert await uow.prefs.coupon_of(7) is None


async def test_a_drops_coupon_button_reads_the_code_the_same_way(
    sqlite_uows: SqlUnitOfWorkFactory,
) -> None:
    coupon_id = await _shop_with_save10(sqlite_uows)
    async with sqlite_uows() as uow:
        made = await drops.button(uow, "coupon:Save 10")
        assert (made.kind, made.target) == (ButtonKind.COUPON, coupon_id)
        with pytest.raises(DropError, match="no coupon save 11"):
            await drops.button(uow, "coupon:save 11")
