"""Buyers' interactions with products in SQL, and the queries recommendations make of them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.interests import InteractionKind
from storage.admin_tables import InteractionRow

#: Paging back and forth over the same card is one view, not ten.
VIEW_DEDUP = timedelta(minutes=30)


class SqlInterestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(
        self, user_id: int, product_ids: list[int], kind: InteractionKind, now: datetime
    ) -> None:
        wanted = sorted({p for p in product_ids if p > 0})
        if not wanted:
            return
        if kind is InteractionKind.VIEW:
            seen = await self._s.execute(
                select(InteractionRow.product_id).where(
                    InteractionRow.user_id == user_id,  # type: ignore[arg-type]
                    InteractionRow.kind == kind.value,  # type: ignore[arg-type]
                    InteractionRow.at >= now - VIEW_DEDUP,  # type: ignore[arg-type]
                    InteractionRow.product_id.in_(wanted),  # type: ignore[attr-defined]
                )
            )
            recent = {int(r[0]) for r in seen}
            wanted = [p for p in wanted if p not in recent]
        for product_id in wanted:
            self._s.add(
                InteractionRow(user_id=user_id, product_id=product_id, kind=kind.value, at=now)
            )
        if wanted:
            await self._s.flush()
