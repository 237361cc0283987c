"""Recommendations from interest signals: pure scoring, no I/O.

Three signals, each scaled to 0..1 before they are blended:

- **co-occurrence**: products the same buyers put in their carts and orders (and, weaker, looked
  at). Each buyer's tie to a product is the weight of their strongest interaction with it
  (``KIND_WEIGHTS``); two products' similarity is the cosine of those weight vectors over
  buyers, so a best seller that everyone buys does not top every list (its norm is large);
- **category affinity**: the buyer's own interactions by category, weighted by kind and decayed
  by age (half-life ``AFFINITY_HALF_LIFE``), as a share of their total;
- **popularity**: recent best sellers, as a weak prior and the cold start.

The caller (``bot.services.recommendations``) reads the counts with bounded SQL aggregates and
filters out archived and sold-out products; this module only ranks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.interests import InteractionKind

#: How much an interaction says about interest: a purchase > an add > a share > a view.
KIND_WEIGHTS: Mapping[InteractionKind, float] = {
    InteractionKind.PURCHASE: 3.0,
    InteractionKind.ADD: 2.0,
    InteractionKind.SHARE: 1.5,
    InteractionKind.VIEW: 0.5,
}
#: Blend weights of the three 0..1 signals (co-occurrence leads; popularity breaks ties).
CO_WEIGHT = 1.0
AFFINITY_WEIGHT = 0.35
POPULARITY_WEIGHT = 0.1
#: An interaction's weight in the affinity halves every this long.
AFFINITY_HALF_LIFE = timedelta(days=14)
#: Only this much history is read (queries stay bounded by the indexes on ``at``).
WINDOW = timedelta(days=90)
#: Best sellers are counted over this many recent days.
BEST_SELLER_WINDOW = timedelta(days=30)
#: Neighbours read per anchor product (top-K by co-occurrence).
NEIGHBOURS = 40
#: A buyer's list is steered by at most this many of their products (the strongest ties).
SEEDS = 12
#: Whether co-views count in a buyer's co-occurrence (carts, orders and shares always do).
CO_VIEWS = False
#: Cosine shrinkage: pairs seen together by few buyers count less (``dot / (norms + K)``).
SHRINK = 1.0
#: A buyer is "interested" in a category when their weighted interactions there reach this
#: (one add, or one purchase, or four views) — the drop audience ``interest:<category>``.
INTEREST_THRESHOLD = 2.0


def weight(kind: InteractionKind | str) -> float:
    return KIND_WEIGHTS.get(InteractionKind(kind), 0.0)


@dataclass(frozen=True, slots=True)
class CoCount:
    """Buyers' ties to two products: the dot product of their weight vectors."""

    anchor: int
    other: int
    dot: float


@dataclass(frozen=True, slots=True)
class Touch:
    """One of the buyer's interactions, with the product's category (None: uncategorised)."""

    product_id: int
    category_id: int | None
    kind: InteractionKind
    at: datetime


def cosine(dot: float, norm_a: float, norm_b: float, shrink: float = SHRINK) -> float:
    """``dot / (|a| |b| + shrink)``: 0..1 for non-negative vectors."""
    if dot <= 0 or norm_a <= 0 or norm_b <= 0:
        return 0.0
    return dot / (math.sqrt(norm_a * norm_b) + shrink)


def similarities(
    counts: Iterable[CoCount], norms: Mapping[int, float]
) -> dict[int, dict[int, float]]:
    """anchor -> {other: cosine}; ``norms`` are each product's sum of squared weights."""
    out: dict[int, dict[int, float]] = {}
    for c in counts:
        if c.anchor == c.other:
            continue
        score = cosine(c.dot, norms.get(c.anchor, 0.0), norms.get(c.other, 0.0))
        if score > 0:
            out.setdefault(c.anchor, {})[c.other] = score
    return out


def decayed(kind: InteractionKind, at: datetime, now: datetime) -> float:
    age = max((now - at).total_seconds(), 0.0)
    # float ** float is typed Any (a negative base gives a complex); this base is positive.
    decay: float = 0.5 ** (age / AFFINITY_HALF_LIFE.total_seconds())
    return weight(kind) * decay


def category_affinity(touches: Iterable[Touch], now: datetime) -> dict[int, float]:
    """category -> the share (0..1) of the buyer's decayed interest that falls in it."""
    totals: dict[int, float] = {}
    for t in touches:
        if t.category_id is not None:
            totals[t.category_id] = totals.get(t.category_id, 0.0) + decayed(t.kind, t.at, now)
    whole = sum(totals.values())
    return {c: v / whole for c, v in totals.items()} if whole > 0 else {}


