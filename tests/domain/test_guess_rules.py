from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.guesses import GuessLimit

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_fewer_wrong_codes_than_the_limit_leave_the_buyer_free() -> None:
    rule = GuessLimit(3, 10 * MINUTE)
    assert rule.open_again_at([], NOW) is None
    assert rule.open_again_at([NOW - MINUTE, NOW], NOW) is None


def test_the_limit_reached_cools_down_until_the_oldest_counted_leaves_the_window() -> None:
    rule = GuessLimit(3, 10 * MINUTE)
    tries = [NOW - 4 * MINUTE, NOW - 2 * MINUTE, NOW]
    assert rule.open_again_at(tries, NOW) == NOW + 6 * MINUTE
    # Just before that the buyer still waits; at that moment the oldest no longer counts.
    assert rule.open_again_at(tries, NOW + 6 * MINUTE - timedelta(seconds=1)) is not None
    assert rule.open_again_at(tries, NOW + 6 * MINUTE) is None


def test_attempts_older_than_the_window_do_not_count_and_order_does_not_matter() -> None:
    rule = GuessLimit(2, 10 * MINUTE)
    assert rule.open_again_at([NOW - 11 * MINUTE, NOW], NOW) is None
    # More than the limit (two processes raced): the limit-th newest decides.
    tries = [NOW, NOW - 9 * MINUTE, NOW - MINUTE]
    assert rule.open_again_at(tries, NOW) == NOW - MINUTE + 10 * MINUTE


def test_zero_turns_the_limit_off_and_nonsense_is_refused() -> None:
    assert GuessLimit(0).open_again_at([NOW] * 50, NOW) is None
    with pytest.raises(ValueError):
        GuessLimit(-1)
    with pytest.raises(ValueError):
        GuessLimit(5, timedelta(0))
    with pytest.raises(ValueError):
        GuessLimit(5, timedelta(days=2))


@given(
    limit=st.integers(1, 20),
    offsets=st.lists(st.integers(0, 1200), max_size=40),
)
def test_never_more_than_the_limit_get_through_in_any_window(
    limit: int, offsets: list[int]
) -> None:
    """Wrong attempts at arbitrary seconds: those let through never exceed the limit in any
    window, and one refused is always told a moment in the future."""
    rule = GuessLimit(limit, 10 * MINUTE)
    through: list[datetime] = []
    for second in sorted(offsets):
        now = NOW + timedelta(seconds=second)
        until = rule.open_again_at(through, now)
        if until is None:
            through.append(now)
        else:
            assert until > now
    for at in through:
        assert sum(at <= t < at + rule.window for t in through) <= limit
