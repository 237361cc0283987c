"""Routine clean-up that keeps tables small."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.ports import UnitOfWorkFactory

#: Telegram redelivers an update for at most about a day; keep ids a while longer.
KEEP_HANDLED_UPDATES = timedelta(days=3)


async def forget_old_updates(uows: UnitOfWorkFactory, now: datetime) -> int:
    async with uows() as uow:
        removed = await uow.updates.forget_before(now - KEEP_HANDLED_UPDATES)
        await uow.commit()
    return removed
