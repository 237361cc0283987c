"""``storefront bench broadcast`` end to end on a few hundred chats: nobody gets the drop twice
and everybody who did not block the bot gets it. No timing is asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.broadcast import measure
from bot.standin import BotApiSpec


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_broadcast_benchmark_sends_once_to_everybody(framework: str, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'drop.db'}"
    result = await measure(framework, url, 300, 1000.0, BotApiSpec.default())
    assert result.duplicates == 0
    assert result.missing == 0
    assert result.blocked_marked == result.blocked == 3
    assert result.per_second > 0