def seed_weights(touches: Iterable[Touch], now: datetime) -> dict[int, float]:
    """product -> how much it should steer the buyer's list (decayed, strongest kind first)."""
    seeds: dict[int, float] = {}
    for t in touches:
        seeds[t.product_id] = max(seeds.get(t.product_id, 0.0), decayed(t.kind, t.at, now))
    return seeds


def strongest(seeds: Mapping[int, float], n: int) -> dict[int, float]:
    """The ``n`` heaviest seeds (ties by product id)."""
    kept = sorted(seeds.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return dict(kept)


def _scaled(values: Mapping[int, float]) -> dict[int, float]:
    top = max(values.values(), default=0.0)
    return {k: v / top for k, v in values.items()} if top > 0 else {}


def popularity(best_sellers: Sequence[tuple[int, int]]) -> dict[int, float]:
    """product -> 0..1 from (product, units sold recently), best first."""
    return _scaled({p: float(n) for p, n in best_sellers if n > 0})


@dataclass(frozen=True, slots=True)
class Candidate:
    product_id: int
    category_id: int | None
    #: Its place in the catalog (category order, then product order): the last tie-breaker.
    catalog_rank: int


def rank(
    candidates: Iterable[Candidate],
    *,
    seeds: Mapping[int, float],
    neighbours: Mapping[int, Mapping[int, float]],
    affinity: Mapping[int, float],
    popular: Mapping[int, float],
    exclude: Iterable[int] = (),
    limit: int,
) -> list[int]:
    """The best ``limit`` candidates for a buyer whose interest is ``seeds`` (product ->
    weight). Co-occurrence with the seeds, blended with category affinity and popularity; a
    buyer with no history (no seeds, no affinity) gets best sellers, then catalog order. Seeds
    are not excluded (a product viewed but not bought may well be the best suggestion);
    ``exclude`` is (what the buyer already bought, the product on screen)."""
    banned = set(exclude)
    total_seed = sum(seeds.values())
    scored: list[tuple[float, float, int, int]] = []
    for c in candidates:
        if c.product_id in banned:
            continue
        co = 0.0
        if total_seed > 0:
            co = (
                sum(w * neighbours.get(s, {}).get(c.product_id, 0.0) for s, w in seeds.items())
                / total_seed
            )
        aff = affinity.get(c.category_id, 0.0) if c.category_id is not None else 0.0
        pop = popular.get(c.product_id, 0.0)
        score = CO_WEIGHT * co + AFFINITY_WEIGHT * aff + POPULARITY_WEIGHT * pop
        scored.append((-score, -pop, c.catalog_rank, c.product_id))
    scored.sort()
    out: list[int] = []
    for *_, product_id in scored:
        if product_id not in out:
            out.append(product_id)
        if len(out) >= limit:
            break
    return out


def more_like(
    product_id: int,
    category_id: int | None,
    candidates: Iterable[Candidate],
    *,
    neighbours: Mapping[int, float],
    popular: Mapping[int, float],
    limit: int,
) -> list[int]:
    """ "More like this": products bought and carted with it first (by cosine, a same-category
    one a little ahead), then the rest of its category, then best sellers, then catalog order;
    never the product itself."""
    scored: list[tuple[int, float, float, int, int]] = []
    for c in candidates:
        if c.product_id == product_id:
            continue
        same = category_id is not None and c.category_id == category_id
        pop = popular.get(c.product_id, 0.0)
        co = neighbours.get(c.product_id, 0.0)
        if co > 0:
            blended = CO_WEIGHT * co * (1 + AFFINITY_WEIGHT * same) + POPULARITY_WEIGHT * pop * co
            scored.append((0, -blended, -pop, c.catalog_rank, c.product_id))
        else:
            scored.append((1 if same else 2, 0.0, -pop, c.catalog_rank, c.product_id))
    scored.sort()
    out: list[int] = []
    for *_, pid in scored:
        if pid not in out:
            out.append(pid)
        if len(out) >= limit:
            break
    return out


def interest_score(kinds: Mapping[InteractionKind, int]) -> float:
    """A buyer's weighted interactions in one category (undecayed): see INTEREST_THRESHOLD."""
    return sum(weight(k) * n for k, n in kinds.items())
