"""The shop's figures in SQL: paid orders per currency, per day, the funnel, top products, and
the orders of a period read in batches for the CSV export.

"Paid in the period" means ``paid_at`` falls in ``[start, end)``, the order is not a card hold
still waiting to be captured (``authorized``), and it has lines (a payment that matched no
order is recorded as a line-less cancelled order and refunded: it sold nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.interests import InteractionKind
from bot.domain.orders import OrderStatus
from bot.services.stats_ports import (
    CurrencyTotals,
    DaySales,
    ExportLine,
    ExportOrder,
    FunnelCounts,
    ProductSales,
)
from storage.admin_tables import InteractionRow
from storage.order_tables import OrderLineRow, OrderRow
from storage.tables import VariantRow
from storage.types import table_of

_O = table_of(OrderRow).c
_L = table_of(OrderLineRow).c
_I = table_of(InteractionRow).c
_V = table_of(VariantRow).c


def _has_lines() -> ColumnElement[bool]:
    line = table_of(OrderLineRow).alias("any_line")
    return exists().where(line.c.order_id == _O.id)


def _paid_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        _O.paid_at.is_not(None),
        _O.paid_at >= start,
        _O.paid_at < end,
        _O.status != OrderStatus.AUTHORIZED.value,
        _has_lines(),
    )


class SqlStatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def totals(self, start: datetime, end: datetime) -> list[CurrencyTotals]:
        rows = await self._s.execute(
            select(
                _O.currency,
                func.count(_O.id),
                func.coalesce(func.sum(_O.total_minor), 0),
                func.coalesce(func.sum(_O.refunded_minor), 0),
            )
            .where(_paid_in(start, end))
            .group_by(_O.currency)
            .order_by(func.count(_O.id).desc(), _O.currency)
        )
        return [CurrencyTotals(str(c), int(n), int(g), int(r)) for c, n, g, r in rows]

    async def daily(self, start: datetime, end: datetime) -> list[DaySales]:
        # Grouped in SQL. SQLite keeps UTC timestamps as naive text, so date() is the UTC
        # day; PostgreSQL's timestamptz is moved to UTC first (the session's zone may differ).
        if self._s.get_bind().dialect.name == "postgresql":
            day = func.date(func.timezone("UTC", _O.paid_at))
        else:
            day = func.date(_O.paid_at)
        rows = await self._s.execute(
            select(
                day, _O.currency, func.count(_O.id), func.sum(_O.total_minor - _O.refunded_minor)
            )
            .where(_paid_in(start, end))
            .group_by(day, _O.currency)
            .order_by(day, _O.currency)
        )
        return [
            DaySales(_as_date(d), str(currency), int(n), int(net)) for d, currency, n, net in rows
        ]

    async def funnel(self, start: datetime, end: datetime) -> FunnelCounts:
        async def people(kind: InteractionKind) -> int:
            found = await self._s.scalar(
                select(func.count(func.distinct(_I.user_id))).where(
                    _I.kind == kind.value, _I.at >= start, _I.at < end
                )
            )
            return int(found or 0)

        checkout = await self._s.scalar(
            select(func.count(func.distinct(_O.user_id))).where(
                _O.created_at >= start, _O.created_at < end, _has_lines()
            )
        )
        paid = await self._s.scalar(
            select(func.count(func.distinct(_O.user_id))).where(_paid_in(start, end))
        )
        return FunnelCounts(
            viewed=await people(InteractionKind.VIEW),
            added=await people(InteractionKind.ADD),
            checkout=int(checkout or 0),
            paid=int(paid or 0),
        )

    async def top_products(self, start: datetime, end: datetime, limit: int) -> list[ProductSales]:
        revenue = func.sum(_L.unit_minor * _L.quantity)
        units = func.sum(_L.quantity)
        rows = await self._s.execute(
            select(_L.product_id, func.max(_L.name), _O.currency, units, revenue)
            .select_from(table_of(OrderLineRow).join(table_of(OrderRow), _L.order_id == _O.id))
            .where(_paid_in(start, end))
            .group_by(_L.product_id, _O.currency)
            .order_by(_O.currency, revenue.desc(), units.desc(), _L.product_id)
        )
        taken: dict[str, int] = defaultdict(int)
        top: list[ProductSales] = []
        for product_id, name, currency, n, amount in rows:
            if taken[currency] >= limit:
                continue
            taken[currency] += 1
            top.append(
                ProductSales(int(product_id), str(name), str(currency), int(n), int(amount))
            )
        return top

    async def orders(
        self, start: datetime, end: datetime, batch: int
    ) -> AsyncIterator[ExportOrder]:
        # Keyset pages (id > the last one): each page is its own short query, so nothing holds
        # a cursor open between pages and no more than ``batch`` orders are in memory.
        last_id = 0
        while True:
            rows = (
                await self._s.execute(
                    select(
                        _O.id,
                        _O.created_at,
                        _O.status,
                        _O.user_id,
                        _O.items_minor,
                        _O.discount_minor,
                        _O.shipping_minor - _O.shipping_discount_minor,
                        _O.total_minor,
                        _O.refunded_minor,
                        _O.currency,
                        _O.coupon_code,
                        _O.delivery,
                        _O.tracking,
                    )
                    .where(_O.created_at >= start, _O.created_at < end, _O.id > last_id)
                    .order_by(_O.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return
            lines = await self._lines([int(r[0]) for r in rows])
            for r in rows:
                order_id = int(r[0])
                yield ExportOrder(
                    id=order_id,
                    created_at=r[1],
                    status=str(r[2]),
                    user_id=int(r[3]),
                    lines=tuple(lines.get(order_id, ())),
                    subtotal_minor=int(r[4]),
                    discount_minor=int(r[5]),
                    shipping_minor=int(r[6]),
                    total_minor=int(r[7]),
                    refunded_minor=int(r[8]),
                    currency=str(r[9]),
                    coupon=r[10] or "",
                    delivery=str(r[11]),
                    tracking=r[12] or "",
                )
            last_id = int(rows[-1][0])
            if len(rows) < batch:
                return

    async def _lines(self, order_ids: list[int]) -> dict[int, list[ExportLine]]:
        rows = await self._s.execute(
            select(_L.order_id, _V.sku, _L.variant_id, _L.quantity)
            .select_from(
                table_of(OrderLineRow).outerjoin(table_of(VariantRow), _V.id == _L.variant_id)
            )
            .where(_L.order_id.in_(order_ids))
            .order_by(_L.order_id, _L.id)
        )
        found: dict[int, list[ExportLine]] = defaultdict(list)
        for order_id, sku, variant_id, quantity in rows:
            # A variant deleted since keeps its id in the export rather than vanishing.
            found[int(order_id)].append(ExportLine(sku or f"variant-{variant_id}", int(quantity)))
        return found


def _as_date(value: object) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
