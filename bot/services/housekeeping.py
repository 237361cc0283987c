"""Routine clean-up that keeps tables small."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.guesses import MAX_WINDOW
from bot.services.ports import UnitOfWorkFactory

#: Telegram redelivers an update for at most about a day; keep ids a while longer.
KEEP_HANDLED_UPDATES = timedelta(days=3)


async def forget_old_updates(uows: UnitOfWorkFactory, now: datetime) -> int:
    async with uows() as uow:
        removed = await uow.updates.forget_before(now - KEEP_HANDLED_UPDATES)
        await uow.commit()
    return removed


async def forget_old_guesses(uows: UnitOfWorkFactory, now: datetime) -> int:
    """Wrong codes older than the longest guessing window count for nothing any more."""
    async with uows() as uow:
        removed = await uow.guesses.forget_before(now - MAX_WINDOW)
        await uow.commit()
    return removed


#: The health check counts the outbox backlog up to this many rows (a cheap, bounded read).
BACKLOG_CAP = 100


async def health(uows: UnitOfWorkFactory, now: datetime) -> dict[str, object]:
    """The database answers; how many refunds are due and notices wait (at most BACKLOG_CAP
    each). Raises if the database cannot be reached."""
    async with uows() as uow:
        refunds = len(await uow.refunds.due(now, BACKLOG_CAP))
        notices = len(await uow.notices.pending(BACKLOG_CAP))
    return {"refunds_due": refunds, "notices_pending": notices, "backlog_cap": BACKLOG_CAP}
