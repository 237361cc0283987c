"""Buyers' interactions with products in SQL, and the queries recommendations make of them.

The neighbour queries aggregate in the database: a buyer's weight for a product is the weight
of their strongest interaction with it (``bot.domain.recommend.KIND_WEIGHTS``, as a CASE), the
co-occurrence of two products the sum of their buyers' weight products, top-K per anchor by a
window function. They read only the window asked for, through the indexes on
(product_id, kind), (user_id, at) and (kind, at).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, insert, literal, or_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col, select

from bot.domain.interests import InteractionKind
from bot.domain.orders import MONEY_TAKEN
from bot.domain.recommend import INTEREST_THRESHOLD, KIND_WEIGHTS, WINDOW, CoCount, Touch
from storage.admin_tables import InteractionRow
from storage.order_tables import OrderLineRow, OrderRow
from storage.tables import CategoryRow, ProductRow
from storage.types import table_of
from storage.view_buffer import View, ViewBuffer, write_views

_I = table_of(InteractionRow).c
_WEIGHT = case(
    *((_I.kind == kind.value, literal(w)) for kind, w in KIND_WEIGHTS.items()),
    else_=literal(0.0),
)


def _ties(
    product_ids: list[int] | None, since: datetime, exclude_user: int | None, views: bool
) -> Select[Any, Any, Any]:
    """(user_id, product_id, w): each buyer's strongest tie to each product since ``since``."""
    q = select(_I.user_id, _I.product_id, func.max(_WEIGHT).label("w")).where(_I.at >= since)
    if not views:
        q = q.where(_I.kind != InteractionKind.VIEW.value)
    if product_ids is not None:
        q = q.where(_I.product_id.in_(product_ids))
    if exclude_user is not None:
        q = q.where(_I.user_id != exclude_user)
    return q.group_by(_I.user_id, _I.product_id)


def interested_in(categories: Iterable[str], now: datetime) -> Select[Any]:
    """Buyers whose interactions with products of these categories (slugs or ids) over the
    last ``WINDOW`` weigh at least ``INTEREST_THRESHOLD`` (the drop audience ``interest:``)."""
    refs = [c.strip().lower() for c in categories if c.strip()]
    ids = [int(c) for c in refs if c.isdigit()]
    wanted = select(CategoryRow.id).where(
        or_(
            func.lower(CategoryRow.slug).in_(refs),
            col(CategoryRow.id).in_(ids),
        )
    )
    return (
        select(_I.user_id)
        .join(ProductRow, col(ProductRow.id) == _I.product_id)
        .where(col(ProductRow.category_id).in_(wanted), _I.at >= now - WINDOW)
        .group_by(_I.user_id)
        .having(func.sum(_WEIGHT) >= INTEREST_THRESHOLD)
    )


