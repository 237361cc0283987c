"""Coupons: the rules come from ``bot.domain.coupons``; here only the atomic use counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.coupons import Coupon, CouponKind, CouponScope, CouponUsage
from bot.domain.money import Money
from bot.domain.orders import MONEY_TAKEN, OrderStatus
from bot.services.order_ports import CouponStats
from storage.order_tables import CouponRow, CouponUseRow, OrderRow
from storage.repositories import dialect_insert
from storage.types import rowcount, table_of

_PAID = [s.value for s in MONEY_TAKEN | {OrderStatus.REFUNDED}]


def to_coupon(row: CouponRow) -> Coupon:
    assert row.id is not None
    currency = row.currency or "USD"
    return Coupon(
        id=row.id,
        code=row.code,
        kind=CouponKind(row.kind),
        percent=row.percent,
        amount=Money(row.amount_minor, currency) if row.amount_minor is not None else None,
        min_subtotal=(
            Money(row.min_subtotal_minor, currency) if row.min_subtotal_minor is not None else None
        ),
        scope=CouponScope(row.scope),
        scope_ids=frozenset(int(x) for x in row.scope_ids.split(",") if x),
        starts_at=row.starts_at,
        expires_at=row.expires_at,
        usage_limit=row.usage_limit,
        per_buyer_limit=row.per_buyer_limit,
        first_order_only=row.first_order_only,
        stacks_with_promotions=row.stacks,
        active=row.active,
        owner_id=row.owner_id,
        public=row.public,
    )


class SqlCouponRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def by_code(self, code: str) -> Coupon | None:
        row = await self._s.scalar(select(CouponRow).where(CouponRow.code == code))
        return to_coupon(row) if row else None

    async def by_id(self, coupon_id: int) -> Coupon | None:
        row = await self._s.get(CouponRow, coupon_id)
        return to_coupon(row) if row else None

    async def usage(self, coupon_id: int, user_id: int) -> CouponUsage:
        used = await self._s.scalar(select(CouponRow.used).where(CouponRow.id == coupon_id))
        mine = await self._s.scalar(
            select(CouponUseRow.uses).where(
                CouponUseRow.coupon_id == coupon_id,
                CouponUseRow.user_id == user_id,
            )
        )
        orders = await self._s.scalar(
            select(func.count())
            .select_from(OrderRow)
            .where(OrderRow.user_id == user_id, col(OrderRow.status).in_(_PAID))
        )
        return CouponUsage(int(used or 0), int(mine or 0), int(orders or 0))

    async def take(self, coupon_id: int, user_id: int) -> bool:
        table = table_of(CouponRow)
        taken = await self._s.execute(
            update(table)
            .where(
                table.c.id == coupon_id,
                table.c.active.is_(True),
                (table.c.usage_limit.is_(None)) | (table.c.used < table.c.usage_limit),
            )
            .values(used=table.c.used + 1)
            .returning(table.c.per_buyer_limit)
        )
        row = taken.first()
        if row is None:
            return False
        limit = row[0]
        uses = table_of(CouponUseRow).c
        first = dialect_insert(self._s, CouponUseRow).values(
            coupon_id=coupon_id, user_id=user_id, uses=1
        )
        counted = first.on_conflict_do_update(
            index_elements=["coupon_id", "user_id"],
            set_={"uses": uses.uses + 1},
            where=(uses.uses < limit) if limit is not None else None,
        ).returning(uses.uses)
        mine = (await self._s.execute(counted)).first()
        if mine is None:
            # The buyer's own limit refused: hand the global use back in the same transaction.
            await self._s.execute(
                update(table).where(table.c.id == coupon_id).values(used=table.c.used - 1)
            )
            return False
        return True

    async def give_back(self, coupon_id: int, user_id: int) -> None:
        table = table_of(CouponRow)
        await self._s.execute(
            update(table)
            .where(table.c.id == coupon_id, table.c.used > 0)
            .values(used=table.c.used - 1)
        )
        uses = table_of(CouponUseRow).c
        await self._s.execute(
            update(table_of(CouponUseRow))
            .where(uses.coupon_id == coupon_id, uses.user_id == user_id, uses.uses > 0)
            .values(uses=uses.uses - 1)
        )

    async def create(self, coupon: Coupon, now: datetime) -> int:
        money = coupon.amount or coupon.min_subtotal
        row = CouponRow(
            code=coupon.code,
            kind=coupon.kind.value,
            percent=coupon.percent,
            amount_minor=coupon.amount.amount if coupon.amount else None,
            currency=money.currency if money else None,
            min_subtotal_minor=coupon.min_subtotal.amount if coupon.min_subtotal else None,
            scope=coupon.scope.value,
            scope_ids=",".join(str(i) for i in sorted(coupon.scope_ids)),
            starts_at=coupon.starts_at,
            expires_at=coupon.expires_at,
            usage_limit=coupon.usage_limit,
            per_buyer_limit=coupon.per_buyer_limit,
            first_order_only=coupon.first_order_only,
            stacks=coupon.stacks_with_promotions,
            active=coupon.active,
            owner_id=coupon.owner_id,
            public=coupon.public,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        return row.id

    async def all(self) -> list[CouponStats]:
        rows = (await self._s.execute(select(CouponRow).order_by(col(CouponRow.id)))).scalars()
        return [CouponStats(to_coupon(r), r.used) for r in rows]

    async def set_active(self, code: str, active: bool) -> bool:
        result = await self._s.execute(
            update(CouponRow).where(col(CouponRow.code) == code).values(active=active)
        )
        return bool(rowcount(result))
