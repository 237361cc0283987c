"""Group-buy leaders in SQL: who leads (and their pickup point), the teams they led, and their
commission ledger. A part of ``SqlGroupBuyRepository`` (``storage/group_repository.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.group_buys import PickupPoint, Team
from bot.domain.money import Money
from bot.services.group_ports import CommissionEntry
from storage.group_rows import TEAM as _TEAM
from storage.group_rows import pickup_of, team_of
from storage.group_tables import CommissionRow, LeaderRow, TeamRow
from storage.repositories import dialect_insert
from storage.types import rowcount, table_of


class SqlLeaderLedger:
    """The leaders' half of the group-buy repository (the session is the repository's)."""

    _s: AsyncSession

    async def is_leader(self, user_id: int) -> bool:
        return await self._s.get(LeaderRow, user_id) is not None

    async def leader_pickup(self, user_id: int) -> PickupPoint | None:
        row = await self._s.get(LeaderRow, user_id, populate_existing=True)
        if row is None:
            return None
        return pickup_of(row.pickup_name, row.pickup_address, row.pickup_hours)

    async def set_leader(self, user_id: int, pickup: PickupPoint | None) -> None:
        values = {
            "pickup_name": pickup.name if pickup else None,
            "pickup_address": pickup.address if pickup else None,
            "pickup_hours": pickup.hours if pickup else None,
        }
        stmt = dialect_insert(self._s, LeaderRow).values(user_id=user_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_=values)
        await self._s.execute(stmt)

    async def remove_leader(self, user_id: int) -> bool:
        result = await self._s.execute(
            delete(table_of(LeaderRow)).where(table_of(LeaderRow).c.user_id == user_id)
        )
        return bool(rowcount(result))

    async def leaders(self) -> list[tuple[int, PickupPoint | None]]:
        rows = (
            await self._s.execute(select(LeaderRow).order_by(col(LeaderRow.user_id)))
        ).scalars()
        return [
            (r.user_id, pickup_of(r.pickup_name, r.pickup_address, r.pickup_hours)) for r in rows
        ]

    async def teams_led(self, leader_id: int, limit: int) -> list[Team]:
        rows = (
            await self._s.execute(
                select(TeamRow)
                .where(_TEAM.leader_id == leader_id)
                .order_by(_TEAM.id.desc())
                .limit(limit)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return [team_of(r) for r in rows]

    async def add_commission(
        self, leader_id: int, team_id: int, order_id: int, amount: Money, now: datetime
    ) -> None:
        self._s.add(
            CommissionRow(
                leader_id=leader_id,
                team_id=team_id,
                order_id=order_id,
                amount_minor=amount.amount,
                currency=amount.currency,
                created_at=now,
            )
        )
        await self._s.flush()

    async def commission_of(self, order_id: int) -> Money | None:
        row = (
            await self._s.execute(
                select(
                    func.sum(CommissionRow.amount_minor), func.min(CommissionRow.currency)
                ).where(CommissionRow.order_id == order_id)
            )
        ).first()
        if row is None or row[1] is None:
            return None
        return Money(int(row[0] or 0), str(row[1]))

    async def ledger(self, leader_id: int, limit: int) -> list[CommissionEntry]:
        rows = (
            await self._s.execute(
                select(CommissionRow)
                .where(CommissionRow.leader_id == leader_id)
                .order_by(col(CommissionRow.id).desc())
                .limit(limit)
            )
        ).scalars()
        return [
            CommissionEntry(
                r.id or 0,
                r.leader_id,
                r.team_id,
                r.order_id,
                Money(r.amount_minor, r.currency),
                r.created_at,
            )
            for r in rows
        ]

    async def ledger_totals(self, leader_id: int) -> list[Money]:
        rows = await self._s.execute(
            select(CommissionRow.currency, func.sum(CommissionRow.amount_minor))
            .where(CommissionRow.leader_id == leader_id)
            .group_by(CommissionRow.currency)
            .order_by(CommissionRow.currency)
        )
        return [Money(int(total or 0), str(cur)) for cur, total in rows]
