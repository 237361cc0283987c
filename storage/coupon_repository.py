"""Coupons: the rules come from ``bot.domain.coupons``; here only the atomic use counters."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.coupons import Coupon, CouponKind, CouponScope, CouponUsage, new_one_time_code
from bot.domain.money import Money
from bot.domain.orders import MONEY_TAKEN, OrderStatus
from bot.services.order_ports import CodeUse, CouponStats
from storage.order_tables import CouponCodeRow, CouponRow, CouponUseRow, OrderRow
from storage.repositories import dialect_insert
from storage.table_base import utcnow
from storage.types import rowcount, table_of

_PAID = [s.value for s in MONEY_TAKEN | {OrderStatus.REFUNDED}]
#: Rows per INSERT of new one-time codes (well under SQLite's bound-parameter limit).
_CODES_PER_INSERT = 500


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
        if row is not None:
            return to_coupon(row)
        parent = await self._s.scalar(
            select(CouponRow)
            .join(CouponCodeRow, col(CouponCodeRow.coupon_id) == col(CouponRow.id))
            .where(CouponCodeRow.code == code)
        )
        return replace(to_coupon(parent), code=code, one_time=True) if parent else None

    async def _one_time(self, coupon_id: int, code: str | None) -> CouponCodeRow | None:
        if code is None:
            return None
        return await self._s.scalar(
            select(CouponCodeRow).where(
                CouponCodeRow.code == code, CouponCodeRow.coupon_id == coupon_id
            )
        )

    async def by_id(self, coupon_id: int) -> Coupon | None:
        row = await self._s.get(CouponRow, coupon_id)
        return to_coupon(row) if row else None

    async def usage(self, coupon_id: int, user_id: int, code: str | None = None) -> CouponUsage:
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
        one_time = await self._one_time(coupon_id, code)
        codes_only = False
        if one_time is None:
            some = select(CouponCodeRow.id).where(CouponCodeRow.coupon_id == coupon_id).limit(1)
            codes_only = await self._s.scalar(some) is not None
        return CouponUsage(
            int(used or 0),
            int(mine or 0),
            int(orders or 0),
            code_used=one_time is not None and one_time.used_by is not None,
            codes_only=codes_only,
        )

    async def take(
        self, coupon_id: int, user_id: int, code: str | None = None, now: datetime | None = None
    ) -> bool:
        one_time = await self._one_time(coupon_id, code)
        codes = table_of(CouponCodeRow)
        if one_time is not None:
            got = await self._s.execute(
                update(codes)
                .where(codes.c.id == one_time.id, codes.c.used_by.is_(None))
                .values(used_by=user_id, used_at=now or utcnow())
            )
            if not rowcount(got):
                return False  # someone used the code first
        if await self._take_use(coupon_id, user_id):
            return True
        if one_time is not None:  # the coupon's own limits refused: the code is not used
            await self._s.execute(
                update(codes)
                .where(codes.c.id == one_time.id, codes.c.used_by == user_id)
                .values(used_by=None, used_at=None)
            )
        return False

    async def _take_use(self, coupon_id: int, user_id: int) -> bool:
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

    async def give_back(self, coupon_id: int, user_id: int, code: str | None = None) -> None:
        if code is not None:
            codes = table_of(CouponCodeRow)
            await self._s.execute(
                update(codes)
                .where(
                    codes.c.code == code,
                    codes.c.coupon_id == coupon_id,
                    codes.c.used_by == user_id,
                )
                .values(used_by=None, used_at=None)
            )
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
        counted = await self._s.execute(
            select(
                CouponCodeRow.coupon_id,
                func.count(),
                func.count(col(CouponCodeRow.used_by)),
            ).group_by(col(CouponCodeRow.coupon_id))
        )
        codes = {int(c): (int(n), int(u)) for c, n, u in counted}
        return [CouponStats(to_coupon(r), r.used, *codes.get(r.id or 0, (0, 0))) for r in rows]

    async def add_codes(self, coupon_id: int, count: int, now: datetime) -> list[str]:
        made: list[str] = []
        while len(made) < count:
            wanted = min(count - len(made), _CODES_PER_INSERT)
            fresh = {new_one_time_code() for _ in range(wanted)}
            # A coupon's own code is never also a one-time code (both are typed alike).
            clash = await self._s.scalars(
                select(CouponRow.code).where(col(CouponRow.code).in_(fresh))
            )
            fresh -= set(clash)
            if not fresh:
                continue
            rows = [{"coupon_id": coupon_id, "code": c, "created_at": now} for c in sorted(fresh)]
            stmt = dialect_insert(self._s, CouponCodeRow).values(rows)
            inserted = await self._s.scalars(
                stmt.on_conflict_do_nothing(index_elements=["code"]).returning(
                    table_of(CouponCodeRow).c.code
                )
            )
            made.extend(inserted)
        return made

    async def codes(self, coupon_id: int) -> list[CodeUse]:
        rows = await self._s.scalars(
            select(CouponCodeRow)
            .where(CouponCodeRow.coupon_id == coupon_id)
            .order_by(col(CouponCodeRow.id))
        )
        return [CodeUse(r.code, r.used_by, r.used_at, r.created_at) for r in rows]

    async def set_active(self, code: str, active: bool) -> bool:
        result = await self._s.execute(
            update(CouponRow).where(col(CouponRow.code) == code).values(active=active)
        )
        return bool(rowcount(result))
