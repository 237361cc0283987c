"""Flash sales in SQL: a claim is three conditional writes (sale, buyer, variant), all or none."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.flash_sales import FlashSale
from bot.domain.money import Money
from bot.services.sale_ports import Claim, NewSale
from storage.read_cache import ReadCache
from storage.repositories import dialect_insert
from storage.sale_tables import FlashSaleRow, SaleBuyerRow, SaleClaimRow, SaleWatchRow
from storage.tables import VariantRow
from storage.types import rowcount, table_of

_SALE = table_of(FlashSaleRow).c
_CLAIM = table_of(SaleClaimRow).c
_BUYER = table_of(SaleBuyerRow).c
_WATCH = table_of(SaleWatchRow).c
_VARIANT = table_of(VariantRow).c
_HELD = ("reserved", "paid")


def _sale(row: FlashSaleRow) -> FlashSale:
    assert row.id is not None
    return FlashSale(
        id=row.id,
        variant_id=row.variant_id,
        product_id=row.product_id,
        name=row.name,
        price=Money(row.price_minor, row.currency),
        regular_price=Money(row.regular_minor, row.currency),
        stock=row.stock,
        claimed=row.claimed,
        per_buyer=row.per_buyer,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        active=row.active,
    )


class SqlSaleRepository:
    def __init__(self, session: AsyncSession, cache: ReadCache | None = None) -> None:
        self._s = session
        self._cache = cache
        #: Sales whose units came back or whose terms changed in this transaction: the unit of
        #: work reopens them in the sold-out gate after its commit.
        self.reopened: set[int] = set()

    async def create(self, new: NewSale, now: datetime) -> FlashSale:
        row = FlashSaleRow(
            variant_id=new.variant_id,
            product_id=new.product_id,
            name=new.name[:260],
            currency=new.price.currency,
            price_minor=new.price.amount,
            regular_minor=new.regular_price.amount,
            stock=new.stock,
            per_buyer=new.per_buyer,
            starts_at=new.starts_at,
            ends_at=new.ends_at,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        if self._cache is not None:
            self._cache.discard(("flash_sale", new.product_id))
        return _sale(row)

    async def sale(self, sale_id: int) -> FlashSale | None:
        row = await self._s.scalar(
            select(FlashSaleRow)
            .where(_SALE.id == sale_id)
            .execution_options(populate_existing=True)
        )
        return _sale(row) if row is not None else None

    async def current_for_product(self, product_id: int, now: datetime) -> FlashSale | None:
        key = ("flash_sale", product_id)
        if self._cache is not None and (hit := self._cache.get(key)) is not None:
            found: FlashSale | None = hit[0]
            if found is None or found.ends_at > now:
                return found
        row = await self._s.scalar(
            select(FlashSaleRow)
            .where(_SALE.product_id == product_id, _SALE.active.is_(True), _SALE.ends_at > now)
            .order_by(_SALE.starts_at)
            .limit(1)
            .execution_options(populate_existing=True)
        )
        sale = _sale(row) if row is not None else None
        if self._cache is not None:
            self._cache.put(key, (sale,))
        return sale

    async def recent(self, limit: int) -> list[FlashSale]:
        rows = (
            await self._s.execute(
                select(FlashSaleRow)
                .order_by(_SALE.id.desc())
                .limit(limit)
                .execution_options(populate_existing=True)
            )
        ).scalars()
        return [_sale(r) for r in rows]

    async def set_stock(self, sale_id: int, stock: int) -> bool:
        result = await self._s.execute(
            update(table_of(FlashSaleRow)).where(_SALE.id == sale_id).values(stock=stock)
        )
        self.reopened.add(sale_id)
        return bool(rowcount(result))

    async def stop(self, sale_id: int) -> bool:
        result = await self._s.execute(
            update(table_of(FlashSaleRow))
            .where(_SALE.id == sale_id, _SALE.active.is_(True))
            .values(active=False)
        )
        self.reopened.add(sale_id)  # the next buyer hears "ended", not "sold out"
        return bool(rowcount(result))

    async def _count_sale(self, sale_id: int, delta: int) -> None:
        await self._s.execute(
            update(table_of(FlashSaleRow))
            .where(_SALE.id == sale_id)
            .values(claimed=_SALE.claimed + delta)
        )

    async def _count_buyer(self, sale_id: int, user_id: int, delta: int) -> None:
        await self._s.execute(
            update(table_of(SaleBuyerRow))
            .where(_BUYER.sale_id == sale_id, _BUYER.user_id == user_id)
            .values(count=_BUYER.count + delta)
        )

    async def _take_units(self, sale_id: int, user_id: int, *, live_at: datetime | None) -> bool:
        """The sale's, the buyer's and the variant's counters for one unit: all or none."""
        where = [_SALE.id == sale_id, _SALE.claimed < _SALE.stock]
        if live_at is not None:
            where += [_SALE.active.is_(True), _SALE.starts_at <= live_at, _SALE.ends_at > live_at]
        counted = (
            await self._s.execute(
                update(table_of(FlashSaleRow))
                .where(*where)
                .values(claimed=_SALE.claimed + 1)
                .returning(_SALE.per_buyer, _SALE.variant_id)
            )
        ).first()
        if counted is None:
            return False
        per_buyer, variant_id = int(counted[0]), int(counted[1])
        first = dialect_insert(self._s, SaleBuyerRow).values(
            sale_id=sale_id, user_id=user_id, count=1
        )
        mine = first.on_conflict_do_update(
            index_elements=["sale_id", "user_id"],
            set_={"count": _BUYER.count + 1},
            where=_BUYER.count < per_buyer,
        ).returning(_BUYER.count)
        if (await self._s.execute(mine)).first() is None:
            await self._count_sale(sale_id, -1)
            return False
        unit = await self._s.execute(
            update(table_of(VariantRow))
            .where(_VARIANT.id == variant_id, _VARIANT.stock >= 1)
            .values(stock=_VARIANT.stock - 1)
        )
        if not rowcount(unit):
            await self._count_sale(sale_id, -1)
            await self._count_buyer(sale_id, user_id, -1)
            return False
        return True

    async def claim(
        self, sale_id: int, user_id: int, now: datetime, until: datetime
    ) -> int | None:
        if not await self._take_units(sale_id, user_id, live_at=now):
            return None
        row = SaleClaimRow(sale_id=sale_id, user_id=user_id, expires_at=until, created_at=now)
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def buyer_count(self, sale_id: int, user_id: int) -> int:
        count = await self._s.scalar(
            select(_BUYER.count).where(_BUYER.sale_id == sale_id, _BUYER.user_id == user_id)
        )
        return int(count or 0)

    async def claim_of(self, claim_id: int) -> Claim | None:
        row = await self._s.scalar(
            select(SaleClaimRow)
            .where(_CLAIM.id == claim_id)
            .execution_options(populate_existing=True)
        )
        if row is None or row.id is None:
            return None
        return Claim(row.id, row.sale_id, row.user_id, row.status, row.expires_at, row.order_id)

    async def attach_order(self, claim_id: int, order_id: int) -> None:
        await self._s.execute(
            update(table_of(SaleClaimRow)).where(_CLAIM.id == claim_id).values(order_id=order_id)
        )

    async def pay(self, claim_id: int) -> bool:
        result = await self._s.execute(
            update(table_of(SaleClaimRow))
            .where(_CLAIM.id == claim_id, _CLAIM.status == "reserved")
            .values(status="paid")
        )
        return bool(rowcount(result))

    async def retake(self, claim_id: int, now: datetime) -> bool:
        claim = await self.claim_of(claim_id)
        if claim is None or claim.status != "expired":
            return False
        if not await self._take_units(claim.sale_id, claim.user_id, live_at=None):
            return False
        result = await self._s.execute(
            update(table_of(SaleClaimRow))
            .where(_CLAIM.id == claim_id, _CLAIM.status == "expired")
            .values(status="paid", closed_at=None)
        )
        if rowcount(result):
            return True
        await self._give_units(claim.sale_id, claim.user_id)
        return False

    async def _give_units(self, sale_id: int, user_id: int) -> None:
        variant_id = await self._s.scalar(select(_SALE.variant_id).where(_SALE.id == sale_id))
        await self._count_sale(sale_id, -1)
        await self._count_buyer(sale_id, user_id, -1)
        await self._s.execute(
            update(table_of(VariantRow))
            .where(_VARIANT.id == variant_id)
            .values(stock=_VARIANT.stock + 1)
        )

    async def release(self, claim_id: int, status: str, now: datetime) -> bool:
        released = (
            await self._s.execute(
                update(table_of(SaleClaimRow))
                .where(_CLAIM.id == claim_id, _CLAIM.status.in_(_HELD))
                .values(status=status, closed_at=now)
                .returning(_CLAIM.sale_id, _CLAIM.user_id)
            )
        ).first()
        if released is None:
            return False
        await self._give_units(int(released[0]), int(released[1]))
        self.reopened.add(int(released[0]))
        return True

    async def due(self, now: datetime, limit: int) -> list[int]:
        rows = await self._s.execute(
            select(_CLAIM.id)
            .where(_CLAIM.status == "reserved", _CLAIM.expires_at <= now)
            .order_by(_CLAIM.expires_at)
            .limit(limit)
        )
        return [int(r[0]) for r in rows]

    async def watch(self, sale_id: int, user_id: int, kind: str, now: datetime) -> bool:
        stmt = dialect_insert(self._s, SaleWatchRow).values(
            sale_id=sale_id, user_id=user_id, kind=kind, created_at=now
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=["sale_id", "user_id", "kind"])
        return bool(rowcount(await self._s.execute(stmt)))

    async def watchers(self, sale_id: int, kind: str) -> list[int]:
        rows = await self._s.execute(
            select(_WATCH.user_id)
            .where(_WATCH.sale_id == sale_id, _WATCH.kind == kind)
            .order_by(_WATCH.user_id)
        )
        return [int(r[0]) for r in rows]

    async def take_watchers(self, sale_id: int, kind: str, limit: int) -> list[int]:
        some = (
            select(_WATCH.user_id)
            .where(_WATCH.sale_id == sale_id, _WATCH.kind == kind)
            .order_by(_WATCH.user_id)
            .limit(limit)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            delete(table_of(SaleWatchRow))
            .where(_WATCH.sale_id == sale_id, _WATCH.kind == kind, _WATCH.user_id.in_(some))
            .returning(_WATCH.user_id)
        )
        return sorted(int(r[0]) for r in rows)

    async def alerts_due(self, now: datetime, lead_seconds: int, limit: int) -> list[int]:
        horizon = now + timedelta(seconds=lead_seconds)
        rows = await self._s.execute(
            select(_SALE.id)
            .where(
                _SALE.active.is_(True),
                _SALE.ends_at > now,
                or_(
                    and_(_SALE.soon_alerted.is_(False), _SALE.starts_at <= horizon),
                    and_(_SALE.start_alerted.is_(False), _SALE.starts_at <= now),
                ),
            )
            .order_by(_SALE.starts_at)
            .limit(limit)
        )
        return [int(r[0]) for r in rows]

    async def mark_alert(self, sale_id: int, kind: str) -> bool:
        column = _SALE.soon_alerted if kind == "soon" else _SALE.start_alerted
        result = await self._s.execute(
            update(table_of(FlashSaleRow))
            .where(_SALE.id == sale_id, column.is_(False))
            .values({column.name: True})
        )
        return bool(rowcount(result))
