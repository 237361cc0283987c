"""The guessing limit's wrong attempts in storage, on SQLite and on PostgreSQL: concurrent wrong
attempts are counted exactly; one buyer's burst of concurrent guesses (from many chats, say)
gets exactly the limit through, not one more; old attempts are pruned by housekeeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.domain.guesses import MAX_WINDOW, CodeKind, GuessLimit
from bot.services import guesses
from bot.services.housekeeping import forget_old_guesses
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BUYER = 7_000_000_123  # a 64-bit Telegram id
OTHER = 7_000_000_456
RULE = GuessLimit(10, timedelta(minutes=10))


async def _count(uows: SqlUnitOfWorkFactory, user_id: int, since: datetime) -> int:
    async with uows() as uow:
        return len(await uow.guesses.recent(user_id, since, 10_000))


async def test_concurrent_wrong_attempts_are_counted_exactly(uows: SqlUnitOfWorkFactory) -> None:
    async def wrong(n: int) -> None:
        async with uows() as uow:
            at = NOW + timedelta(milliseconds=n)
            await guesses.wrong(uow, BUYER if n % 2 else OTHER, CodeKind.COUPON, RULE, at)
            await uow.commit()

    await asyncio.gather(*(wrong(n) for n in range(60)))
    assert await _count(uows, BUYER, NOW - timedelta(seconds=1)) == 30
    assert await _count(uows, OTHER, NOW - timedelta(seconds=1)) == 30
    async with uows() as uow:
        newest = await uow.guesses.recent(BUYER, NOW - timedelta(seconds=1), 3)
    assert newest == sorted(newest, reverse=True) and len(newest) == 3
    assert newest[0] == NOW + timedelta(milliseconds=59)


async def test_a_burst_of_concurrent_guesses_gets_exactly_the_limit_through(
    uows: SqlUnitOfWorkFactory,
) -> None:
    """Each attempt checks, looks its (wrong) code up and records it in one transaction, as a
    turn does; 40 at once for one buyer: 10 are looked up, 30 refused unchecked."""

    async def attempt() -> bool:
        async with uows() as uow:
            if await guesses.cooling_until(uow, BUYER, RULE, NOW) is not None:
                return False
            await asyncio.sleep(0.01)  # the lookup: long enough for the others to pile up
            await guesses.wrong(uow, BUYER, CodeKind.TEAM, RULE, NOW)
            await uow.commit()
            return True

    through = await asyncio.gather(*(attempt() for _ in range(40)))
    assert sum(through) == RULE.limit
    assert await _count(uows, BUYER, NOW - timedelta(seconds=1)) == RULE.limit
    async with uows() as uow:
        assert await guesses.cooling_until(uow, BUYER, RULE, NOW) == NOW + RULE.window
        assert await guesses.cooling_until(uow, OTHER, RULE, NOW) is None
        assert await guesses.cooling_until(uow, BUYER, RULE, NOW + RULE.window) is None
        # With the limit off nothing is recorded or refused.
        await guesses.wrong(uow, OTHER, CodeKind.TEAM, GuessLimit(0), NOW)
        assert await guesses.cooling_until(uow, BUYER, GuessLimit(0), NOW) is None
        await uow.commit()
    assert await _count(uows, OTHER, NOW - timedelta(seconds=1)) == 0


async def test_housekeeping_forgets_attempts_older_than_any_window(
    uows: SqlUnitOfWorkFactory,
) -> None:
    async with uows() as uow:
        for hours in (0, 1, 23, 25, 48):
            at = NOW - timedelta(hours=hours)
            await guesses.wrong(uow, BUYER, CodeKind.INVITE, RULE, at)
        await uow.commit()
    assert await forget_old_guesses(uows, NOW) == 2
    assert await _count(uows, BUYER, NOW - MAX_WINDOW - timedelta(days=5)) == 3
    assert await forget_old_guesses(uows, NOW) == 0
