"""The recommendation benchmark runs end to end on a small log and, on its fixed seed, the
recommender beats the popularity baseline it is printed next to (hit rates are
deterministic; the times are printed, never asserted)."""

from __future__ import annotations

import re

import pytest

from bench.recommend import run_recommend_bench, split
from bot.domain.interests import InteractionKind


async def test_recommend_bench_prints_both_hit_rates_and_beats_popularity(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_recommend_bench(buyers=200, seed=7) == 0
    out = capsys.readouterr().out
    rates = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(popularity|recommender)\s+([0-9.]+)\s+[0-9.]+$", out, re.M)
    }
    assert set(rates) == {"popularity", "recommender"}, out
    assert rates["recommender"] > rates["popularity"] > 0, out
    assert "recommender / popularity: hit rate" in out and "time per buyer" in out
    held = int(re.search(r"(\d+) buyers' last purchase held out", out).group(1))  # type: ignore[union-attr]
    assert held > 50


def test_the_split_hides_the_held_out_visit() -> None:
    from datetime import UTC, datetime, timedelta

    from bench.recommend import Buyer

    t = datetime(2026, 9, 1, tzinfo=UTC)
    v, a, p = InteractionKind.VIEW, InteractionKind.ADD, InteractionKind.PURCHASE
    one = Buyer(1, [(1, 10, v, t), (1, 10, p, t), (1, 11, v, t), (1, 11, a, t), (1, 11, p, t)])
    one.visits = [0, 2]
    only_once = Buyer(2, [(2, 10, v, t + timedelta(1)), (2, 10, p, t + timedelta(1))], [0])
    fit, held = split([one, only_once])
    assert held == {1: 11}  # buyer 2 has no earlier purchase: not held out
    assert [e[1] for e in fit if e[0] == 1] == [10, 10]  # nothing of product 11's visit
    assert len([e for e in fit if e[0] == 2]) == 2
