"""The alerts a buyer controls in the database, on SQLite and on PostgreSQL: choices saved and
read back, and the daily count taken atomically (100 concurrent sends to one buyer with a cap
of 3 give exactly 3; another local day counts afresh)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.domain.alerts import AlertKind, AlertPrefs
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def _buyer(uows: SqlUnitOfWorkFactory, user_id: int, language: str = "en") -> None:
    async with uows() as uow:
        await uow.buyers.touch(user_id, "Ann", None, language, NOW)
        await uow.commit()


async def test_choices_are_saved_and_read_back(uows: SqlUnitOfWorkFactory) -> None:
    await _buyer(uows, 5_000_000_001, "zh")
    chosen = AlertPrefs(
        frozenset({AlertKind.DROPS, AlertKind.CREATORS}),
        frozenset({3, 12}),
        cap=1,
        zone="UTC+08:00",
        quiet=(23 * 60, 7 * 60),
        quiet_chosen=True,
    )
    async with uows() as uow:
        fresh = await uow.alerts.of([5_000_000_001, 42])
        await uow.alerts.save(5_000_000_001, chosen)
        await uow.commit()
    assert fresh[5_000_000_001].prefs == AlertPrefs() and 42 not in fresh
    assert fresh[5_000_000_001].language == "zh"
    async with uows() as uow:
        assert (await uow.alerts.of([5_000_000_001]))[5_000_000_001].prefs == chosen
        off = AlertPrefs(quiet=None, quiet_chosen=True)
        await uow.alerts.save(5_000_000_001, off)
        await uow.commit()
    async with uows() as uow:
        assert (await uow.alerts.of([5_000_000_001]))[5_000_000_001].prefs == off


async def test_the_daily_count_is_taken_atomically(uows: SqlUnitOfWorkFactory) -> None:
    await _buyer(uows, 77)

    async def send() -> bool:
        async with uows() as uow:
            taken = await uow.alerts.take(77, "2026-11-25", 3)
            await uow.commit()
            return taken

    results = await asyncio.gather(*(send() for _ in range(100)))
    assert sum(results) == 3
    async with uows() as uow:
        assert await uow.alerts.sent_on({77: "2026-11-25"}) == {77: 3}
        assert await uow.alerts.take(77, "2026-11-26", 3)  # the next local day
        assert not await uow.alerts.take(77, "2026-11-26", 0)  # a cap of 0: none at all
        await uow.commit()
    async with uows() as uow:
        assert await uow.alerts.sent_on({77: "2026-11-26"}) == {77: 1}
