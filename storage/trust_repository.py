"""The trust-commerce repository: creators (``creator_repository``), buyer invites and
reviews (``review_repository``), over one session."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.creator_repository import SqlCreatorQueries
from storage.read_cache import ReadCache
from storage.review_repository import SqlInviteReviewQueries


class SqlTrustRepository(SqlCreatorQueries, SqlInviteReviewQueries):
    def __init__(
        self,
        session: AsyncSession,
        cache: ReadCache | None = None,
        after_commit: list[Callable[[], None]] | None = None,
    ) -> None:
        self._s = session
        self._cache = cache
        self._after_commit = after_commit if after_commit is not None else []
