"""Long polling under a flood, on aiogram and on python-telegram-bot: the flood gate
(``Throttle.admit``, 20 updates per 10 s per chat) in front of the inbox's chat lanes, as
``storefront run`` plugs it in.

Behaviour only, no timing (``storefront bench fairness`` prints the latencies): a quiet buyer is
answered through someone else's flood, the flooder is told once in their language and loses
its excess (counted, and marked done in the inbox: never handled later), and what the flooder
got through was handled in the order it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.flood import FloodRule
from bot.standin import SimChat
from bot.telegram.runner import InboxPolling
from bot.telegram.throttle import LocalFloodCounts, Throttle
from tests.e2e.harness import RunningShop, ShopClock, start_shop, stop_shop

SLOW_DOWN = "请等待 10 秒"
HELP = "How to shop here"


@pytest.fixture(params=["aiogram", "ptb"])
async def polling_flood_shop(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[RunningShop, InboxPolling]]:
    shop = await start_shop(request.param, tmp_path, clock=ShopClock())
    poller = shop.bot
    assert isinstance(poller, InboxPolling)
    throttle = Throttle(
        LocalFloodCounts(FloodRule(20, 10.0)),
        shop.storefront,
        poller.sender(),
        poller.inbox.metrics,
    )
    poller.inbox.admit = throttle.admit  # what `storefront run` plugs in (FLOOD_RATE)
    try:
        yield shop, poller
    finally:
        await throttle.close()
        await stop_shop(shop)
    assert shop.standin.violations == [], shop.standin.violations


def _texts(chat: SimChat) -> list[str]:
    return [str(m.get("text", "")) for m in chat.messages()]


def _count(poller: InboxPolling, outcome: str) -> float:
    value = poller.inbox.metrics.registry.get_sample_value(
        "storefront_updates_total", {"type": "message", "outcome": outcome}
    )
    return value or 0.0


async def test_a_quiet_buyer_is_answered_through_a_flood_and_the_flooder_is_told_once(
    polling_flood_shop: tuple[RunningShop, InboxPolling],
) -> None:
    shop, poller = polling_flood_shop
    flooder = shop.standin.private_chat(2001, "Flo", language_code="zh-hans")
    quiet = shop.standin.private_chat(2002, "Quinn")
    for i in range(300):
        flooder.send_text(f"zzq {i:03d}")
    for _ in range(5):
        quiet.send_text("/help")
        await asyncio.sleep(0.05)
    await shop.settle(90)
    assert not shop.standin.pending_updates  # every update confirmed to "Telegram"

    assert sum(HELP in t for t in _texts(quiet)) == 5  # every quiet command answered
    told = [t for t in _texts(flooder) if SLOW_DOWN in t]
    assert len(told) == 1  # once, in their language, not once per dropped update
    searched = [t.split("zzq ")[1][:3] for t in _texts(flooder) if "zzq" in t]
    assert 20 <= len(searched) < 300
    assert searched == sorted(searched)  # what got through, in the order it was sent
    assert _count(poller, "dropped") == 300 - len(searched)
    assert _count(poller, "ok") == len(searched) + 5
    # The dropped updates are done in the inbox (the last done marks are written in a group
    # moments after delivery): a restart would handle none of them again.
    for _ in range(100):
        async with shop.uows() as uow:
            left = await uow.inbox.pending(1000)
        if not left:
            break
        await asyncio.sleep(0.05)
    assert left == []
