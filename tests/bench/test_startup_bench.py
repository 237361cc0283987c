"""``storefront bench startup`` is code too: it runs end to end (one launch of each, no wait
before the RSS is read). No timing is asserted here."""

from __future__ import annotations

import re

import pytest

from bench.startup import run_startup_bench
from bot.cli import main


async def test_startup_benchmark_runs_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_startup_bench("ptb", repeat=1, settle=0.0) == 0
    out = capsys.readouterr().out

    def figure(name: str, unit: str = "s") -> float:
        found = re.search(rf"^  {re.escape(name)}\s+([0-9.]+) {unit}", out, re.M)
        assert found, f"no {name!r} row in:\n{out}"
        return float(found.group(1))

    for name in (
        "python -c pass",
        "python -c 'import sqlalchemy'",
        "python -c 'import alembic.command'",
        "import ptb (its echo bot's imports)",
        "storefront --help",
        "storefront migrate (empty SQLite)",
        "storefront catalog import --demo",
        "echo bot ready",
        "storefront run ready",
    ):
        assert figure(name) > 0, name
    # Idle memory is a real process's: more than the interpreter alone, less than a gigabyte.
    assert 5 < figure("echo bot idle RSS", "MB") < figure("storefront run idle RSS", "MB") < 1024
    assert "aiogram" not in out  # only the framework asked for is launched
    assert re.search(r"ready: bot/echo [0-9.]+x, bot - import ptb [+-][0-9.]+ s", out)
    assert re.search(r"RSS: bot/echo [0-9.]+x, bot - echo [+-][0-9]+ MB", out)


def test_startup_benchmark_refuses_nonsense_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "startup", "--repeat", "0"]) == 2
    assert "--repeat must be 1 or more" in capsys.readouterr().err
