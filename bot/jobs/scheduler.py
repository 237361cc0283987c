"""One APScheduler per bot process, with its own in-memory job store.

APScheduler's maintainers say a job store must never be shared between schedulers, so nothing
is persisted here: jobs are module-level functions taking plain arguments, and whatever must
survive a restart lives in a database row that the job reads.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.conversation.storefront import utc_now
from bot.services.housekeeping import forget_old_updates
from bot.services.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


async def prune_handled_updates(uows: UnitOfWorkFactory) -> None:
    removed = await forget_old_updates(uows, utc_now())
    if removed:
        log.info("forgot %d handled update ids", removed)


def make_scheduler(uows: UnitOfWorkFactory) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        prune_handled_updates,
        "interval",
        hours=1,
        args=[uows],
        id="prune_handled_updates",
        # A missed hourly run is worth running late, but never twice in a row.
        coalesce=True,
        misfire_grace_time=3600,
        max_instances=1,
    )
    return scheduler