class SqlInterestRepository:
    def __init__(self, session: AsyncSession, views: ViewBuffer | None = None) -> None:
        self._s = session
        #: The process's buffer the views go to when the unit of work commits.
        self._buffer = views if views is not None else ViewBuffer()
        #: Views of this turn, waiting for its commit: (user, product, when).
        self._views: list[View] = []

    async def record(
        self, user_id: int, product_ids: list[int], kind: InteractionKind, now: datetime
    ) -> None:
        wanted = sorted({p for p in product_ids if p > 0})
        if kind is InteractionKind.VIEW:
            self._views.extend((user_id, product_id, now) for product_id in wanted)
            return
        for product_id in wanted:
            self._s.add(
                InteractionRow(user_id=user_id, product_id=product_id, kind=kind.value, at=now)
            )
        if wanted:
            await self._s.flush()

    @property
    def views_pending(self) -> bool:
        return bool(self._views)

    async def flush_views(self, *, force: bool = False) -> list[View]:
        """Right before the commit: this turn's views go to the process's buffer, and the
        buffer is written in this transaction when it is due (or ``force``). Returns what was
        written, for ``restore_views`` should the commit fail."""
        views, self._views = self._views, []
        self._buffer.offer(views)
        if not self._buffer.due(force=force):
            return []
        batch = self._buffer.take()
        try:
            await write_views(self._s, batch)
        except BaseException:
            self._buffer.put_back(batch)
            raise
        return batch

    def restore_views(self, batch: list[View]) -> None:
        self._buffer.put_back(batch)

    async def co_counts(
        self,
        product_ids: list[int],
        since: datetime,
        per_anchor: int,
        exclude_user: int | None = None,
        *,
        views: bool = True,
    ) -> list[CoCount]:
        anchors = sorted(set(product_ids))
        if not anchors or per_anchor <= 0:
            return []
        a = _ties(anchors, since, exclude_user, views).subquery("a")
        b = (
            _ties(None, since, exclude_user, views)
            .where(_I.user_id.in_(select(a.c.user_id)))
            .subquery("b")
        )
        dot = func.sum(a.c.w * b.c.w)
        pairs = (
            select(
                a.c.product_id.label("anchor"),
                b.c.product_id.label("other"),
                dot.label("dot"),
                func.row_number()
                .over(partition_by=a.c.product_id, order_by=(dot.desc(), b.c.product_id))
                .label("n"),
            )
            .join(b, (b.c.user_id == a.c.user_id) & (b.c.product_id != a.c.product_id))
            .group_by(a.c.product_id, b.c.product_id)
            .subquery("pairs")
        )
        rows = await self._s.execute(
            select(pairs.c.anchor, pairs.c.other, pairs.c.dot)
            .where(pairs.c.n <= per_anchor)
            .order_by(pairs.c.anchor, pairs.c.dot.desc(), pairs.c.other)
        )
        return [CoCount(int(r[0]), int(r[1]), float(r[2])) for r in rows]

    async def norms(
        self,
        product_ids: list[int],
        since: datetime,
        exclude_user: int | None = None,
        *,
        views: bool = True,
    ) -> dict[int, float]:
        wanted = sorted(set(product_ids))
        if not wanted:
            return {}
        t = _ties(wanted, since, exclude_user, views).subquery("t")
        rows = await self._s.execute(
            select(t.c.product_id, func.sum(t.c.w * t.c.w)).group_by(t.c.product_id)
        )
        return {int(p): float(n) for p, n in rows}

    async def history(self, user_id: int, since: datetime, limit: int) -> list[Touch]:
        rows = await self._s.execute(
            select(_I.product_id, ProductRow.category_id, _I.kind, _I.at)
            .join(ProductRow, col(ProductRow.id) == _I.product_id)
            .where(_I.user_id == user_id, _I.at >= since)
            .order_by(_I.at.desc(), _I.id.desc())
            .limit(limit)
        )
        return [
            Touch(int(p), int(c) if c is not None else None, InteractionKind(k), at)
            for p, c, k, at in rows
        ]

    async def bought(self, user_id: int) -> set[int]:
        """Purchases recorded, and the lines of the buyer's paid orders (orders older than
        the interaction log count too)."""
        recorded = select(_I.product_id).where(
            _I.user_id == user_id, _I.kind == InteractionKind.PURCHASE.value
        )
        ordered = (
            select(OrderLineRow.product_id)
            .join(OrderRow, col(OrderRow.id) == OrderLineRow.order_id)
            .where(
                OrderRow.user_id == user_id,
                col(OrderRow.status).in_([s.value for s in MONEY_TAKEN]),
            )
        )
        rows = await self._s.execute(recorded.union(ordered))
        return {int(r[0]) for r in rows}

    async def best_sellers(self, since: datetime, limit: int) -> list[tuple[int, int]]:
        n = func.count()
        rows = await self._s.execute(
            select(_I.product_id, n)
            .where(_I.kind == InteractionKind.PURCHASE.value, _I.at >= since)
            .group_by(_I.product_id)
            .order_by(n.desc(), _I.product_id)
            .limit(limit)
        )
        return [(int(p), int(c)) for p, c in rows]


async def load_interactions(
    conn: AsyncConnection, rows: Iterable[tuple[int, int, InteractionKind, datetime]]
) -> int:
    """Bulk-insert (user, product, kind, at) rows as they are (no de-duplication): for the
    recommendation benchmark's synthetic log."""
    values = [{"user_id": u, "product_id": p, "kind": k.value, "at": at} for u, p, k, at in rows]
    for start in range(0, len(values), 5000):
        await conn.execute(insert(table_of(InteractionRow)), values[start : start + 5000])
    return len(values)
