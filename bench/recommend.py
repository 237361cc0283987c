"""``storefront bench recommend``: offline evaluation of "You may also like".

A synthetic but shop-like interaction log, generated with a fixed seed: ``--buyers`` buyers,
60 products in 8 categories, each buyer with 1-3 preferred categories (85 % of their visits),
Zipf-skewed popularity, complementary pairs often bought together, views ≫ adds > purchases,
in time order. Each buyer with an earlier purchase has their last purchase held out: the log
is cut before the visit it was made in (so its view and add do not give it away), the rest of
everyone's log is loaded into a temporary SQLite database, and the real use cases run on it:
``recommendations.for_buyer`` (co-occurrence blended with category affinity) and the
popularity baseline ``recommendations.best_sellers_for`` (top best sellers not yet bought).

It prints the hit rate at 5 of both (the held-out product among the five), their ratio
(target: above 1) and the time per buyer of each, as a ratio too. Figures are from this run
only; nothing here is asserted on time. The default of 1,000 buyers took about 21 s of CPU
on the development machine, ``--buyers 2000`` about 53 s (twice the buyers, each reading a
window twice as large).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.interests import InteractionKind
from bot.services import recommendations
from bot.services.catalog_file import parse_catalog
from bot.services.catalog_import import import_catalog
from bot.services.ports import UnitOfWork
from storage.engine import make_engine
from storage.interest_repository import load_interactions
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory

PRODUCTS = 60
CATEGORIES = 8
TOP = 5
#: Zipf exponent of product popularity.
ZIPF = 1.1
#: Share of a buyer's visits spent in their preferred categories.
LOYALTY = 0.85
PAIRS = 15
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60

Event = tuple[int, int, InteractionKind, datetime]


@dataclass
class Buyer:
    user_id: int
    events: list[Event] = field(default_factory=list)
    #: Index into ``events`` where each visit starts.
    visits: list[int] = field(default_factory=list)


@dataclass
class World:
    categories: list[list[int]]  # category -> product indexes
    weight: list[float]  # product index -> popularity weight
    complement: dict[int, int]


def _world(rng: random.Random) -> World:
    categories: list[list[int]] = [[] for _ in range(CATEGORIES)]
    for p in range(PRODUCTS):
        categories[p % CATEGORIES].append(p)
    ranks = list(range(PRODUCTS))
    rng.shuffle(ranks)
    weight = [1.0 / (ranks[p] + 1) ** ZIPF for p in range(PRODUCTS)]
    pool = list(range(PRODUCTS))
    rng.shuffle(pool)
    complement: dict[int, int] = {}
    for i in range(PAIRS):
        a, b = pool[2 * i], pool[2 * i + 1]
        complement[a], complement[b] = b, a
    return World(categories, weight, complement)


def _pick(rng: random.Random, items: list[int], weight: list[float], k: int) -> list[int]:
    chosen: list[int] = []
    left = list(items)
    while left and len(chosen) < k:
        [p] = rng.choices(left, [weight[i] for i in left])
        chosen.append(p)
        left.remove(p)
    return chosen


def _buyer(rng: random.Random, world: World, user_id: int, ids: list[int]) -> Buyer:
    buyer = Buyer(user_id)
    cat_weight = [sum(world.weight[p] for p in c) for c in world.categories]
    liked: list[int] = []
    while len(liked) < rng.randint(1, 3):
        [c] = rng.choices(range(CATEGORIES), cat_weight)
        if c not in liked:
            liked.append(c)
    bought: set[int] = set()
    at = START + timedelta(minutes=rng.randrange(DAYS * 24 * 60 // 2))
    for _ in range(min(1 + int(rng.expovariate(1 / 4)), 12)):
        buyer.visits.append(len(buyer.events))
        c = rng.choice(liked) if rng.random() < LOYALTY else rng.randrange(CATEGORIES)
        seen = _pick(rng, world.categories[c], world.weight, rng.randint(2, 6))
        added = [p for p in seen if p not in bought and rng.random() < 0.3]

        def log(p: int, kind: InteractionKind) -> None:
            nonlocal at
            at += timedelta(minutes=1)
            buyer.events.append((user_id, ids[p], kind, at))

        for p in seen:
            log(p, InteractionKind.VIEW)
            if p in added:
                log(p, InteractionKind.ADD)
        if added and rng.random() < 0.6:
            order = list(added)
            for p in added:
                mate = world.complement.get(p)
                fresh = mate is not None and mate not in bought and mate not in order
                if fresh and rng.random() < 0.6:
                    assert mate is not None
                    log(mate, InteractionKind.VIEW)
                    log(mate, InteractionKind.ADD)
                    order.append(mate)
            at += timedelta(minutes=2)
            for p in order:
                buyer.events.append((user_id, ids[p], InteractionKind.PURCHASE, at))
                bought.add(p)
        at += timedelta(hours=rng.uniform(6, 24 * 10))
    return buyer


def _catalog_text() -> str:
    return json.dumps(
        {
            "currency": "USD",
            "categories": [{"slug": f"cat-{c}", "name": f"Category {c}"} for c in range(8)],
            "products": [
                {
                    "slug": f"p-{p}",
                    "name": f"Product {p}",
                    "category": f"cat-{p % CATEGORIES}",
                    "sku": f"SKU-{p}",
                    "price": 1000,
                    "stock": 1_000_000,
                }
                for p in range(PRODUCTS)
            ],
        }
    )


async def _product_id(uow: UnitOfWork, sku: str) -> int:
    variant_id = await uow.catalog.variant_by_sku(sku)
    found = await uow.catalog.variant(variant_id) if variant_id is not None else None
    assert found is not None, sku
    return found[1].id


def split(buyers: list[Buyer]) -> tuple[list[Event], dict[int, int]]:
    """(the log to fit on, user -> held-out product). A buyer is held out when their last
    purchase came after an earlier one in an earlier visit; their log stops before that
    visit."""
    fit: list[Event] = []
    held: dict[int, int] = {}
    for b in buyers:
        purchases = [i for i, e in enumerate(b.events) if e[2] is InteractionKind.PURCHASE]
        if purchases:
            last = purchases[-1]
            cut = max(v for v in b.visits if v <= last)
            if any(i < cut for i in purchases):
                held[b.user_id] = b.events[last][1]
                fit += b.events[:cut]
                continue
        fit += b.events
    return fit, held


async def run_recommend_bench(buyers: int = 1000, seed: int = 7) -> int:
    rng = random.Random(seed)
    world = _world(rng)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'recommend.db'}")
        await upgrade(engine)
        uows = SqlUnitOfWorkFactory(engine)
        try:
            await import_catalog(uows, parse_catalog(_catalog_text(), ".json", Path(tmp)))
            async with uows() as uow:
                ids = [await _product_id(uow, f"SKU-{p}") for p in range(PRODUCTS)]
            people = [_buyer(rng, world, 10_000 + i, ids) for i in range(buyers)]
            fit, held = split(people)
            async with engine.begin() as conn:
                await load_interactions(conn, fit)
            now = max(e[3] for e in fit) + timedelta(minutes=1)
            kinds = {k: sum(1 for e in fit if e[2] is k) for k in InteractionKind}
            results: dict[str, tuple[float, float]] = {}
            for name, rank in (
                ("popularity", recommendations.best_sellers_for),
                ("recommender", recommendations.for_buyer),
            ):
                hits, spent = 0, 0.0
                for user_id, product_id in held.items():
                    begun = time.perf_counter()
                    async with uows() as uow:
                        top = await rank(uow, user_id, now, TOP)
                    spent += time.perf_counter() - begun
                    hits += product_id in top
                results[name] = (hits / max(len(held), 1), spent / max(len(held), 1))
        finally:
            await uows.dispose()
    pop, rec = results["popularity"], results["recommender"]
    print(
        f"bench recommend: {buyers} buyers, {PRODUCTS} products in {CATEGORIES} categories, "
        f"seed {seed}; {len(fit)} interactions fitted ({kinds[InteractionKind.VIEW]} views, "
        f"{kinds[InteractionKind.ADD]} adds, {kinds[InteractionKind.PURCHASE]} purchases); "
        f"{len(held)} buyers' last purchase held out"
    )
    print(f"{'':<12} {'hit rate@5':>10} {'ms/buyer':>9}")
    for name, (rate, spent) in (("popularity", pop), ("recommender", rec)):
        print(f"{name:<12} {rate:>10.3f} {spent * 1000:>9.2f}")
    ratio = rec[0] / pop[0] if pop[0] else float("inf")
    slower = rec[1] / pop[1] if pop[1] else float("inf")
    print(
        f"recommender / popularity: hit rate {ratio:.2f}x, time per buyer {slower:.1f}x "
        f"(target: hit rate above 1x)"
    )
    sys.stdout.flush()
    return 0
