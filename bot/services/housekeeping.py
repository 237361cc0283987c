"""Routine clean-up that keeps tables small."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.domain.guesses import MAX_WINDOW
from bot.services.ports import UnitOfWorkFactory

#: Telegram redelivers an update for at most about a day; keep ids a while longer.
KEEP_HANDLED_UPDATES = timedelta(days=3)


#: The polling inbox keeps the updates it is done with this long (``INBOX_KEEP_HOURS``); the
#: claims above are what stops a redelivery, the rows are for looking into what happened.
KEEP_INBOX = timedelta(days=1)


async def forget_old_updates(
    uows: UnitOfWorkFactory, now: datetime, inbox_keep: timedelta = KEEP_INBOX
) -> int:
    """Handled update ids older than ``KEEP_HANDLED_UPDATES`` and inbox rows done more than
    ``inbox_keep`` ago (rows not done are never pruned); how many rows went."""
    async with uows() as uow:
        removed = await uow.updates.forget_before(now - KEEP_HANDLED_UPDATES)
        removed += await uow.inbox.forget_done_before(now - inbox_keep)
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


#: ``/healthz`` answers within 2 s whatever the database does: the check gets this long.
HEALTH_WITHIN = 1.5

Check = Callable[[], Awaitable[dict[str, object]]]


class HealthProbe:
    """A health check that answers in time, one check at a time.

    A database that accepts connections and never answers holds a check until the driver's
    own bounds (``DB_CONNECT_TIMEOUT``, ``DB_STATEMENT_TIMEOUT``: seconds), longer than a load
    balancer's probe waits. The probe raises ``TimeoutError`` after ``within`` seconds and
    leaves the check to finish by itself; a probe while a check still runs waits for that one
    instead of starting another, so a monitor polling a silent database every second does not
    pile checks up on the pool.
    """

    def __init__(self, check: Check, within: float = HEALTH_WITHIN) -> None:
        self.check = check
        self.within = within
        self._running: asyncio.Future[dict[str, object]] | None = None

    async def __call__(self) -> dict[str, object]:
        running = self._running
        if running is None or running.done():
            running = self._running = asyncio.ensure_future(self.check())
            running.add_done_callback(_retrieve)
        done, _ = await asyncio.wait({running}, timeout=self.within)
        if not done:
            raise TimeoutError(f"the database did not answer within {self.within:g} s")
        return running.result()


def _retrieve(check: asyncio.Future[dict[str, object]]) -> None:
    """A check nobody waited for any more still has its failure read (asyncio would log it as
    never retrieved); the probe that was waiting has already answered 503."""
    if not check.cancelled():
        check.exception()
