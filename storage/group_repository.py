"""Group buys in SQL: every seat and status change is one conditional statement.

``SqlGroupBuyRepository`` holds the deals, the teams and their seats; it takes its boards from
``storage/team_boards.py`` and its leaders and their ledger from ``storage/group_leaders.py``
(one repository, ``uow.groups``, one session).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.group_buys import GroupDeal, Team, TeamStatus
from bot.services.group_ports import NewTeam, Seat
from storage.group_leaders import SqlLeaderLedger
from storage.group_rows import SEAT as _SEAT
from storage.group_rows import TEAM as _TEAM
from storage.group_rows import deal_of, seat_from, team_of
from storage.group_tables import GroupDealRow, TeamRow, TeamSeatRow
from storage.read_cache import ReadCache
from storage.repositories import dialect_insert
from storage.tables import VariantRow
from storage.team_boards import SqlTeamBoards
from storage.types import rowcount, table_of


class SqlGroupBuyRepository(SqlTeamBoards, SqlLeaderLedger):
    def __init__(
        self,
        session: AsyncSession,
        cache: ReadCache | None = None,
        after_commit: list[Callable[[], None]] | None = None,
    ) -> None:
        self._s = session
        self._cache = cache
        self._after_commit = after_commit if after_commit is not None else []

    # Deals -------------------------------------------------------------------------------

    async def deal(self, variant_id: int) -> GroupDeal | None:
        row = await self._s.get(GroupDealRow, variant_id, populate_existing=True)
        return deal_of(row) if row is not None else None

    async def deals_for_product(self, product_id: int) -> list[GroupDeal]:
        """Every card shows its deal: read through the process's short read cache (like the
        card itself); opening a team reads the deal from the database."""
        key = ("group_deals", product_id)
        cached = self._cache.get(key) if self._cache is not None else None
        if cached is not None:
            return list(cached)
        rows = (
            await self._s.execute(
                select(GroupDealRow)
                .join(VariantRow, col(VariantRow.id) == GroupDealRow.variant_id)
                .where(VariantRow.product_id == product_id, col(GroupDealRow.active).is_(True))
                .order_by(col(VariantRow.position), col(VariantRow.id))
            )
        ).scalars()
        deals = [deal_of(r) for r in rows]
        if self._cache is not None:
            self._cache.put(key, tuple(deals))
        return deals

    async def set_deal(self, deal: GroupDeal) -> None:
        values = {
            "price_minor": deal.price.amount,
            "currency": deal.price.currency,
            "team_size": deal.team_size,
            "limit_minutes": int(deal.time_limit.total_seconds() // 60),
            "max_teams": deal.max_teams,
            "commission_percent": deal.commission_percent,
            "active": deal.active,
        }
        stmt = dialect_insert(self._s, GroupDealRow).values(variant_id=deal.variant_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["variant_id"], set_=values)
        await self._s.execute(stmt)
        if self._cache is not None and self._cache.clear not in self._after_commit:
            self._after_commit.append(self._cache.clear)

    async def all_deals(self) -> list[GroupDeal]:
        rows = (await self._s.execute(select(GroupDealRow))).scalars()
        return [deal_of(r) for r in rows]

    # Teams -------------------------------------------------------------------------------

    async def open_teams(self, variant_id: int, now: datetime) -> int:
        count = await self._s.scalar(
            select(func.count())
            .select_from(TeamRow)
            .where(
                _TEAM.variant_id == variant_id,
                _TEAM.status == TeamStatus.OPEN.value,
                _TEAM.deadline > now,
            )
        )
        return int(count or 0)

    async def create_team(self, new: NewTeam, now: datetime) -> Team:
        row = TeamRow(
            variant_id=new.variant_id,
            product_id=new.product_id,
            leader_id=new.leader_id,
            size=new.size,
            currency=new.price.currency,
            price_minor=new.price.amount,
            regular_minor=new.regular_price.amount,
            commission_percent=new.commission_percent,
            name=new.name[:260],
            deadline=new.deadline,
            pickup_name=new.pickup.name if new.pickup else None,
            pickup_address=new.pickup.address if new.pickup else None,
            pickup_hours=new.pickup.hours if new.pickup else None,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return team_of(row)

    async def team(self, team_id: int) -> Team | None:
        row = await self._s.scalar(
            select(TeamRow).where(_TEAM.id == team_id).execution_options(populate_existing=True)
        )
        return team_of(row) if row is not None else None

    async def seat_of(self, team_id: int, user_id: int) -> Seat | None:
        row = await self._s.scalar(
            select(TeamSeatRow)
            .where(_SEAT.team_id == team_id, _SEAT.user_id == user_id)
            .execution_options(populate_existing=True)
        )
        return seat_from(row) if row is not None else None

    async def seats(self, team_id: int) -> list[Seat]:
        rows = (
            await self._s.execute(
                select(TeamSeatRow)
                .where(_SEAT.team_id == team_id)
                .order_by(_SEAT.number, _SEAT.id)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return [seat_from(r) for r in rows]

    async def take_seat(self, team_id: int, user_id: int, order_id: int, now: datetime) -> bool:
        taken = await self._s.execute(
            update(table_of(TeamRow))
            .where(
                _TEAM.id == team_id,
                _TEAM.status == TeamStatus.OPEN.value,
                _TEAM.deadline > now,
                _TEAM.taken < _TEAM.size,
            )
            .values(taken=_TEAM.taken + 1)
        )
        if not rowcount(taken):
            return False
        stmt = dialect_insert(self._s, TeamSeatRow).values(
            team_id=team_id, user_id=user_id, order_id=order_id, status="held", created_at=now
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["team_id", "user_id"])
        inserted = await self._s.execute(stmt)
        if rowcount(inserted):
            return True
        # The person already holds a seat here: give the counted one back.
        await self._s.execute(
            update(table_of(TeamRow)).where(_TEAM.id == team_id).values(taken=_TEAM.taken - 1)
        )
        return False

    async def release_seat(self, team_id: int, order_id: int) -> bool:
        seat = await self._s.scalar(
            select(TeamSeatRow).where(_SEAT.team_id == team_id, _SEAT.order_id == order_id)
        )
        if seat is None:
            return False
        team_open = (
            select(_TEAM.id)
            .where(_TEAM.id == team_id, _TEAM.status == TeamStatus.OPEN.value)
            .exists()
        )
        # A settled team keeps its seats: they are the record of who was in it.
        gone = await self._s.execute(
            delete(table_of(TeamSeatRow)).where(_SEAT.id == seat.id, team_open)
        )
        if not rowcount(gone):
            return False
        paid = 1 if seat.status == "paid" else 0
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id, _TEAM.status == TeamStatus.OPEN.value)
            .values(taken=_TEAM.taken - 1, paid=_TEAM.paid - paid, board_dirty=True)
        )
        return True

    async def pay_seat(self, team_id: int, order_id: int) -> int | None:
        counted = await self._s.execute(
            update(table_of(TeamRow))
            .where(
                _TEAM.id == team_id,
                _TEAM.status == TeamStatus.OPEN.value,
                _TEAM.paid < _TEAM.taken,
            )
            .values(paid=_TEAM.paid + 1, board_dirty=True)
            .returning(_TEAM.paid)
        )
        row = counted.first()
        if row is None:
            return None
        number = int(row[0])
        marked = await self._s.execute(
            update(table_of(TeamSeatRow))
            .where(_SEAT.team_id == team_id, _SEAT.order_id == order_id, _SEAT.status == "held")
            .values(status="paid", number=number)
        )
        if not rowcount(marked):
            await self._s.execute(
                update(table_of(TeamRow)).where(_TEAM.id == team_id).values(paid=_TEAM.paid - 1)
            )
            return None
        return number

    async def fill(self, team_id: int, now: datetime) -> bool:
        result = await self._s.execute(
            update(table_of(TeamRow))
            .where(
                _TEAM.id == team_id,
                _TEAM.status == TeamStatus.OPEN.value,
                _TEAM.paid >= _TEAM.size,
            )
            .values(status=TeamStatus.FILLED.value, settled_at=now, board_dirty=True)
        )
        return bool(rowcount(result))

    async def due(self, now: datetime, limit: int) -> list[int]:
        rows = await self._s.execute(
            select(_TEAM.id)
            .where(_TEAM.status == TeamStatus.OPEN.value, _TEAM.deadline <= now)
            .order_by(_TEAM.deadline)
            .limit(limit)
        )
        return [int(r[0]) for r in rows]

    async def expire(self, team_id: int, now: datetime) -> bool:
        result = await self._s.execute(
            update(table_of(TeamRow))
            .where(
                _TEAM.id == team_id,
                _TEAM.status == TeamStatus.OPEN.value,
                _TEAM.deadline <= now,
            )
            .values(status=TeamStatus.EXPIRED.value, settled_at=now, board_dirty=True)
        )
        return bool(rowcount(result))
