"""Interactions in storage, on SQLite and on PostgreSQL: views wait for the commit and count
once per half hour, the neighbour and norm aggregates (weights by kind, the window, a buyer
left out, views left out), a buyer's history with categories, what they bought, best
sellers, the recommendation use cases over real queries, and the ``interest:`` audience."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.drops import Audience, DropError
from bot.domain.interests import InteractionKind
from bot.domain.recommend import WINDOW, CoCount
from bot.services import recommendations
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SINCE = NOW - WINDOW
V, A, P, S = (
    InteractionKind.VIEW,
    InteractionKind.ADD,
    InteractionKind.PURCHASE,
    InteractionKind.SHARE,
)


async def _shop(uows: SqlUnitOfWorkFactory) -> dict[str, int]:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        found = {}
        for word in ("konjac", "mango", "tripod", "buds", "runner", "trail"):
            [found[word]] = await uow.catalog.search_ids([word], 5)
        return found


async def _rows(uows: SqlUnitOfWorkFactory, user: int) -> list[tuple[int, str]]:
    async with uows() as uow:
        touches = await uow.interests.history(user, SINCE, 100)
    return sorted((t.product_id, t.kind.value) for t in touches)


async def test_views_wait_for_the_commit_and_count_once_per_half_hour(
    uows: SqlUnitOfWorkFactory,
) -> None:
    p = await _shop(uows)
    async with uows() as uow:
        await uow.interests.record(1, [p["konjac"]], V, NOW)
        assert uow.interests.views_pending and not uow.has_writes
    assert await _rows(uows, 1) == []  # not committed: nothing kept
    for minutes in (0, 10, 29, 31):  # 31 minutes after the first: a new view
        async with uows() as uow:
            await uow.interests.record(1, [p["konjac"]], V, NOW + timedelta(minutes=minutes))
            await uow.interests.record(1, [p["konjac"]], V, NOW + timedelta(minutes=minutes))
            await uow.commit()
    async with uows() as uow:
        await uow.interests.record(1, [p["konjac"], p["mango"], 0], A, NOW)
        await uow.commit()
    assert await _rows(uows, 1) == sorted(
        [(p["konjac"], "view"), (p["konjac"], "view"), (p["konjac"], "add"), (p["mango"], "add")]
    )


async def test_co_counts_weigh_each_buyers_strongest_tie(uows: SqlUnitOfWorkFactory) -> None:
    p = await _shop(uows)
    k, m, t, b = p["konjac"], p["mango"], p["tripod"], p["buds"]
    async with uows() as uow:
        await uow.interests.record(1, [k, t], P, NOW)  # 3 x 3
        await uow.interests.record(1, [k], V, NOW)  # weaker: the purchase stands
        await uow.interests.record(2, [k], A, NOW)
        await uow.interests.record(2, [t], V, NOW)  # 2 x 0.5
        await uow.interests.record(3, [k, m], S, NOW)  # 1.5 x 1.5
        await uow.interests.record(4, [k, b], P, NOW - WINDOW - timedelta(days=1))  # too old
        await uow.interests.record(5, [m, t], P, NOW)  # no konjac: no pair with it
        await uow.commit()
    async with uows() as uow:
        counts = await uow.interests.co_counts([k], SINCE, 10)
        assert counts == [CoCount(k, t, 9.0 + 1.0), CoCount(k, m, 2.25)]
        assert await uow.interests.co_counts([k], SINCE, 1) == [CoCount(k, t, 10.0)]
        assert await uow.interests.co_counts([k], SINCE, 10, exclude_user=1) == [
            CoCount(k, m, 2.25),
            CoCount(k, t, 1.0),
        ]
        strong = await uow.interests.co_counts([k], SINCE, 10, views=False)
        assert strong == [CoCount(k, t, 9.0), CoCount(k, m, 2.25)]
        both = await uow.interests.co_counts([k, m], SINCE, 10)
        assert CoCount(m, t, 9.0) in both and CoCount(m, k, 2.25) in both
        norms = await uow.interests.norms([k, t, b], SINCE)
        assert norms[k] == pytest.approx(9 + 4 + 2.25)
        assert norms[t] == pytest.approx(9 + 0.25 + 9)
        assert b not in norms  # only an interaction outside the window
        assert await uow.interests.co_counts([], SINCE, 10) == []


async def test_history_bought_and_best_sellers(uows: SqlUnitOfWorkFactory) -> None:
    p = await _shop(uows)
    async with uows() as uow:
        await uow.interests.record(7, [p["mango"]], V, NOW - timedelta(hours=2))
        await uow.interests.record(7, [p["mango"]], P, NOW - timedelta(hours=1))
        await uow.interests.record(7, [p["runner"]], P, NOW - timedelta(days=200))
        for user in (8, 9, 10):
            await uow.interests.record(user, [p["tripod"]], P, NOW)
        await uow.interests.record(8, [p["buds"]], A, NOW)  # an add is not a sale
        await uow.commit()
    async with uows() as uow:
        touches = await uow.interests.history(7, SINCE, 10)
        assert [(t.product_id, t.kind) for t in touches] == [(p["mango"], P), (p["mango"], V)]
        snacks = await uow.catalog.product(p["mango"])
        assert snacks is not None and touches[0].category_id == snacks.category_id
        assert len(await uow.interests.history(7, SINCE, 1)) == 1
        assert await uow.interests.bought(7) == {p["mango"], p["runner"]}
        assert await uow.interests.best_sellers(NOW - timedelta(days=30), 5) == [
            (p["tripod"], 3),
            (p["mango"], 1),
        ]


async def test_recommendations_over_real_queries(uows: SqlUnitOfWorkFactory) -> None:
    p = await _shop(uows)
    async with uows() as uow:
        for user in (1, 2, 3):
            await uow.interests.record(user, [p["konjac"], p["buds"]], P, NOW)
        for user in (4, 5, 6, 7):
            await uow.interests.record(user, [p["tripod"]], P, NOW)
        await uow.commit()
    async with uows() as uow:
        konjac = await uow.catalog.product(p["konjac"])
        assert konjac is not None
        similar = await recommendations.similar_ids(uow, konjac.id, konjac.category_id, NOW, 5)
        assert similar[:2] == [p["buds"], p["mango"]]  # co-bought, then its own category
        assert konjac.id not in similar
        # A new buyer: best sellers, in order, then catalog order; never sold-out products.
        fresh = await recommendations.for_buyer(uow, 99, NOW, 3)
        assert fresh == [p["tripod"], p["konjac"], p["buds"]]
        assert fresh == await recommendations.best_sellers_for(uow, 99, NOW, 3)
        # A buyer of konjac: what others bought with it, never konjac itself.
        await uow.interests.record(50, [p["konjac"]], P, NOW)
        mine = await recommendations.for_buyer(uow, 50, NOW, 3, just_bought=[p["konjac"]])
        assert mine[0] == p["buds"] and p["konjac"] not in mine
        everything = await recommendations.for_buyer(uow, 50, NOW, 20)
        for product_id in everything:
            product = await uow.catalog.product(product_id)
            assert product is not None and product.available > 0


async def test_an_interest_audience_is_its_categorys_interested_buyers(
    uows: SqlUnitOfWorkFactory,
) -> None:
    p = await _shop(uows)
    async with uows() as uow:
        for user in (11, 12, 13, 14, 15):
            await uow.buyers.touch(user, f"B{user}", None, "en", NOW)
        await uow.interests.record(11, [p["konjac"]], A, NOW)  # 2: in
        for minutes in (0, 40, 80, 120):  # four views, half an hour apart: 2, in
            await uow.interests.record(12, [p["mango"]], V, NOW - timedelta(minutes=minutes))
        await uow.interests.record(13, [p["mango"]], V, NOW)  # one view: out
        await uow.interests.record(14, [p["tripod"]], P, NOW)  # gadgets: out
        await uow.interests.record(15, [p["konjac"]], P, NOW - WINDOW - timedelta(days=1))
        await uow.commit()
    async with uows() as uow:
        snacks = await uow.catalog.product(p["konjac"])
        assert snacks is not None and snacks.category_id is not None
        for audience in ("interest:snacks", "interest:SNACKS", f"interest:{snacks.category_id}"):
            assert await uow.drops.recipients(Audience.parse(audience), NOW) == [11, 12]
        assert await uow.drops.recipients(Audience.parse("interest:nope"), NOW) == []
    for bad in ("interest:", "interest:a b", "interest:" + "x" * 65):
        with pytest.raises(DropError):
            Audience.parse(bad)


async def test_paid_orders_from_before_the_log_count_as_bought(
    uows: SqlUnitOfWorkFactory,
) -> None:
    from bot.domain.money import Money
    from bot.domain.orders import OrderStatus
    from bot.services.order_ports import NewOrder, OrderLine

    p = await _shop(uows)
    async with uows() as uow:
        made = []
        for word in ("mango", "tripod"):
            product = await uow.catalog.product(p[word])
            assert product is not None
            variant = product.variants[0]
            line = OrderLine(variant.id, product.id, None, product.name, variant.price, 1)
            new = NewOrder(
                20, 20, "t" * 16, (line,), variant.price, Money.zero("USD"), variant.price,
                None, False, "pickup", "telegram", False,
            )  # fmt: skip
            made.append(await uow.orders.create(new, NOW - timedelta(days=400)))
        paid, unpaid = made
        pending = frozenset({OrderStatus.PENDING})
        await uow.orders.move(paid.id, OrderStatus.PAID, pending, NOW, paid_at=NOW)
        await uow.interests.record(20, [p["konjac"]], P, NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.interests.bought(20) == {p["mango"], p["konjac"]}  # not the unpaid one
        suggested = await recommendations.for_buyer(uow, 20, NOW, 10)
        assert p["mango"] not in suggested and p["tripod"] in suggested
