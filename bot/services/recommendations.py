"""Recommendations: "More like this" on a card and "You may also like" after a purchase.

Reads bounded aggregates through ``uow.interests`` and ranks with ``bot.domain.recommend``;
products that are archived or sold out are left out here (the catalog knows them), so a list
never offers what cannot be bought.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain import recommend
from bot.domain.interests import InteractionKind
from bot.domain.recommend import Candidate
from bot.services.ports import UnitOfWork

#: A buyer's history read for their list (newest first).
HISTORY_LIMIT = 300
#: Best sellers read for the prior and the cold start.
BEST_SELLERS = 50


async def _catalog(uow: UnitOfWork) -> list[Candidate]:
    """Every active product in a category, in catalog order (cached reads)."""
    out: list[Candidate] = []
    for summary in await uow.catalog.categories():
        category_id = summary.category.id
        for product_id in await uow.catalog.product_ids(category_id):
            out.append(Candidate(product_id, category_id, len(out)))
    return out


async def _in_stock(uow: UnitOfWork, ranked: Iterable[int], limit: int) -> list[int]:
    out: list[int] = []
    for product_id in ranked:
        product = await uow.catalog.product(product_id)
        if product is not None and product.available > 0:
            out.append(product_id)
            if len(out) >= limit:
                break
    return out


async def _popular(uow: UnitOfWork, now: datetime) -> dict[int, float]:
    since = now - recommend.BEST_SELLER_WINDOW
    return recommend.popularity(await uow.interests.best_sellers(since, BEST_SELLERS))


async def similar_ids(
    uow: UnitOfWork, product_id: int, category_id: int | None, now: datetime, limit: int
) -> list[int]:
    """ "More like this": what buyers carted, bought and shared with it, then its category,
    then best sellers. Views do not count here, so the list holds still while the buyer
    pages through it (each card they see is a view)."""
    since = now - recommend.WINDOW
    counts = await uow.interests.co_counts([product_id], since, recommend.NEIGHBOURS, views=False)
    others = [c.other for c in counts]
    norms = await uow.interests.norms([product_id, *others], since, views=False)
    neighbours = recommend.similarities(counts, norms).get(product_id, {})
    ranked = recommend.more_like(
        product_id,
        category_id,
        await _catalog(uow),
        neighbours=neighbours,
        popular=await _popular(uow, now),
        limit=limit * 2,
    )
    return await _in_stock(uow, ranked, limit)


async def for_buyer(
    uow: UnitOfWork,
    user_id: int,
    now: datetime,
    limit: int,
    *,
    just_bought: Iterable[int] = (),
) -> list[int]:
    """ "You may also like": co-occurrence with what the buyer looked at, carted and bought
    (``just_bought`` counts as bought now), blended with their category affinity; a new
    buyer gets best sellers, then catalog order. Nothing they already bought."""
    since = now - recommend.WINDOW
    touches = await uow.interests.history(user_id, since, HISTORY_LIMIT)
    fresh = set(just_bought)
    seeds = recommend.seed_weights(touches, now)
    for product_id in fresh:
        seeds[product_id] = recommend.weight(InteractionKind.PURCHASE)
    seeds = recommend.strongest(seeds, recommend.SEEDS)
    views = recommend.CO_VIEWS
    counts = (
        await uow.interests.co_counts(list(seeds), since, recommend.NEIGHBOURS, views=views)
        if seeds
        else []
    )
    others = [c.other for c in counts]
    norms = await uow.interests.norms(list(seeds) + others, since, views=views)
    catalog = await _catalog(uow)
    affinity = recommend.category_affinity(touches, now)
    ranked = recommend.rank(
        catalog,
        seeds=seeds,
        neighbours=recommend.similarities(counts, norms),
        affinity=affinity,
        popular=await _popular(uow, now),
        exclude=fresh | await uow.interests.bought(user_id),
        limit=limit * 3,
    )
    return await _in_stock(uow, ranked, limit)


async def best_sellers_for(uow: UnitOfWork, user_id: int, now: datetime, limit: int) -> list[int]:
    """The popularity baseline: recent best sellers the buyer has not bought, then catalog
    order (what ``for_buyer`` falls back to with no history; the benchmark's yardstick)."""
    popular = await _popular(uow, now)
    ranked = recommend.rank(
        await _catalog(uow),
        seeds={},
        neighbours={},
        affinity={},
        popular=popular,
        exclude=await uow.interests.bought(user_id),
        limit=limit * 3,
    )
    return await _in_stock(uow, ranked, limit)
