from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import RunningShop, ShopClock, start_shop, stop_shop


@pytest.fixture(params=["aiogram", "ptb"])
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningShop]:
    """The whole shop on one framework; every test using it runs on both."""
    running = await start_shop(request.param, tmp_path, clock=ShopClock())
    try:
        yield running
    finally:
        await stop_shop(running)
    assert running.standin.violations == [], running.standin.violations


@pytest.fixture(params=["aiogram", "ptb"])
async def pg_shop(
    request: pytest.FixtureRequest, postgres_demo_url: str, tmp_path: Path
) -> AsyncIterator[RunningShop]:
    """The whole shop on one framework, on a fresh PostgreSQL database with the demo catalog."""
    running = await start_shop(
        request.param, tmp_path, clock=ShopClock(), database_url=postgres_demo_url, fresh=False
    )
    try:
        yield running
    finally:
        await stop_shop(running)
    assert running.standin.violations == [], running.standin.violations
