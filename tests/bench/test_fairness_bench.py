"""``storefront bench fairness`` runs end to end (tiny counts): a flood and a quiet user's
commands, polling on SQLite (aiogram) and webhook on PostgreSQL (python-telegram-bot): each
framework in one mode, as the bench runs both the same way. No timing is asserted."""

from __future__ import annotations

import pytest

from bench.fairness import run_fairness_bench

pytestmark = pytest.mark.slow
FLOOD = 60


def _rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.startswith(("aiogram ", "ptb "))]


async def test_fairness_benchmark_runs_in_polling_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_fairness_bench("aiogram", "polling", FLOOD, commands=3, interval=0.1) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert [(r[0], r[1], r[2]) for r in rows] == [("aiogram", "polling", "SQLite")]
    for row in rows:
        handled, dropped, told = (int(x) for x in row[-3:])
        assert handled + dropped == FLOOD and told <= 1
    assert "target: the quiet user's p95 <= 300 ms" in out


@pytest.mark.postgres
async def test_fairness_benchmark_runs_in_webhook_mode_and_the_flood_is_cut(
    postgres_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        await run_fairness_bench(
            "ptb", "webhook", FLOOD, commands=3, interval=0.1, server_url=postgres_server_url
        )
        == 0
    )
    rows = _rows(capsys.readouterr().out)
    assert [(r[0], r[1], r[2]) for r in rows] == [("ptb", "webhook", "PostgreSQL")]
    for row in rows:
        handled, dropped, told = (int(x) for x in row[-3:])
        # The default rate (20 per 10 s) lets a burst of 20 through, then the flooder is told
        # once and the rest dropped.
        assert 20 <= handled < FLOOD and handled + dropped == FLOOD and told == 1
