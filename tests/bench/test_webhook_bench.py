"""``storefront bench webhook`` runs end to end (tiny counts: 40 updates from 8 buyers):
echo, one and two real ``storefront webhook`` processes on PostgreSQL, every update answered
200, on each framework. No timing is asserted."""

from __future__ import annotations

import pytest

from bench.webhook import run_webhook_bench

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_webhook_benchmark_runs_and_every_update_gets_a_200(
    framework: str, postgres_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_webhook_bench(framework, 40, postgres_server_url, users=8) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith(("aiogram ", "ptb "))]
    bots = [" ".join(r[1:4]) for r in rows if "processes /" not in " ".join(r)]
    assert [r[0] for r in rows] == [framework] * 5
    assert len(bots) == 4  # echo, one and two processes flooded, one process at a steady rate
    assert sum("100/s" in r for r in rows) == 1
    for row in rows:
        if row[1] == "two":
            continue
        assert row[-1] == "0", row  # no POST answered otherwise than 200
    assert "updates without a 200: 0" in out
