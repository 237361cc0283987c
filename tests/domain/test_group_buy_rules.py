"""Group-buy rules: what a deal may be, who may join, the countdown and the commission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.group_buys import (
    DealError,
    GroupDeal,
    JoinRefusal,
    Team,
    TeamStatus,
    board_interval,
    commission,
    countdown,
    join_refusal,
)
from bot.domain.money import Money

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USD = Money(349, "USD")


def _team(**changes: object) -> Team:
    values: dict[str, object] = {
        "id": 1,
        "variant_id": 5,
        "product_id": 3,
        "leader_id": 7,
        "status": TeamStatus.OPEN,
        "size": 3,
        "taken": 1,
        "paid": 1,
        "price": USD,
        "regular_price": Money(499, "USD"),
        "commission_percent": 10,
        "deadline": NOW + timedelta(hours=2),
        "created_at": NOW,
    }
    values.update(changes)
    return Team(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"team_size": 1}, "2 to 100"),
        ({"team_size": 101}, "2 to 100"),
        ({"time_limit": timedelta(minutes=1)}, "5 minutes"),
        ({"time_limit": timedelta(days=8)}, "7 days"),
        ({"price": Money(0, "USD")}, "above zero"),
        ({"commission_percent": 51}, "0 to 50"),
        ({"max_teams": 0}, "at least 1"),
    ],
)
def test_a_deal_that_makes_no_sense_is_refused(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "variant_id": 5,
        "price": USD,
        "team_size": 3,
        "time_limit": timedelta(hours=24),
    }
    values.update(changes)
    with pytest.raises(DealError, match=message):
        GroupDeal(**values)  # type: ignore[arg-type]


def test_who_may_join() -> None:
    assert join_refusal(None, NOW, False) is JoinRefusal.NOT_FOUND
    assert join_refusal(_team(), NOW, True) is JoinRefusal.ALREADY_MEMBER
    assert join_refusal(_team(status=TeamStatus.FILLED), NOW, False) is JoinRefusal.SETTLED
    assert join_refusal(_team(status=TeamStatus.EXPIRED), NOW, False) is JoinRefusal.EXPIRED
    # The deadline passed but no process has settled it yet: already closed to joiners.
    assert join_refusal(_team(deadline=NOW), NOW, False) is JoinRefusal.EXPIRED
    assert join_refusal(_team(taken=3, paid=2), NOW, False) is JoinRefusal.FULL
    assert join_refusal(_team(), NOW, False) is None


def test_countdown_rounds_minutes_up_and_the_board_slows_down_far_from_the_end() -> None:
    assert countdown(timedelta(hours=5, minutes=11, seconds=1)) == (0, 5, 12)
    assert countdown(timedelta(days=1, hours=2)) == (1, 2, 0)
    assert countdown(timedelta(seconds=-5)) == (0, 0, 0)
    assert board_interval(timedelta(minutes=30)) == timedelta(minutes=1)
    assert board_interval(timedelta(hours=3)) == timedelta(minutes=10)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=50))
def test_the_commission_is_never_more_than_its_share(amount: int, percent: int) -> None:
    share = commission(Money(amount, "USD"), percent)
    assert 0 <= share.amount <= amount
    assert abs(share.amount * 100 - amount * percent) <= 50  # one rounding, half up
