"""One gentle reminder for a cart left alone: a notice per buyer, never twice for one cart."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.ports import UnitOfWorkFactory


async def remind_abandoned_carts(
    uows: UnitOfWorkFactory, now: datetime, after: timedelta, limit: int = 200
) -> int:
    async with uows() as uow:
        buyers = await uow.prefs.abandoned_carts(now - after, limit)
        for user_id in buyers:
            await uow.prefs.mark_reminded(user_id, now)
            await uow.notices.add(user_id, "cart_reminder", {"user": user_id}, now)
        await uow.commit()
    return len(buyers)
