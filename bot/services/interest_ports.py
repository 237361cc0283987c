"""Ports of interest recommendations: recording interactions and reading them back.

Every read is bounded: by a window of time (``since``, on the ``at`` indexes), by the product
ids asked about, or by a limit; neighbours are aggregated in SQL, never row by row here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.interests import InteractionKind
from bot.domain.recommend import CoCount, Touch


class InterestRepository(Protocol):
    async def record(
        self, user_id: int, product_ids: list[int], kind: InteractionKind, now: datetime
    ) -> None:
        """One interaction per product (views of the same card within a short while count once).

        Views wait for the unit of work's commit (``flush_views``): a turn that only showed
        cards commits them without claiming its update, so paging stays free to redeliver."""
        ...

    @property
    def views_pending(self) -> bool:
        """Views recorded and not yet written."""
        ...

    async def flush_views(self, *, force: bool = False) -> list[tuple[int, int, datetime]]:
        """Hand this turn's views to the process's buffer, written in batches (the unit of
        work does, right before it commits; ``force`` writes the buffer now)."""
        ...

    def restore_views(self, batch: list[tuple[int, int, datetime]]) -> None:
        """The commit failed: the batch waits for the next one."""
        ...

    async def co_counts(
        self,
        product_ids: list[int],
        since: datetime,
        per_anchor: int,
        exclude_user: int | None = None,
        *,
        views: bool = True,
    ) -> list[CoCount]:
        """For each anchor in ``product_ids``, its top ``per_anchor`` co-occurring products:
        the sum over buyers of (their weight for the anchor × their weight for the other),
        a buyer's weight for a product being that of their strongest interaction with it since
        ``since``. ``exclude_user``'s own interactions do not count, nor views unless
        ``views``."""
        ...

    async def norms(
        self,
        product_ids: list[int],
        since: datetime,
        exclude_user: int | None = None,
        *,
        views: bool = True,
    ) -> dict[int, float]:
        """product -> the sum over buyers of their squared weight for it (cosine's norms)."""
        ...

    async def history(self, user_id: int, since: datetime, limit: int) -> list[Touch]:
        """The buyer's newest interactions since ``since`` (at most ``limit``), with categories."""
        ...

    async def bought(self, user_id: int) -> set[int]:
        """Products the buyer ever paid for (never suggested to them again)."""
        ...

    async def best_sellers(self, since: datetime, limit: int) -> list[tuple[int, int]]:
        """(product, purchases since ``since``), best first, ties by product id."""
        ...
