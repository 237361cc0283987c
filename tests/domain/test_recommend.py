"""The recommender's scoring: cosine co-occurrence, category affinity, blending, cold start,
exclusions, "more like this" ordering, the interest score of drop audiences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.interests import InteractionKind
from bot.domain.recommend import (
    AFFINITY_HALF_LIFE,
    INTEREST_THRESHOLD,
    Candidate,
    CoCount,
    Touch,
    category_affinity,
    cosine,
    interest_score,
    more_like,
    popularity,
    rank,
    seed_weights,
    similarities,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
#: Products 1-3 in category 10, 4-6 in category 20, 7 in category 30 (catalog order = id).
CATALOG = [Candidate(p, 10 if p <= 3 else 20 if p <= 6 else 30, p) for p in range(1, 8)]


def test_cosine_damps_best_sellers() -> None:
    # 1 and 2 share 4 buyers; 1 and 3 share 5, but 3 is bought by 100 buyers.
    norms = {1: 4 * 9.0, 2: 4 * 9.0, 3: 100 * 9.0}
    sims = similarities([CoCount(1, 2, 4 * 9.0), CoCount(1, 3, 5 * 9.0)], norms)
    assert sims[1][2] > sims[1][3] > 0
    assert 0 < sims[1][2] < 1
    assert cosine(0, 1, 1) == 0 and cosine(5, 0, 1) == 0
    assert similarities([CoCount(1, 1, 9.0)], {1: 9.0}) == {}  # never itself


def test_affinity_weights_kinds_and_decays_with_age() -> None:
    old = NOW - AFFINITY_HALF_LIFE * 4
    touches = [
        Touch(1, 10, InteractionKind.PURCHASE, NOW),
        Touch(4, 20, InteractionKind.PURCHASE, old),  # the same weight, 16 times smaller now
        Touch(7, None, InteractionKind.PURCHASE, NOW),  # uncategorised: not counted
    ]
    affinity = category_affinity(touches, NOW)
    assert affinity[10] == pytest.approx(16 / 17)
    assert affinity[20] == pytest.approx(1 / 17)
    views = category_affinity([Touch(1, 10, InteractionKind.VIEW, NOW)] * 5, NOW)
    assert views == {10: 1.0}
    mixed = category_affinity(
        [Touch(1, 10, InteractionKind.VIEW, NOW), Touch(4, 20, InteractionKind.ADD, NOW)], NOW
    )
    assert mixed[20] == pytest.approx(0.8)  # an add (2) outweighs a view (0.5) four times
    assert category_affinity([], NOW) == {}


def test_seed_weights_keep_each_products_strongest_touch() -> None:
    seeds = seed_weights(
        [
            Touch(1, 10, InteractionKind.VIEW, NOW),
            Touch(1, 10, InteractionKind.PURCHASE, NOW),
            Touch(2, 10, InteractionKind.SHARE, NOW - timedelta(days=1)),
        ],
        NOW,
    )
    assert seeds[1] == pytest.approx(3.0)
    assert 1.4 < seeds[2] < 1.5


def test_blend_puts_co_occurrence_first_then_affinity_then_popularity() -> None:
    ranked = rank(
        CATALOG,
        seeds={1: 3.0},
        neighbours={1: {6: 0.8, 7: 0.1}},
        affinity={10: 1.0},
        popular=popularity([(5, 100), (7, 50)]),
        exclude={1},
        limit=7,
    )
    assert ranked[0] == 6  # bought with 1 by the same buyers, though another category
    assert ranked[1:3] == [2, 3]  # the buyer's category, in catalog order
    assert ranked[3] == 7  # a little co-occurrence and some popularity
    assert ranked[4] == 5  # the best seller
    assert 1 not in ranked and len(ranked) == 6


def test_cold_start_is_best_sellers_then_catalog_order() -> None:
    ranked = rank(
        CATALOG,
        seeds={},
        neighbours={},
        affinity={},
        popular=popularity([(5, 9), (2, 4), (7, 4)]),
        exclude={2},  # already bought
        limit=4,
    )
    assert ranked == [5, 7, 1, 3]
    assert rank(CATALOG, seeds={}, neighbours={}, affinity={}, popular={}, limit=3) == [1, 2, 3]


def test_an_item_with_no_co_occurrence_falls_back_to_affinity_and_best_sellers() -> None:
    ranked = rank(
        CATALOG,
        seeds={4: 3.0},
        neighbours={},
        affinity={20: 1.0},
        popular=popularity([(1, 10)]),
        exclude={4},
        limit=3,
    )
    assert ranked == [5, 6, 1]


def test_more_like_this_lists_co_occurring_first_then_its_category() -> None:
    ranked = more_like(
        1,
        10,
        CATALOG,
        neighbours={7: 0.2, 5: 0.6, 2: 0.5},
        popular=popularity([(4, 30)]),
        limit=6,
    )
    # 2 is co-bought a bit less than 5, but in the same category: a little ahead.
    assert ranked[:3] == [2, 5, 7]
    assert ranked[3] == 3  # the rest of its category
    assert ranked[4:] == [4, 6]  # then the best seller, then catalog order
    assert 1 not in more_like(1, 10, CATALOG, neighbours={1: 1.0}, popular={}, limit=9)


def test_interest_score_against_its_threshold() -> None:
    assert interest_score({InteractionKind.ADD: 1}) >= INTEREST_THRESHOLD
    assert interest_score({InteractionKind.PURCHASE: 1}) >= INTEREST_THRESHOLD
    assert interest_score({InteractionKind.VIEW: 3}) < INTEREST_THRESHOLD
    assert interest_score({InteractionKind.VIEW: 4}) >= INTEREST_THRESHOLD
