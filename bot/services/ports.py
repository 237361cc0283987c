"""The ports the use cases need. ``storage`` implements them; tests may fake them.

One unit of work spans one Telegram update: everything an update changes commits together, and
the claim of its ``update_id`` is part of the same transaction, so a redelivered update is seen
as handled only if its effects were committed. An update that neither wrote nor sent anything
new (paging through cards edits in place) needs no claim: handling it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.domain.cart import CartLine
from bot.domain.catalog import Category, Product, Variant
from bot.domain.money import Money
from bot.services.admin_ports import AuditLog, StaffRepository
from bot.services.alert_ports import AlertRepository
from bot.services.catalog_admin_ports import CatalogEditing
from bot.services.drop_ports import DropRepository
from bot.services.group_ports import GroupBuyRepository
from bot.services.inbox_ports import UpdateInbox
from bot.services.interest_ports import InterestRepository
from bot.services.live_ports import LiveRepository
from bot.services.order_ports import (
    CheckoutPrefs,
    CouponRepository,
    NoticeOutbox,
    OrderRepository,
    RefundOutbox,
    StockRepository,
    StripeEventLog,
)
from bot.services.privacy_ports import BuyerDataRepository
from bot.services.sale_ports import SalePostRepository, SaleRepository, SoldOutGate
from bot.services.stats_ports import StatsRepository
from bot.services.support_ports import SupportRepository
from bot.services.trust_ports import TrustRepository


class StorageUnavailable(Exception):
    """The database could not be reached (connection refused or lost, server restarting).

    Storage raises it in place of its driver's error; nothing of the update was committed, so
    where Telegram will deliver the update again (webhook mode) handling it again is right.
    """


@dataclass(frozen=True, slots=True)
class CategorySummary:
    category: Category
    products: int


@dataclass(frozen=True, slots=True)
class BuyerProfile:
    id: int
    first_name: str
    language_code: str | None
    locale: str | None
    #: Telegram @username when the person has one (the merchant's order screen shows it).
    username: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCartLine:
    id: int
    user_id: int
    variant_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class UiState:
    state: str
    data: dict[str, int | str]


class CatalogRepository(Protocol):
    async def categories(self) -> list[CategorySummary]: ...
    async def category(self, category_id: int) -> Category | None: ...
    async def product(self, product_id: int) -> Product | None: ...
    async def product_ids(self, category_id: int) -> list[int]: ...
    async def search_ids(self, words: list[str], limit: int) -> list[int]: ...
    async def similar_ids(self, product: Product, limit: int) -> list[int]: ...
    async def variant(self, variant_id: int) -> tuple[Variant, Product] | None: ...
    async def variant_by_sku(self, sku: str) -> int | None: ...
    async def remember_file_id(self, media_id: int, file_id: str) -> None: ...


class CartRepository(Protocol):
    async def lines(self, user_id: int) -> list[tuple[int, CartLine]]: ...
    async def line(self, line_id: int) -> StoredCartLine | None: ...
    async def quantity(self, user_id: int, variant_id: int) -> int: ...
    async def add(self, user_id: int, variant_id: int, delta: int, cap: int, now: datetime) -> int:
        """Add ``delta`` units in one conditional write, never above ``cap``; the new quantity."""
        ...

    async def set_quantity(self, line_id: int, quantity: int, now: datetime) -> None: ...
    async def remove(self, line_id: int) -> None: ...
    async def clear(self, user_id: int) -> int: ...


class BuyerRepository(Protocol):
    async def touch(
        self,
        user_id: int,
        first_name: str,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> BuyerProfile: ...
    async def set_locale(self, user_id: int, locale: str) -> None: ...
    async def profile(self, user_id: int) -> BuyerProfile | None: ...


class UpdateLog(Protocol):
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record ``update_id`` as handled; False if it already was (a redelivery)."""
        ...

    async def forget_before(self, cutoff: datetime) -> int: ...


class SearchLog(Protocol):
    async def save(self, user_id: int, query: str, now: datetime) -> int: ...
    async def get(self, search_id: int) -> tuple[int, str] | None: ...


class UiStateStore(Protocol):
    async def get(self, user_id: int, chat_id: int) -> UiState | None: ...
    async def set(self, user_id: int, chat_id: int, state: UiState, now: datetime) -> None: ...
    async def clear(self, user_id: int, chat_id: int) -> None: ...


class GuessLog(Protocol):
    """Wrong codes buyers typed or opened (``bot.domain.guesses``)."""

    async def recent(self, user_id: int, since: datetime, limit: int) -> list[datetime]:
        """The times of the buyer's newest wrong attempts after ``since`` (at most ``limit``),
        newest first. Until the transaction ends, the buyer's other code attempts (in any
        process) wait here: their check and their record cannot interleave."""
        ...

    async def record(self, user_id: int, kind: str, at: datetime) -> None: ...
    async def forget_before(self, cutoff: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction's repositories. Read-only here, so an implementation may hold any
    subtype of each port (``SqlUnitOfWork`` holds the SQL ones; tests hold fakes)."""

    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def catalog_writer(self) -> CatalogWriter: ...
    @property
    def carts(self) -> CartRepository: ...
    @property
    def buyers(self) -> BuyerRepository: ...
    @property
    def updates(self) -> UpdateLog: ...
    @property
    def searches(self) -> SearchLog: ...
    @property
    def ui_states(self) -> UiStateStore: ...
    @property
    def coupons(self) -> CouponRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def stock(self) -> StockRepository: ...
    @property
    def refunds(self) -> RefundOutbox: ...
    @property
    def stripe_events(self) -> StripeEventLog: ...
    @property
    def notices(self) -> NoticeOutbox: ...
    @property
    def prefs(self) -> CheckoutPrefs: ...
    @property
    def groups(self) -> GroupBuyRepository: ...
    @property
    def sales(self) -> SaleRepository: ...
    @property
    def sale_posts(self) -> SalePostRepository: ...
    @property
    def sale_gate(self) -> SoldOutGate:
        """Sold-out sales refused without a query (not part of the transaction)."""
        ...

    @property
    def drops(self) -> DropRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def live(self) -> LiveRepository: ...
    @property
    def trust(self) -> TrustRepository: ...
    @property
    def staff(self) -> StaffRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def interests(self) -> InterestRepository: ...
    @property
    def stats(self) -> StatsRepository: ...
    @property
    def guesses(self) -> GuessLog: ...
    @property
    def buyer_data(self) -> BuyerDataRepository: ...
    @property
    def inbox(self) -> UpdateInbox: ...
    @property
    def support(self) -> SupportRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    @property
    def has_writes(self) -> bool: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class VariantDraft:
    sku: str
    name: str
    price: Money
    stock: int
    position: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class ProductDraft:
    """A product as a catalog file describes it, validated, ready to upsert by ``slug``."""

    slug: str
    name: str
    description: str
    category: str | None
    tags: tuple[str, ...]
    teaser: str | None
    photo: str | None
    position: int
    active: bool
    variants: tuple[VariantDraft, ...]
    search_text: str
    digital: bool = False
    digital_content: str | None = None


class CatalogWriter(CatalogEditing, Protocol):
    """The importer's upserts and the console's edits (``CatalogEditing``)."""

    async def upsert_category(self, slug: str, name: str, position: int) -> int: ...
    async def upsert_product(self, draft: ProductDraft, category_id: int | None) -> int: ...
    async def sku_owner(self, sku: str) -> str | None: ...
    async def upsert_variant(self, product_id: int, draft: VariantDraft) -> None: ...
