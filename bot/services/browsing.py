"""Browsing use cases: categories, product cards in a list, search, "more like this".

A card always belongs to a list (a category, a saved search, the look-alikes of a product, or
a single deep-linked product), so paging buttons need only the list's id and an index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.domain.catalog import Product
from bot.domain.flash_sales import FlashSale
from bot.domain.group_buys import GroupDeal
from bot.domain.reviews import ProductStanding
from bot.services import recommendations
from bot.services.ports import CategorySummary, UnitOfWork

SEARCH_LIMIT = 50
SIMILAR_LIMIT = 12
MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 8


class ListKind(StrEnum):
    CATEGORY = "c"  # id: a category
    SEARCH = "s"  # id: a saved search
    SIMILAR = "m"  # id: the product whose look-alikes these are
    SINGLE = "p"  # id: the product itself (deep link); no paging


@dataclass(frozen=True, slots=True)
class CardPage:
    product: Product
    index: int
    total: int
    kind: ListKind
    list_id: int
    #: What the list is, for the caption: a category name, the search words, a product name.
    label: str
    #: The product's group-buy deal, if it has one (a Start group buy button).
    group: GroupDeal | None = None
    #: Its upcoming or live flash sale, and the moment the page was read (for the countdown).
    sale: FlashSale | None = None
    at: datetime | None = None
    #: Its verified reviews' rating and the units sold ("★ 4.8 · 126 sold").
    standing: ProductStanding | None = None

    @property
    def next_index(self) -> int:
        return (self.index + 1) % self.total

    @property
    def prev_index(self) -> int:
        return (self.index - 1) % self.total


class QueryTooLong(ValueError):
    pass


def normalise_query(text: str) -> list[str]:
    """Case-folded words to match; raises QueryTooLong for an essay, [] for nothing to find."""
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLong(text)
    words = [w for w in text.casefold().split(" ") if w and w.isprintable()]
    return words[:MAX_QUERY_WORDS]


async def categories(uow: UnitOfWork) -> list[CategorySummary]:
    return [c for c in await uow.catalog.categories() if c.products > 0]


async def _page(
    uow: UnitOfWork,
    ids: list[int],
    index: int,
    kind: ListKind,
    list_id: int,
    label: str,
    now: datetime | None,
) -> CardPage | None:
    """The card at ``index``, skipping products that vanished since the list was read.

    A list that shrank since its buttons were drawn clamps to its last card instead of failing.
    """
    if not ids:
        return None
    index = min(max(index, 0), len(ids) - 1)
    product = await uow.catalog.product(ids[index])
    if product is None:
        return None
    deals = await uow.groups.deals_for_product(product.id)
    sale = await uow.sales.current_for_product(product.id, now) if now is not None else None
    deal = deals[0] if deals else None
    standing = await uow.trust.standing(product.id)
    return CardPage(product, index, len(ids), kind, list_id, label, deal, sale, now, standing)


async def category_page(
    uow: UnitOfWork, category_id: int, index: int, now: datetime | None = None
) -> CardPage | None:
    category = await uow.catalog.category(category_id)
    if category is None:
        return None
    ids = await uow.catalog.product_ids(category_id)
    return await _page(uow, ids, index, ListKind.CATEGORY, category_id, category.name, now)


async def start_search(uow: UnitOfWork, user_id: int, query: str, now: datetime) -> int:
    """Save the buyer's search so paging buttons can refer to it by id."""
    return await uow.searches.save(user_id, " ".join(query.split()), now)


async def search_page(
    uow: UnitOfWork,
    search_id: int,
    index: int,
    now: datetime | None = None,
    searcher: int | None = None,
) -> CardPage | None:
    """A page of a saved search; with ``searcher``, only if that person made it (its words
    are theirs: a forged list id shows nothing)."""
    saved = await uow.searches.get(search_id)
    if saved is None or (searcher is not None and saved[0] != searcher):
        return None
    _, query = saved
    words = normalise_query(query)
    if not words:
        return None
    ids = await uow.catalog.search_ids(words, SEARCH_LIMIT)
    return await _page(uow, ids, index, ListKind.SEARCH, search_id, query, now)


async def similar_page(
    uow: UnitOfWork, product_id: int, index: int, now: datetime | None = None
) -> CardPage | None:
    product = await uow.catalog.product(product_id)
    if product is None:
        return None
    at = now or datetime.now(UTC)
    ids = await recommendations.similar_ids(
        uow, product.id, product.category_id, at, SIMILAR_LIMIT
    )
    return await _page(uow, ids, index, ListKind.SIMILAR, product_id, product.name, now)


async def single_page(
    uow: UnitOfWork, product_id: int, now: datetime | None = None
) -> CardPage | None:
    return await _page(uow, [product_id], 0, ListKind.SINGLE, product_id, "", now)


async def page(
    uow: UnitOfWork,
    kind: ListKind,
    list_id: int,
    index: int,
    now: datetime | None = None,
    searcher: int | None = None,
) -> CardPage | None:
    """A list's page; a search list only for ``searcher`` when given (see ``search_page``)."""
    if kind is ListKind.CATEGORY:
        return await category_page(uow, list_id, index, now)
    if kind is ListKind.SEARCH:
        return await search_page(uow, list_id, index, now, searcher)
    if kind is ListKind.SIMILAR:
        return await similar_page(uow, list_id, index, now)
    return await single_page(uow, list_id, now)
