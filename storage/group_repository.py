"""Group buys in SQL: every seat and status change is one conditional statement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.group_buys import GroupDeal, PickupPoint, Team, TeamStatus, board_interval
from bot.domain.money import Money
from bot.services.group_ports import CommissionEntry, NewTeam, Seat
from storage.group_tables import CommissionRow, GroupDealRow, LeaderRow, TeamRow, TeamSeatRow
from storage.read_cache import ReadCache
from storage.repositories import dialect_insert
from storage.tables import VariantRow
from storage.types import rowcount, table_of

_TEAM = table_of(TeamRow).c
_SEAT = table_of(TeamSeatRow).c
#: A board is edited at most this often, even when seats change every second.
MIN_BOARD_GAP = timedelta(seconds=3)


def _deal(row: GroupDealRow) -> GroupDeal:
    return GroupDeal(
        variant_id=row.variant_id,
        price=Money(row.price_minor, row.currency),
        team_size=row.team_size,
        time_limit=timedelta(minutes=row.limit_minutes),
        max_teams=row.max_teams,
        commission_percent=row.commission_percent,
        active=row.active,
    )


def _pickup(name: str | None, address: str | None, hours: int | None) -> PickupPoint | None:
    if not name:
        return None
    return PickupPoint(name, address or "", hours or 72)


def _team(row: TeamRow) -> Team:
    assert row.id is not None
    return Team(
        id=row.id,
        variant_id=row.variant_id,
        product_id=row.product_id,
        leader_id=row.leader_id,
        status=TeamStatus(row.status),
        size=row.size,
        taken=row.taken,
        paid=row.paid,
        price=Money(row.price_minor, row.currency),
        regular_price=Money(row.regular_minor, row.currency),
        commission_percent=row.commission_percent,
        deadline=row.deadline,
        created_at=row.created_at,
        name=row.name,
        pickup=_pickup(row.pickup_name, row.pickup_address, row.pickup_hours),
        settled_at=row.settled_at,
        board_chat_id=row.board_chat_id,
        board_message_id=row.board_message_id,
    )


class SqlGroupBuyRepository:
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
        return _deal(row) if row is not None else None

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
        deals = [_deal(r) for r in rows]
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
        return [_deal(r) for r in rows]

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
        return _team(row)

    async def team(self, team_id: int) -> Team | None:
        row = await self._s.scalar(
            select(TeamRow).where(_TEAM.id == team_id).execution_options(populate_existing=True)
        )
        return _team(row) if row is not None else None

    async def seat_of(self, team_id: int, user_id: int) -> Seat | None:
        row = await self._s.scalar(
            select(TeamSeatRow)
            .where(_SEAT.team_id == team_id, _SEAT.user_id == user_id)
            .execution_options(populate_existing=True)
        )
        return _seat(row) if row is not None else None

    async def seats(self, team_id: int) -> list[Seat]:
        rows = (
            await self._s.execute(
                select(TeamSeatRow)
                .where(_SEAT.team_id == team_id)
                .order_by(_SEAT.number, _SEAT.id)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return [_seat(r) for r in rows]

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

    # The group progress message ------------------------------------------------------------

    async def set_board(self, team_id: int, chat_id: int, message_id: int, now: datetime) -> None:
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id)
            .values(
                board_chat_id=chat_id,
                board_message_id=message_id,
                board_edited_at=now,
                board_dirty=False,
            )
        )

    async def boards_due(self, now: datetime, limit: int) -> list[Team]:
        recent = now - MIN_BOARD_GAP
        rows = (
            await self._s.execute(
                select(TeamRow)
                .where(
                    _TEAM.board_message_id.is_not(None),
                    or_(
                        and_(_TEAM.board_dirty.is_(True), _TEAM.board_edited_at <= recent),
                        and_(
                            _TEAM.status == TeamStatus.OPEN.value,
                            _TEAM.board_edited_at <= now - timedelta(minutes=1),
                        ),
                    ),
                )
                .order_by(_TEAM.board_edited_at)
                .limit(limit * 4)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        due: list[Team] = []
        for row in rows:
            edited = row.board_edited_at or row.created_at
            stale = now - edited >= board_interval(row.deadline - now)
            if row.board_dirty or stale:
                due.append(_team(row))
            if len(due) >= limit:
                break
        return due

    async def board_edited(self, team_id: int, now: datetime) -> None:
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id)
            .values(board_edited_at=now, board_dirty=False)
        )

    async def drop_board(self, team_id: int) -> None:
        await self._s.execute(
            update(table_of(TeamRow))
            .where(_TEAM.id == team_id)
            .values(board_chat_id=None, board_message_id=None, board_dirty=False)
        )

    # Leaders and their ledger ------------------------------------------------------------

    async def is_leader(self, user_id: int) -> bool:
        return await self._s.get(LeaderRow, user_id) is not None

    async def leader_pickup(self, user_id: int) -> PickupPoint | None:
        row = await self._s.get(LeaderRow, user_id, populate_existing=True)
        if row is None:
            return None
        return _pickup(row.pickup_name, row.pickup_address, row.pickup_hours)

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
            (r.user_id, _pickup(r.pickup_name, r.pickup_address, r.pickup_hours)) for r in rows
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
        return [_team(r) for r in rows]

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


def _seat(row: TeamSeatRow) -> Seat:
    return Seat(row.team_id, row.user_id, row.order_id, row.status, row.number)
