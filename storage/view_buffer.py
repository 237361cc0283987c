"""Card views of this process, written to the ``interaction`` table in batches.

A view is recorded for every teaser card shown, the hottest path of the shop: writing one row
(and looking for the same view in the last half hour) per ◀/▶ press halved the browse
throughput of ``storefront bench updates`` on SQLite. Instead, a unit of work hands its views
to this buffer when it commits (a turn that rolled back showed nothing, so its views are
dropped); the buffer forgets a view of a card the same buyer saw less than ``VIEW_DEDUP`` ago
in this process, and the views are written together at the first commit after
``flush_after`` seconds (or ``max_pending`` views), with one query that drops those another
process already wrote. The scheduler commits an empty unit of work every few seconds and the
factory writes what is left when it is disposed, so a quiet shop's views still arrive.

What a crash can lose: the views of the last ``flush_after`` seconds (analytics, never an
order, a cart or money).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.interests import InteractionKind
from storage.admin_tables import InteractionRow
from storage.types import table_of

#: Paging back and forth over the same card is one view, not ten.
VIEW_DEDUP = timedelta(minutes=30)
#: (user, product) pairs remembered for the in-process de-duplication.
_REMEMBERED = 50_000

View = tuple[int, int, datetime]
_INTERACTIONS = table_of(InteractionRow)
_I = _INTERACTIONS.c


class ViewBuffer:
    def __init__(
        self,
        flush_after: float = 0.0,
        max_pending: int = 500,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: 0: written at every commit that has views (tests read them at once).
        self.flush_after = flush_after
        self.max_pending = max_pending
        self._clock = clock
        self._pending: list[View] = []
        self._oldest: float | None = None
        self._seen: OrderedDict[tuple[int, int], datetime] = OrderedDict()

    @property
    def pending(self) -> int:
        return len(self._pending)

    def offer(self, views: list[View]) -> None:
        """Views of a committed turn; one already seen within ``VIEW_DEDUP`` is dropped."""
        for user_id, product_id, at in sorted(views, key=lambda v: v[2]):
            key = (user_id, product_id)
            before = self._seen.get(key)
            if before is not None and timedelta(0) <= at - before < VIEW_DEDUP:
                continue
            self._seen[key] = at
            self._seen.move_to_end(key)
            if len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
            if self._oldest is None:
                self._oldest = self._clock()
            self._pending.append((user_id, product_id, at))

    def due(self, *, force: bool = False) -> bool:
        if not self._pending:
            return False
        if force or self.flush_after <= 0 or len(self._pending) >= self.max_pending:
            return True
        return self._oldest is not None and self._clock() - self._oldest >= self.flush_after

    def take(self) -> list[View]:
        taken, self._pending, self._oldest = self._pending, [], None
        return taken

    def put_back(self, views: list[View]) -> None:
        """A commit that failed: its batch waits for the next one (nothing is lost)."""
        if views:
            self._pending[:0] = views
            if self._oldest is None:
                self._oldest = self._clock()


async def write_views(session: AsyncSession, views: list[View]) -> None:
    """Add ``views`` to the session, less those another process wrote within ``VIEW_DEDUP``."""
    if not views:
        return
    users = sorted({v[0] for v in views})
    products = sorted({v[1] for v in views})
    earliest = min(v[2] for v in views)
    rows = await session.execute(
        select(_I.user_id, _I.product_id, func.max(_I.at))
        .where(
            _I.kind == InteractionKind.VIEW.value,
            _I.at >= earliest - VIEW_DEDUP,
            _I.user_id.in_(users),
            _I.product_id.in_(products),
        )
        .group_by(_I.user_id, _I.product_id)
    )
    last: dict[tuple[int, int], datetime] = {(int(u), int(p)): at for u, p, at in rows}
    new: list[dict[str, object]] = []
    for user_id, product_id, at in sorted(views, key=lambda v: v[2]):
        before = last.get((user_id, product_id))
        if before is not None and abs(at - before) < VIEW_DEDUP:
            continue
        last[(user_id, product_id)] = at
        new.append(
            {
                "user_id": user_id,
                "product_id": product_id,
                "kind": InteractionKind.VIEW.value,
                "at": at,
            }
        )
    if new:  # one Core executemany: no ORM object (or ORM bulk step) per view
        await session.execute(insert(_INTERACTIONS), new)
