"""When a flash sale's card in a group or channel is edited: the phase or the units changed,
or the countdown went stale, and never sooner than the pace allows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.flash_sales import (
    POST_MIN_GAP,
    FlashSale,
    PostPhase,
    SalePost,
    countdown_interval,
    post_edit_due,
    post_phase,
)
from bot.domain.money import Money

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SALE = FlashSale(
    id=1,
    variant_id=2,
    product_id=3,
    name="Jelly",
    price=Money(299, "USD"),
    regular_price=Money(499, "USD"),
    stock=10,
    claimed=0,
    per_buyer=1,
    starts_at=T0 + timedelta(minutes=30),
    ends_at=T0 + timedelta(hours=2),
)


def _post(shown_left: int, phase: PostPhase, edited_at: datetime) -> SalePost:
    return SalePost(1, SALE.id, -100, 7, shown_left, phase, edited_at)


def test_phases_follow_the_clock_the_units_and_the_merchant() -> None:
    assert post_phase(SALE, T0) is PostPhase.UPCOMING
    live = T0 + timedelta(hours=1)
    assert post_phase(SALE, live) is PostPhase.LIVE
    assert post_phase(replace(SALE, claimed=10), live) is PostPhase.SOLD_OUT
    assert post_phase(replace(SALE, active=False), live) is PostPhase.OVER
    assert post_phase(SALE, SALE.ends_at) is PostPhase.OVER


def test_a_change_is_shown_but_not_sooner_than_the_gap() -> None:
    live = T0 + timedelta(hours=1)
    sold_one = replace(SALE, claimed=1)
    shown = _post(10, PostPhase.LIVE, live)
    assert not post_edit_due(shown, sold_one, live + POST_MIN_GAP - timedelta(seconds=1))
    assert post_edit_due(shown, sold_one, live + POST_MIN_GAP)
    # Nothing changed and the countdown is fresh: no edit.
    assert not post_edit_due(_post(9, PostPhase.LIVE, live), sold_one, live + POST_MIN_GAP)


def test_the_start_and_the_end_are_shown_once() -> None:
    before = _post(10, PostPhase.UPCOMING, T0)
    assert post_edit_due(before, SALE, SALE.starts_at + timedelta(seconds=1))
    over = _post(0, PostPhase.OVER, T0)
    assert not post_edit_due(over, SALE, SALE.ends_at + timedelta(days=1))


def test_the_countdown_is_refreshed_by_how_near_the_target_is() -> None:
    assert countdown_interval(timedelta(minutes=59)) == timedelta(minutes=1)
    assert countdown_interval(timedelta(hours=5)) == timedelta(minutes=5)
    assert countdown_interval(timedelta(days=3)) == timedelta(minutes=30)
    upcoming = _post(10, PostPhase.UPCOMING, T0)
    assert not post_edit_due(upcoming, SALE, T0 + timedelta(seconds=59))
    assert post_edit_due(upcoming, SALE, T0 + timedelta(minutes=1))


@given(
    offsets=st.lists(st.integers(min_value=0, max_value=7200), min_size=1, max_size=60),
    claimed=st.integers(min_value=0, max_value=10),
)
def test_edits_are_never_closer_than_the_gap(offsets: list[int], claimed: int) -> None:
    """Whatever happens, replaying the rule over time never edits a card twice within the
    gap (the bound that keeps a group inside Telegram's per-chat limit)."""
    sale = replace(SALE, claimed=claimed)
    post = _post(sale.left, post_phase(sale, T0), T0)
    edits = [T0]
    for offset in sorted(offsets):
        now = T0 + timedelta(seconds=offset)
        if post_edit_due(post, sale, now):
            assert now - edits[-1] >= POST_MIN_GAP
            edits.append(now)
            post = _post(sale.left, post_phase(sale, now), now)
