"""The benchmark is code too: it must run end to end. No timing is asserted here."""

from __future__ import annotations

import pytest

from bench.updates import run_bench


@pytest.mark.slow
async def test_updates_benchmark_runs_on_both_frameworks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_bench("both", 60, rounds=1) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith(("aiogram", "ptb"))]
    assert [r[0] for r in rows] == ["aiogram", "ptb"]
    for row in rows:
        echo, browse = float(row[1]), float(row[2])
        assert echo > 0 and browse > 0
    assert "target: browse >= 70% of echo" in out


async def test_flash_sale_benchmark_runs_and_oversells_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench.flash_sale import run_flash_bench

    assert await run_flash_bench(None, buyers=300, units=10) == 0
    out = capsys.readouterr().out
    assert "oversold units: 0" in out and "service / bare UPDATE" in out
    rows = {
        line[:26].strip(): line[26:].split()
        for line in out.splitlines()
        if line.startswith(("bare UPDATE", "service")) and " / " not in line
    }
    assert {"bare UPDATE", "service", "service + gate (memory)"} <= set(rows)
    for rate, seconds, p95, slowest, won, oversold, failed in rows.values():
        assert float(rate) > 0 and float(seconds) > 0 and float(p95) <= float(slowest)
        assert (won, oversold, failed) == ("10", "0", "0")
