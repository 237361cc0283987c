"""The unit of work: one transaction, the repositories bound to it, rollback unless committed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.services.sale_gate import OpenGate
from bot.services.sale_ports import SoldOutGate
from storage.admin_repository import SqlAuditLog, SqlStaffRepository
from storage.alert_repository import SqlAlertRepository
from storage.buyer_data_repository import SqlBuyerDataRepository
from storage.catalog_repository import SqlCatalogRepository
from storage.catalog_writer import SqlCatalogWriter
from storage.coupon_repository import SqlCouponRepository
from storage.drop_repository import SqlDropRepository
from storage.engine import make_sessionmaker
from storage.group_repository import SqlGroupBuyRepository
from storage.guess_log import SqlGuessLog
from storage.inbox_repository import SqlUpdateInbox
from storage.interest_repository import SqlInterestRepository
from storage.live_repository import SqlLiveRepository
from storage.order_repository import SqlOrderRepository, SqlStockRepository
from storage.outboxes import SqlCheckoutPrefs, SqlNoticeOutbox, SqlRefundOutbox, SqlStripeEventLog
from storage.read_cache import DEFAULT_TTL, ReadCache, RecentBuyers
from storage.repositories import (
    SqlBuyerRepository,
    SqlCartRepository,
    SqlSearchLog,
    SqlUiStateStore,
    SqlUpdateLog,
)
from storage.sale_post_repository import SqlSalePostRepository
from storage.sale_repository import SqlSaleRepository
from storage.stats_repository import SqlStatsRepository
from storage.support_repository import SqlSupportRepository
from storage.trust_repository import SqlTrustRepository
from storage.view_buffer import ViewBuffer

if TYPE_CHECKING:  # redis loads only with REDIS_URL (``bot.bootstrap``)
    from storage.redis_state import RedisState
    from storage.redis_ui_state import RedisUiStateStore

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    catalog: SqlCatalogRepository
    catalog_writer: SqlCatalogWriter
    carts: SqlCartRepository
    buyers: SqlBuyerRepository
    updates: SqlUpdateLog
    searches: SqlSearchLog
    ui_states: SqlUiStateStore | RedisUiStateStore
    coupons: SqlCouponRepository
    orders: SqlOrderRepository
    stock: SqlStockRepository
    refunds: SqlRefundOutbox
    stripe_events: SqlStripeEventLog
    notices: SqlNoticeOutbox
    prefs: SqlCheckoutPrefs
    groups: SqlGroupBuyRepository
    sales: SqlSaleRepository
    sale_posts: SqlSalePostRepository
    drops: SqlDropRepository
    live: SqlLiveRepository
    trust: SqlTrustRepository
    staff: SqlStaffRepository
    audit: SqlAuditLog
    interests: SqlInterestRepository
    stats: SqlStatsRepository
    guesses: SqlGuessLog
    inbox: SqlUpdateInbox
    buyer_data: SqlBuyerDataRepository
    support: SqlSupportRepository
    sale_gate: SoldOutGate

    def __init__(self, factory: SqlUnitOfWorkFactory) -> None:
        self._factory = factory
        self._session: AsyncSession | None = None
        self._after_commit: list[Callable[[], None]] = []
        self._ui_redis: RedisUiStateStore | None = None

    async def __aenter__(self) -> Self:
        factory = self._factory
        if factory.writer_lock is not None:
            await factory.writer_lock.acquire()
        session: AsyncSession = factory.sessions()
        self._session = session
        self.catalog = SqlCatalogRepository(session, factory.cache)
        self.catalog_writer = SqlCatalogWriter(session, factory.cache, self._after_commit)
        self.carts = SqlCartRepository(session)
        self.buyers = SqlBuyerRepository(session, factory.recent_buyers, self._after_commit)
        self.updates = SqlUpdateLog(session)
        self.searches = SqlSearchLog(session)
        self.ui_states = SqlUiStateStore(session)
        if factory.redis is not None:  # UI steps in Redis, the database as the fallback
            from storage.redis_ui_state import RedisUiStateStore

            self._ui_redis = RedisUiStateStore(factory.redis, self.ui_states)
            self.ui_states = self._ui_redis
        self.coupons = SqlCouponRepository(session)
        self.orders = SqlOrderRepository(session)
        self.stock = SqlStockRepository(session)
        self.refunds = SqlRefundOutbox(session)
        self.stripe_events = SqlStripeEventLog(session)
        self.notices = SqlNoticeOutbox(session)
        self.prefs = SqlCheckoutPrefs(session)
        self.groups = SqlGroupBuyRepository(session, factory.cache, self._after_commit)
        self.sales = SqlSaleRepository(session, factory.cache)
        self.sale_posts = SqlSalePostRepository(session)
        self.drops = SqlDropRepository(session)
        self.alerts = SqlAlertRepository(session)
        self.live = SqlLiveRepository(session)
        self.trust = SqlTrustRepository(session, factory.cache, self._after_commit)
        self.staff = SqlStaffRepository(session)
        self.audit = SqlAuditLog(session)
        self.interests = SqlInterestRepository(session, factory.views)
        self.stats = SqlStatsRepository(session)
        self.guesses = SqlGuessLog(session)
        self.inbox = SqlUpdateInbox(session)
        self.buyer_data = SqlBuyerDataRepository(session, factory.recent_buyers)
        self.support = SqlSupportRepository(session)
        self.sale_gate = factory.sale_gate
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        assert session is not None
        try:
            if session.in_transaction() or len(session.identity_map) or session.new:
                await session.close()  # ends (rolls back) anything not committed
        finally:
            self._session = None
            self._after_commit.clear()
            self._ui_redis = None
            if self._factory.writer_lock is not None:
                self._factory.writer_lock.release()

    @property
    def has_writes(self) -> bool:
        """Whether anything was written since the transaction began (or the last commit)."""
        assert self._session is not None
        ui = self._ui_redis
        return bool(self._session.sync_session.info.get("wrote")) or bool(ui and ui.pending)

    async def commit(self) -> None:
        assert self._session is not None
        views = await self.interests.flush_views()
        session = self._session
        try:
            # A unit of work that never reached the database (a claim the sold-out gate
            # refused) has nothing to commit: skip SQLAlchemy's commit machinery.
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await session.commit()
        except BaseException:
            self.interests.restore_views(views)
            raise
        for callback in self._after_commit:
            callback()
        self._after_commit.clear()
        if self.sales.reopened:  # units came back: claims ask the database again
            reopened, self.sales.reopened = set(self.sales.reopened), set()
            await self._factory.sale_gate.reopen(reopened)
        if self._ui_redis is not None:  # after the commit: a rolled-back update sets no step
            await self._ui_redis.flush()

    async def rollback(self) -> None:
        assert self._session is not None
        await self._session.rollback()
        self._after_commit.clear()
        self.sales.reopened.clear()
        if self._ui_redis is not None:
            self._ui_redis.discard()


class SqlUnitOfWorkFactory:
    """Makes a fresh unit of work per update; owns the engine and the process's read caches.

    SQLite allows one writer at a time and makes others sleep and retry; within one process the
    units of work therefore take turns on an asyncio lock instead, which is fairer and far
    faster than SQLite's busy back-off. PostgreSQL needs no such lock.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache_ttl: float = DEFAULT_TTL,
        redis: RedisState | None = None,
        view_flush_after: float = 0.0,
        sale_gate: SoldOutGate | None = None,
    ) -> None:
        self.engine = engine
        self.sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(engine)
        self.cache = ReadCache(cache_ttl)
        self.recent_buyers = RecentBuyers(ttl=60.0 if cache_ttl > 0 else 0)
        #: Card views of this process, written in batches (``storage.view_buffer``); 0 writes
        #: them at every commit.
        self.views = ViewBuffer(view_flush_after)
        is_sqlite = engine.dialect.name == "sqlite"
        self.writer_lock: asyncio.Lock | None = asyncio.Lock() if is_sqlite else None
        #: With ``REDIS_URL``: UI steps live there (shared by the processes), not in SQL.
        self.redis = redis
        if redis is not None:
            redis.bind(self.sessions, self.writer_lock)
        #: Sold-out flash sales refused without a query (``bot/services/sale_ports.py``);
        #: ``OpenGate``: every claim asks the database.
        self.sale_gate: SoldOutGate = sale_gate if sale_gate is not None else OpenGate()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self)

    async def flush_views(self) -> None:
        """Write the buffered card views now (the scheduler's tick, and at shutdown)."""
        if not self.views.pending:
            return
        async with self() as uow:
            await uow.interests.flush_views(force=True)
            await uow.commit()

    async def dispose(self) -> None:
        try:
            await self.flush_views()
        except Exception:  # the database is going away too: views are analytics
            log.warning("%d card views not written at shutdown", self.views.pending)
        if self.redis is not None:
            await self.redis.close()
        await self.engine.dispose()
