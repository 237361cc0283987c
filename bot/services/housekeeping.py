"""Routine clean-up that keeps tables small."""

from __future__ import annotations

from datetime import datetime, timedelta

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


#: The health check counts the outbox backlog up to this many rows (a cheap, bounded read).
BACKLOG_CAP = 100


async def health(uows: UnitOfWorkFactory, now: datetime) -> dict[str, object]:
    """The database answers; how many refunds are due and notices wait (at most BACKLOG_CAP
    each). Raises if the database cannot be reached."""
    async with uows() as uow:
        refunds = len(await uow.refunds.due(now, BACKLOG_CAP))
        notices = len(await uow.notices.pending(BACKLOG_CAP))
    return {"refunds_due": refunds, "notices_pending": notices, "backlog_cap": BACKLOG_CAP}
