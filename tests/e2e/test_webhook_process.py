"""The real ``storefront webhook`` process, SIGTERMed mid-traffic: it stops accepting, the
update in flight finishes and is answered 200, it exits 0; what was not delivered stays with
Telegram and a second process handles it. Every update is answered once, none is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.standin import BotApiStandIn
from tests.databases import sqlite_database
from tests.e2e.harness import TOKEN, WEBHOOK_SECRET, load_spec

REPO = Path(__file__).resolve().parents[2]
UPDATES = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    storefront = Path(sys.executable).with_name("storefront")
    return await asyncio.create_subprocess_exec(
        str(storefront),
        "webhook",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _wait(predicate: Any, timeout: float, what: str) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_sigterm_mid_traffic_drains_and_loses_nothing(
    framework: str, tmp_path: Path
) -> None:
    database = sqlite_database(tmp_path / "shop.db", demo=True)

    standin = BotApiStandIn(load_spec(), token=TOKEN, bot_username="shop_e2e_bot")
    await standin.start()
    # Telegram is slow to accept each reply: an update is always in flight when SIGTERM comes.
    execute = standin._dispatcher.execute
    replying: list[int] = []

    async def slow_execute(method: str, raw: Any) -> Any:
        if method == "sendMessage":
            replying.append(int(raw.fields.get("chat_id", 0)))
            await asyncio.sleep(0.15)
        return await execute(method, raw)

    standin._dispatcher.execute = slow_execute  # type: ignore[method-assign]
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "BOT_"))},
        "BOT_TOKEN": TOKEN,
        "BOT_FRAMEWORK": framework,
        "TELEGRAM_API_BASE": standin.base_url,
        "DATABASE_URL": database,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(REPO),
    }
    first = await _spawn(env, tmp_path)
    try:
        await _wait(lambda: any(c.method == "setWebhook" for c in standin.calls), 30, "setWebhook")
        chats = [standin.private_chat(7000 + i, f"P{i}") for i in range(UPDATES)]
        update_ids = [int(chat.send_text("/start")["update_id"]) for chat in chats]
        await _wait(lambda: len(replying) >= 3, 20, "three updates in flight")
        in_flight = replying[-1]
        first.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(first.communicate(), 40)
        assert first.returncode == 0, err.decode()[-3000:]
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()

    confirmed = standin.updates_confirmed
    assert confirmed >= update_ids[2]
    answered = {7000 + update_ids.index(u) for u in update_ids if u <= confirmed}
    # The update in flight at SIGTERM was finished and answered 200, not cut off.
    assert in_flight in answered
    # Everything the first process replied to was confirmed: no reply without its 200.
    assert set(replying) <= answered, (sorted(replying), sorted(answered))
    assert standin.pending_updates == len([u for u in update_ids if u > confirmed])
    assert standin.pending_updates > 0, "SIGTERM came after all the traffic; nothing tested"
    assert not [c for c in standin.calls if c.method == "deleteWebhook"]

    second = await _spawn(env, tmp_path)
    try:
        await _wait(lambda: standin.pending_updates == 0, 30, "the second process to catch up")
        second.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(second.communicate(), 40)
        assert second.returncode == 0, err.decode()[-3000:]
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()
        await standin.stop()
    welcomes = Counter(
        int(c.params["chat_id"])
        for c in standin.calls
        if c.method == "sendMessage" and "Welcome" in str(c.params.get("text"))
    )
    assert welcomes == Counter({7000 + i: 1 for i in range(UPDATES)})
    assert standin.violations == []
