"""The flood rule: a burst of ``rate``, then ``rate`` per window; told once per episode."""

from __future__ import annotations

import pytest

from bot.domain.flood import FloodLimiter, FloodRule, Verdict

RULE = FloodRule(rate=20, window=10.0)  # the default: a burst of 20, then 2 a second


def test_a_burst_of_the_rate_goes_through_then_the_rest_is_dropped_and_told_once() -> None:
    limiter = FloodLimiter(RULE)
    verdicts = [limiter.hit(7, 100.0) for _ in range(300)]
    assert verdicts[:20] == [Verdict.HANDLE] * 20
    assert verdicts[20] is Verdict.WARN
    assert verdicts[21:] == [Verdict.DROP] * 279


def test_chats_are_counted_apart() -> None:
    limiter = FloodLimiter(RULE)
    for _ in range(100):
        limiter.hit("flood", 0.0)
    assert [limiter.hit("quiet", 0.0) for _ in range(20)] == [Verdict.HANDLE] * 20


def test_the_bucket_refills_at_the_rate() -> None:
    limiter = FloodLimiter(RULE)
    for _ in range(20):
        assert limiter.hit(1, 0.0) is Verdict.HANDLE
    assert limiter.hit(1, 0.0) is Verdict.WARN
    assert limiter.hit(1, 0.4) is Verdict.DROP  # 0.8 of a token
    assert limiter.hit(1, 0.5) is Verdict.HANDLE  # a whole token: 2 a second
    assert limiter.hit(1, 0.5) is Verdict.DROP
    # A dropped update takes no token: a chat that keeps flooding still gets 2 a second.
    handled = sum(limiter.hit(1, 1.0 + i / 100) is Verdict.HANDLE for i in range(1000))
    assert 19 <= handled <= 21  # 10 s at 2 a second


def test_a_chat_flooding_for_a_minute_is_told_once_and_again_after_calming_down() -> None:
    limiter = FloodLimiter(RULE)
    told = [t / 10 for t in range(600) if limiter.hit(1, t / 10) is Verdict.WARN]  # 10 a second
    assert told == [2.4]  # 10 a second in, 2 a second refilled: dry after 24 updates
    # Quiet for 9 s: the same episode (told already), though the bucket has refilled.
    later = [limiter.hit(1, 69.0) for _ in range(40)]
    assert Verdict.WARN not in later and Verdict.HANDLE in later
    # Quiet for a whole window after the last drop: a new episode, told again.
    again = [limiter.hit(1, 80.0) for _ in range(40)]
    assert again.count(Verdict.WARN) == 1 and again[:20] == [Verdict.HANDLE] * 20


def test_a_steady_chat_under_the_rate_is_never_dropped() -> None:
    limiter = FloodLimiter(RULE)
    assert all(limiter.hit(1, t * 0.5) is Verdict.HANDLE for t in range(1000))  # 2 a second


def test_idle_buckets_are_forgotten_and_busy_ones_kept() -> None:
    limiter = FloodLimiter(RULE)
    for chat in range(500):
        for _ in range(20):
            limiter.hit(chat, 0.0)  # empty: full again 10 s later
    for _ in range(30):
        limiter.hit("flood", 5.0)  # over the rate since 5.0
    limiter.sweep(9.0)  # nobody idle for long enough yet
    assert len(limiter) == 501
    limiter.sweep(10.0)  # the 500 are full again; the flood's episode is still on
    assert len(limiter) == 1
    assert limiter.hit("flood", 10.0) is Verdict.HANDLE  # 5 s refilled 10 tokens
    limiter.sweep(30.0)
    assert len(limiter) == 0


def test_sweeping_happens_by_itself() -> None:
    limiter = FloodLimiter(RULE)
    for chat in range(FloodLimiter.SWEEP_EVERY - 1):
        limiter.hit(chat, 0.0)
    assert len(limiter) == FloodLimiter.SWEEP_EVERY - 1
    limiter.hit("late", 60.0)
    assert len(limiter) == 1


@pytest.mark.parametrize(("rate", "window"), [(0, 10.0), (-1, 10.0), (20, 0.0), (20, -5.0)])
def test_a_rule_that_makes_no_sense_is_refused(rate: int, window: float) -> None:
    with pytest.raises(ValueError, match="flood rule"):
        FloodRule(rate, window)
