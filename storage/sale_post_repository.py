"""Sale cards posted in groups and channels: where each is, and what it showed last."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.flash_sales import FlashSale, PostPhase, SalePost
from bot.services.sale_ports import SalePostShown
from storage.repositories import dialect_insert
from storage.sale_repository import _sale
from storage.sale_tables import FlashSaleRow, SalePostRow
from storage.types import table_of

_POST = table_of(SalePostRow).c
_SALE = table_of(FlashSaleRow).c


class SqlSalePostRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record(
        self, sale_id: int, chat_id: int, message_id: int, shown: SalePostShown, now: datetime
    ) -> None:
        values = {
            "message_id": message_id,
            "shown_left": shown.left,
            "shown_phase": shown.phase.value,
            "closed": shown.phase is PostPhase.OVER,
            "edited_at": now,
        }
        stmt = dialect_insert(self._s, SalePostRow).values(
            sale_id=sale_id, chat_id=chat_id, created_at=now, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["sale_id", "chat_id"], set_=values)
        await self._s.execute(stmt)

    async def candidates(
        self, now: datetime, min_gap: timedelta, limit: int
    ) -> list[tuple[SalePost, FlashSale]]:
        rows = await self._s.execute(
            select(SalePostRow, FlashSaleRow)
            .join(FlashSaleRow, _SALE.id == _POST.sale_id)
            .where(_POST.closed.is_(False), _POST.edited_at <= now - min_gap)
            .order_by(_POST.edited_at)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        found = []
        for post, sale in rows:
            assert post.id is not None
            shown = SalePost(
                id=post.id,
                sale_id=post.sale_id,
                chat_id=post.chat_id,
                message_id=post.message_id,
                shown_left=post.shown_left,
                shown_phase=PostPhase(post.shown_phase),
                edited_at=post.edited_at,
            )
            found.append((shown, _sale(sale)))
        return found

    async def shown(self, post_id: int, shown: SalePostShown, now: datetime) -> None:
        await self._s.execute(
            update(table_of(SalePostRow))
            .where(_POST.id == post_id)
            .values(
                shown_left=shown.left,
                shown_phase=shown.phase.value,
                closed=shown.phase is PostPhase.OVER,
                edited_at=now,
            )
        )

    async def close(self, post_id: int) -> None:
        await self._s.execute(
            update(table_of(SalePostRow)).where(_POST.id == post_id).values(closed=True)
        )
